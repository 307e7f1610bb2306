"""OpenAI-compatible `POST /v1/chat/completions` (with SSE streaming) and `GET /v1/models`.

The last user message is the question (a k8sgpt `localai` prompt is recognised and its error
text extracted); earlier user/assistant turns are passed on as history. `language` (a kubesage
extension field) picks the answer language; without it Chinese questions get Chinese answers.
The answer's sources are also returned as a `sources` extension field.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from kubesage.llm.base import Completion, CompletionRequest

if TYPE_CHECKING:
    from fastapi import FastAPI

    from kubesage.server.app import ServerState


def content_text(content: Any) -> str:
    """A message's text: a string, or the text parts of a content-part list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def sources_json(result: Completion) -> list[dict[str, Any]]:
    return [{"title": s.title, "source": s.source, "doc_id": s.doc_id, "score": s.score} for s in result.sources]


def pieces(text: str, size: int = 24) -> list[str]:
    """Stream deltas: runs of about `size` characters, split after whitespace."""
    out: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space + 1 if space > start else end
        out.append(text[start:end])
        start = end
    return out


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str = ""
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    language: str = "auto"


def register(app: FastAPI, state: ServerState) -> None:
    from starlette.responses import StreamingResponse

    from kubesage.server.app import error_response, json_response

    @app.get("/v1/models")
    async def models() -> Any:
        return json_response({"object": "list", "data": [
            {"id": state.model, "object": "model", "created": 0, "owned_by": "kubesage"},
        ]})  # fmt: skip

    @app.post("/v1/chat/completions")
    async def chat(body: ChatBody) -> Any:
        turns = [(m.role, content_text(m.content)) for m in body.messages if m.role in ("user", "assistant")]
        if not turns or turns[-1][0] != "user" or not turns[-1][1].strip():
            return error_response(422, "invalid request: messages must end with a non-empty user message")
        request = CompletionRequest(prompt=turns[-1][1], language=body.language, history=tuple(turns[:-1]))
        result = await state.complete(request)
        model = body.model or state.model
        cid = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if body.stream:
            return StreamingResponse(_stream(cid, created, model, result), media_type="text/event-stream",
                                     headers={"cache-control": "no-cache"})  # fmt: skip
        return json_response({
            "id": cid, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": result.text},
                         "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": result.prompt_tokens, "completion_tokens": result.completion_tokens,
                      "total_tokens": result.prompt_tokens + result.completion_tokens},
            "sources": sources_json(result), "refused": result.refused,
        })  # fmt: skip


async def _stream(cid: str, created: int, model: str, result: Completion) -> AsyncIterator[bytes]:
    def event(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        chunk = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                 "choices": [choice], **extra}  # fmt: skip
        return b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n"

    yield event({"role": "assistant", "content": ""})
    for piece in pieces(result.text):
        yield event({"content": piece})
    yield event({}, "stop", sources=sources_json(result), refused=result.refused)
    yield b"data: [DONE]\n\n"
