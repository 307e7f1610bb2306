"""OpenAI Chat Completions tool calling (`tools`, `tool_calls`, `role: tool`) for openai, localai and
azureopenai, through the official SDK client the backend configured."""

from __future__ import annotations

from typing import Any

from kubesage.ask.providers import Message, ModelTurn
from kubesage.ask.toolbox import ToolCall, ToolDef, parse_arguments
from kubesage.llm.azure import AzureOpenAIBackend
from kubesage.llm.base import LLMError
from kubesage.llm.http import from_sdk_error
from kubesage.llm.openai import OpenAIBackend


class OpenAIChat:
    def __init__(self, backend: OpenAIBackend | AzureOpenAIBackend) -> None:
        self.backend = backend
        self.name = backend.name
        # Azure routes by deployment; the engine is what it takes as the model.
        self.model = backend.engine if isinstance(backend, AzureOpenAIBackend) else backend.model
        self._client = backend.sdk_client()
        provider = backend.provider
        self._temperature = float(provider.temperature)
        self._max_tokens = int(provider.maxtokens) if provider.maxtokens > 0 else 2048
        self._timeout = float(provider.timeout)
        self._secrets = list(backend.secrets())
        self._last_tools: list[ToolDef] = []

    def turn(self, system: str, history: list[Message], tools: list[ToolDef] | None) -> ModelTurn:
        params: dict[str, Any] = {"model": self.model, "messages": messages(system, history),
                                  "temperature": self._temperature}  # fmt: skip
        if self.name == "openai":
            params["max_completion_tokens"] = self._max_tokens
        elif self.name == "localai":
            params["max_tokens"] = self._max_tokens
        final = tools is None and any(m.calls for m in history)
        tools = tools if tools is not None else (self._last_tools if final else None)
        if tools:
            self._last_tools = tools
            if final:
                params["tool_choice"] = "none"
            params["tools"] = [
                {"type": "function", "function": {"name": t.name, "description": t.description,
                                                  "parameters": t.schema}}
                for t in tools
            ]
        try:
            resp = self._client.chat.completions.create(**params)
        except Exception as err:  # SDK exceptions -> one diagnosing line
            raise from_sdk_error(self.name, err, url=str(self._client.base_url), model=self.model,
                                 timeout=self._timeout, secrets=self._secrets) from None  # fmt: skip
        if not resp.choices:
            raise LLMError(f"{self.name}: the answer had no choices")
        msg = resp.choices[0].message
        calls: list[ToolCall] = []
        for i, tc in enumerate(msg.tool_calls or ()):
            fn = getattr(tc, "function", None)
            if fn is None:
                continue
            args, raw = parse_arguments(fn.arguments)
            calls.append(ToolCall(tc.id or f"call_{i}", fn.name, args, raw))
        usage = resp.usage
        return ModelTurn(msg.content or "", calls, usage.prompt_tokens if usage else 0,
                         usage.completion_tokens if usage else 0)  # fmt: skip


def messages(system: str, history: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for m in history:
        if m.role == "user":
            out.append({"role": "user", "content": m.text})
        elif m.role == "assistant":
            entry: dict[str, Any] = {"role": "assistant", "content": m.text or None}
            if m.calls:
                entry["tool_calls"] = [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.raw or "{}"}}
                    for c in m.calls
                ]
            out.append(entry)
        else:
            out.extend({"role": "tool", "tool_call_id": c.id, "content": text} for c, text, _ in m.results)
    return out
