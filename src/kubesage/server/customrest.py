"""`POST /completions`: k8sgpt's `customrest` protocol (docs/compat.md, k8sgpt-compat §4.3).

Request `{"model", "prompt", "options": {"language", "message", "temperature", "top_k", "top_p"}}`;
answer one JSON object `{"model", "created_at" (RFC 3339), "response"}` — never NDJSON.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from kubesage.llm.base import CompletionRequest
from kubesage.server.state import APIError, json_response
from kubesage.server.validation import FailureText, Name, Prompt

if TYPE_CHECKING:
    from fastapi import FastAPI

    from kubesage.server.answering import Answering
    from kubesage.server.state import ServerState


def rfc3339_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Options(BaseModel):
    model_config = ConfigDict(extra="allow")
    language: Name = "english"
    message: FailureText = ""
    temperature: float = 0.0
    top_k: int = 0
    top_p: float = 0.0


class CustomRestBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: Name = ""
    prompt: Prompt = ""
    options: Options = Field(default_factory=Options)


def register(app: FastAPI, state: ServerState, answering: Answering) -> None:
    @app.post("/completions")
    async def completions(body: CustomRestBody) -> Any:
        if not body.prompt.strip() and not body.options.message.strip():
            raise APIError(400, "prompt or options.message is required", param="prompt",
                           code="missing_required_parameter")  # fmt: skip
        result = await answering.complete(
            CompletionRequest(prompt=body.prompt, language=body.options.language, message=body.options.message)
        )
        return json_response({"model": body.model or state.model, "created_at": rfc3339_now(), "response": result.text})
