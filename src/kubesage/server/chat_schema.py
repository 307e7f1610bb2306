"""The Chat Completions request as OpenAI defines it: every documented parameter is known, each one is
either honoured or refused with a 400 that says why; unknown parameters are refused as OpenAI does.

Honoured: messages, model (echoed), stream, stream_options.include_usage, n, max_tokens /
max_completion_tokens, stop, response_format (text, json_object, json_schema), seed, user, metadata,
store, tool_choice "none" (with or without tools), and `language` (a kubesage extension).
Accepted with no effect because answers are deterministic: temperature, top_p, presence_penalty,
frequency_penalty, service_tier, reasoning_effort, verbosity, prompt_cache_key, safety_identifier,
parallel_tool_calls. Refused: tools that could be called, functions, logprobs, logit_bias, audio,
prediction, web_search_options, non-text content parts.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kubesage.server import limits
from kubesage.server.state import APIError
from kubesage.server.validation import FailureText, Name, Prompt, StopText


class TextPart(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    type: str
    text: Prompt = ""

    @model_validator(mode="after")
    def _text_only(self) -> TextPart:
        if self.type != "text":
            raise ValueError(f"content parts of type {self.type!r} are not supported; kubesage reads text only")
        return self


class Message(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Prompt | Annotated[list[TextPart], Field(max_length=limits.MAX_MESSAGES)] | None = None
    name: Name | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        if isinstance(self.content, list):
            return "".join(p.text for p in self.content)
        return ""


class JSONSchemaFormat(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: Name
    description: FailureText | None = None
    schema_: dict[str, Any] = Field(default_factory=dict, alias="schema")
    strict: bool | None = None


class ResponseFormat(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JSONSchemaFormat | None = None

    @model_validator(mode="after")
    def _schema_given(self) -> ResponseFormat:
        if self.type == "json_schema" and self.json_schema is None:
            raise ValueError("type json_schema needs a json_schema object")
        return self


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    include_usage: bool = False
    include_obfuscation: bool | None = None


Unit = Annotated[float, Field(ge=0, le=1)]
Penalty = Annotated[float, Field(ge=-2, le=2)]


class ChatBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)
    model: Name = ""
    messages: Annotated[list[Message], Field(min_length=1, max_length=limits.MAX_MESSAGES)]
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    n: Annotated[int, Field(ge=1, le=limits.MAX_N)] | None = 1
    max_tokens: Annotated[int, Field(ge=1)] | None = None
    max_completion_tokens: Annotated[int, Field(ge=1)] | None = None
    stop: StopText | Annotated[list[StopText], Field(max_length=limits.MAX_STOP)] | None = None
    response_format: ResponseFormat | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Unit | None = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None
    seed: int | None = None
    user: Name | None = None
    metadata: dict[Name, Name] | None = None
    store: bool | None = None
    service_tier: Name | None = None
    reasoning_effort: Name | None = None
    verbosity: Name | None = None
    prompt_cache_key: Name | None = None
    safety_identifier: Name | None = None
    parallel_tool_calls: bool | None = None
    modalities: list[Literal["text"]] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: Literal["none", "auto", "required"] | dict[str, Any] | None = None
    functions: list[dict[str, Any]] | None = None
    function_call: Literal["none", "auto"] | dict[str, Any] | None = None
    logprobs: bool | None = None
    top_logprobs: Annotated[int, Field(ge=0, le=20)] | None = None
    logit_bias: dict[str, Annotated[float, Field(ge=-100, le=100)]] | None = None
    audio: dict[str, Any] | None = None
    prediction: dict[str, Any] | None = None
    web_search_options: dict[str, Any] | None = None
    language: Name = "auto"
    """kubesage extension: the answer's language (default: that of the question)."""

    def stop_list(self) -> list[str]:
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else [s for s in self.stop if s]

    def token_limit(self) -> int | None:
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens

    def refuse_unsupported(self) -> None:
        """400 for what kubesage cannot do, instead of quietly not doing it."""
        if self.tools and self.tool_choice != "none":
            raise APIError(400, "tools are not supported: kubesage answers from its knowledge base and never calls "
                           "functions; remove 'tools' or set tool_choice to \"none\"", param="tools",
                           code="unsupported_parameter")  # fmt: skip
        if isinstance(self.tool_choice, dict) or self.tool_choice == "required":
            raise APIError(400, "tool_choice other than \"none\" or \"auto\" is not supported: kubesage never calls "
                           "functions", param="tool_choice", code="unsupported_parameter")  # fmt: skip
        if self.functions or (self.function_call not in (None, "none")):
            raise APIError(400, "functions are not supported: kubesage answers from its knowledge base and never "
                           "calls functions", param="functions", code="unsupported_parameter")  # fmt: skip
        if self.logprobs or self.top_logprobs:
            raise APIError(400, "logprobs are not available: kubesage's answers do not come from sampled tokens",
                           param="logprobs", code="unsupported_parameter")  # fmt: skip
        if self.logit_bias:
            raise APIError(400, "logit_bias is not supported: kubesage's answers do not come from sampled tokens",
                           param="logit_bias", code="unsupported_parameter")  # fmt: skip
        for name in ("audio", "prediction", "web_search_options"):
            if getattr(self, name) is not None:
                raise APIError(400, f"{name} is not supported by kubesage", param=name, code="unsupported_parameter")
        if self.stream_options is not None and not self.stream:
            raise APIError(400, "stream_options is only allowed when stream is true", param="stream_options",
                           code="invalid_value")  # fmt: skip
