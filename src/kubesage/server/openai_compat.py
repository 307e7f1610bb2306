"""OpenAI-compatible `POST /v1/chat/completions` (with SSE streaming), `GET /v1/models` and
`GET /v1/models/{id}`.

The last user message is the question (a k8sgpt `localai` prompt is recognised and its error
text extracted); earlier user/assistant turns are passed on as history. `language` (a kubesage
extension field) picks the answer language; without it Chinese questions get Chinese answers.
The answer's sources are also returned as a `sources` extension field. chat_schema.py lists
which parameters are honoured, accepted or refused.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubesage.llm.base import Completion, CompletionRequest
from kubesage.server import structured, tokens
from kubesage.server.chat_schema import ChatBody
from kubesage.server.state import APIError, dumps, error_response, json_response

if TYPE_CHECKING:
    from fastapi import FastAPI

    from kubesage.server.answering import Answering
    from kubesage.server.state import ServerState


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


@dataclass(frozen=True)
class Choice:
    index: int
    content: str | None
    refusal: str | None
    finish: str
    result: Completion

    def message(self) -> dict[str, Any]:
        return {"role": "assistant", "content": self.content, "refusal": self.refusal}


def shape(body: ChatBody, index: int, result: Completion) -> Choice:
    """Apply stop, max_tokens and response_format to one answer."""
    text = result.text
    finish = "stop"
    for stop in body.stop_list():
        cut = text.find(stop)
        if cut >= 0:
            text = text[:cut]
    fmt = body.response_format.type if body.response_format else "text"
    if fmt == "json_schema" and result.refused:
        return Choice(index, None, text, "stop", result)  # OpenAI's structured-output refusal
    if fmt != "text":
        p = structured.parts(result, text)
        if fmt == "json_object":
            data: Any = structured.json_object(p)
        else:
            assert body.response_format is not None and body.response_format.json_schema is not None
            data = structured.fill(body.response_format.json_schema.schema_, p)
        text = json.dumps(data, ensure_ascii=False)
    limit = body.token_limit()
    if limit is not None:
        text, cut_short = tokens.truncate(text, limit)
        finish = "length" if cut_short else finish
    return Choice(index, text, None, finish, result)


def usage(prompt_tokens: int, choices: list[Choice]) -> dict[str, int]:
    completion = sum(tokens.count(c.content or c.refusal or "") for c in choices)
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion, "total_tokens": prompt_tokens + completion}


def register(app: FastAPI, state: ServerState, answering: Answering) -> None:
    from starlette.responses import StreamingResponse

    def model_card() -> dict[str, Any]:
        return {"id": state.model, "object": "model", "created": 0, "owned_by": "kubesage"}

    @app.get("/v1/models")
    async def models() -> Any:
        return json_response({"object": "list", "data": [model_card()]})

    @app.get("/v1/models/{model_id:path}")
    async def model(model_id: str) -> Any:
        if model_id != state.model:
            return error_response(404, f"The model '{model_id}' does not exist; this server serves '{state.model}'",
                                  param="model", code="model_not_found")  # fmt: skip
        return json_response(model_card())

    @app.post("/v1/chat/completions")
    async def chat(body: ChatBody) -> Any:
        body.refuse_unsupported()
        fmt = body.response_format
        if fmt is not None and fmt.type == "json_schema" and fmt.json_schema is not None:
            structured.check_schema(fmt.json_schema.schema_)
        turns = [(m.role, m.text()) for m in body.messages if m.role in ("user", "assistant")]
        if not turns or turns[-1][0] != "user" or not turns[-1][1].strip():
            raise APIError(400, "messages must end with a non-empty user message", param="messages",
                           code="invalid_value")  # fmt: skip
        request = CompletionRequest(prompt=turns[-1][1], language=body.language, history=tuple(turns[:-1]))
        n = body.n or 1
        # kb answers are deterministic: one run serves every choice. An upstream LLM is asked n times.
        results = [await answering.complete(request)]
        if state.settings.upstream:
            for _ in range(n - 1):
                results.append(await answering.complete(request))
        choices = [shape(body, i, results[min(i, len(results) - 1)]) for i in range(n)]
        prompt_tokens = tokens.count_messages([m.text() for m in body.messages])
        model_name = body.model or state.model
        cid = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if body.stream:
            include_usage = bool(body.stream_options and body.stream_options.include_usage)
            totals = usage(prompt_tokens, choices) if include_usage else None
            stream = _stream(cid, created, model_name, choices, totals)
            return StreamingResponse(stream, media_type="text/event-stream", headers={"cache-control": "no-cache"})
        return json_response({
            "id": cid, "object": "chat.completion", "created": created, "model": model_name,
            "choices": [{"index": c.index, "message": c.message(), "finish_reason": c.finish, "logprobs": None}
                        for c in choices],
            "usage": usage(prompt_tokens, choices), "system_fingerprint": None,
            "sources": sources_json(results[0]), "refused": results[0].refused,
        })  # fmt: skip


async def _stream(cid: str, created: int, model: str, choices: list[Choice],
                  usage_block: dict[str, int] | None) -> AsyncIterator[bytes]:  # fmt: skip
    def event(choice_list: list[dict[str, Any]], **extra: Any) -> bytes:
        chunk = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                 "system_fingerprint": None, "choices": choice_list, **extra}  # fmt: skip
        if usage_block is not None:
            chunk.setdefault("usage", None)
        return b"data: " + dumps(chunk) + b"\n\n"

    def delta(index: int, d: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"index": index, "delta": d, "finish_reason": finish, "logprobs": None}

    for c in choices:
        yield event([delta(c.index, {"role": "assistant", "content": "" if c.content is not None else None})])
        if c.refusal is not None:
            yield event([delta(c.index, {"refusal": c.refusal})])
        for piece in pieces(c.content or ""):
            yield event([delta(c.index, {"content": piece})])
        yield event([delta(c.index, {}, c.finish)], sources=sources_json(c.result), refused=c.result.refused)
    if usage_block is not None:
        yield event([], usage=usage_block)
    yield b"data: [DONE]\n\n"
