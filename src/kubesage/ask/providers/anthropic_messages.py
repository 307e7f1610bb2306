"""Anthropic Messages tool use (`tools`, `tool_use` blocks, `tool_result` blocks) through the SDK client
the anthropic backend configured."""

from __future__ import annotations

from typing import Any

from kubesage.ask.providers import Message, ModelTurn
from kubesage.ask.toolbox import ToolCall, ToolDef, parse_arguments
from kubesage.llm.anthropic import AnthropicBackend
from kubesage.llm.http import from_sdk_error


class AnthropicMessages:
    name = "anthropic"

    def __init__(self, backend: AnthropicBackend) -> None:
        self.model = backend.model
        self._client = backend.sdk_client()
        provider = backend.provider
        self._temperature = float(provider.temperature)
        self._max_tokens = int(provider.maxtokens) if provider.maxtokens > 0 else 2048
        self._timeout = float(provider.timeout)
        self._url = backend.base_url + "/v1/messages"
        self._secrets = list(backend.secrets())
        self._last_tools: list[ToolDef] = []

    def turn(self, system: str, history: list[Message], tools: list[ToolDef] | None) -> ModelTurn:
        kwargs: dict[str, Any] = {}
        final = tools is None and any(m.calls for m in history)
        tools = tools if tools is not None else (self._last_tools if final else None)
        if final and tools:  # the API wants the tools defined while tool_use blocks are in the history
            kwargs["tool_choice"] = {"type": "none"}
        if tools:
            self._last_tools = tools
            kwargs["tools"] = [{"name": t.name, "description": t.description, "input_schema": t.schema}
                               for t in tools]  # fmt: skip
        try:
            resp = self._client.messages.create(
                model=self.model, max_tokens=self._max_tokens, system=system,
                messages=messages(history),  # type: ignore[arg-type]  # plain dicts of the wire format
                extra_body={"temperature": self._temperature}, **kwargs,
            )  # fmt: skip
        except Exception as err:  # SDK exceptions -> one diagnosing line
            raise from_sdk_error(self.name, err, url=self._url, model=self.model, timeout=self._timeout,
                                 secrets=self._secrets) from None  # fmt: skip
        texts: list[str] = []
        calls: list[ToolCall] = []
        for block in resp.content:
            if block.type == "text":
                texts.append(block.text)
            elif block.type == "tool_use":
                args, raw = parse_arguments(block.input)
                calls.append(ToolCall(block.id, block.name, args, raw))
        usage = resp.usage
        return ModelTurn("\n".join(texts), calls, int(getattr(usage, "input_tokens", 0) or 0),
                         int(getattr(usage, "output_tokens", 0) or 0))  # fmt: skip


def messages(history: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in history:
        if m.role == "user" and out and out[-1]["role"] == "user" and isinstance(out[-1]["content"], list):
            out[-1]["content"].append({"type": "text", "text": m.text})  # roles must alternate
        elif m.role == "user":
            out.append({"role": "user", "content": m.text})
        elif m.role == "assistant":
            content: list[dict[str, Any]] = [{"type": "text", "text": m.text}] if m.text else []
            content.extend({"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments or {}}
                           for c in m.calls)  # fmt: skip
            out.append({"role": "assistant", "content": content or m.text})
        else:
            out.append({"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": c.id, "content": text, "is_error": error}
                for c, text, error in m.results
            ]})  # fmt: skip
    return out
