"""Ollama's native `POST /api/chat` with `tools` (function calls arrive as `message.tool_calls`), over the
httpx client the ollama backend configured."""

from __future__ import annotations

import json
from typing import Any

from kubesage.ask.providers import Message, ModelTurn
from kubesage.ask.toolbox import ToolCall, ToolDef, parse_arguments
from kubesage.llm.base import LLMError
from kubesage.llm.http import post_json
from kubesage.llm.ollama import OllamaBackend


class OllamaChat:
    name = "ollama"

    def __init__(self, backend: OllamaBackend) -> None:
        self.model = backend.model
        self._client = backend.sdk_client()
        self.url = backend.url.removesuffix("/api/generate") + "/api/chat"
        self._headers = backend.headers()
        provider = backend.provider
        self._temperature = float(provider.temperature)
        self._timeout = float(provider.timeout)
        self._secrets = list(backend.secrets())

    def turn(self, system: str, history: list[Message], tools: list[ToolDef] | None) -> ModelTurn:
        body: dict[str, Any] = {"model": self.model, "messages": messages(system, history), "stream": False,
                                "options": {"temperature": self._temperature}}  # fmt: skip
        if tools:
            body["tools"] = [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                               "parameters": t.schema}} for t in tools]  # fmt: skip
        data = post_json(self._client, self.name, self.url, content=json.dumps(body, ensure_ascii=False).encode(),
                         headers=self._headers, model=self.model, timeout=self._timeout,
                         secrets=self._secrets)  # fmt: skip
        msg = data.get("message") if isinstance(data, dict) else None
        if not isinstance(msg, dict):
            raise LLMError(f"ollama: unexpected answer from {self.url} (no `message` field)")
        calls: list[ToolCall] = []
        for i, tc in enumerate(msg.get("tool_calls") or ()):
            fn = tc.get("function") if isinstance(tc, dict) else None
            if isinstance(fn, dict) and fn.get("name"):
                args, raw = parse_arguments(fn.get("arguments"))
                calls.append(ToolCall(str(tc.get("id") or f"call_{i}"), str(fn["name"]), args, raw))
        return ModelTurn(str(msg.get("content") or ""), calls, int(data.get("prompt_eval_count") or 0),
                         int(data.get("eval_count") or 0))  # fmt: skip


def messages(system: str, history: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for m in history:
        if m.role == "user":
            out.append({"role": "user", "content": m.text})
        elif m.role == "assistant":
            entry: dict[str, Any] = {"role": "assistant", "content": m.text}
            if m.calls:
                entry["tool_calls"] = [{"function": {"name": c.name, "arguments": c.arguments or {}}}
                                       for c in m.calls]  # fmt: skip
            out.append(entry)
        else:
            out.extend({"role": "tool", "content": text, "tool_name": c.name} for c, text, _ in m.results)
    return out
