"""Gemini function calling (`functionDeclarations`, `functionCall`, `functionResponse` parts) through the
google-genai client the google backend configured."""

from __future__ import annotations

from typing import Any

from kubesage.ask.providers import Message, ModelTurn
from kubesage.ask.toolbox import ToolCall, ToolDef, parse_arguments
from kubesage.llm.base import LLMError
from kubesage.llm.google import GoogleBackend
from kubesage.llm.http import from_sdk_error


class GeminiChat:
    name = "google"

    def __init__(self, backend: GoogleBackend) -> None:
        from google.genai import types

        self._t = types
        self.model = backend.model
        self._client = backend.sdk_client()
        provider = backend.provider
        self._temperature = float(provider.temperature)
        self._max_tokens = int(provider.maxtokens) if provider.maxtokens > 0 else None
        self._timeout = float(provider.timeout)
        self._url = f"{backend.base_url}/v1beta/models/{self.model}:generateContent"
        self._secrets = list(backend.secrets())
        self._last_tools: list[ToolDef] = []

    def turn(self, system: str, history: list[Message], tools: list[ToolDef] | None) -> ModelTurn:
        t = self._t
        final = tools is None and any(m.calls for m in history)
        tools = tools if tools is not None else (self._last_tools if final else None)
        if tools:
            self._last_tools = tools
        mode = t.FunctionCallingConfigMode.NONE if final else t.FunctionCallingConfigMode.AUTO
        config = t.GenerateContentConfig(
            system_instruction=system,
            temperature=self._temperature,
            max_output_tokens=self._max_tokens,
            tools=[t.Tool(function_declarations=[
                t.FunctionDeclaration(name=d.name, description=d.description, parameters_json_schema=d.schema)
                for d in tools
            ])] if tools else None,
            tool_config=t.ToolConfig(function_calling_config=t.FunctionCallingConfig(mode=mode)) if tools else None,
            automatic_function_calling=t.AutomaticFunctionCallingConfig(disable=True),
        )  # fmt: skip
        try:
            resp = self._client.models.generate_content(model=self.model, contents=self._contents(history),
                                                        config=config)  # fmt: skip
        except Exception as err:  # SDK exceptions -> one diagnosing line
            raise from_sdk_error(self.name, err, url=self._url, model=self.model, timeout=self._timeout,
                                 secrets=self._secrets) from None  # fmt: skip
        texts: list[str] = []
        calls: list[ToolCall] = []
        for cand in (resp.candidates or [])[:1]:
            for i, part in enumerate((cand.content.parts if cand.content else None) or ()):
                if part.function_call is not None:
                    fc = part.function_call
                    args, raw = parse_arguments(fc.args or {})
                    calls.append(ToolCall(fc.id or f"{fc.name}-{i}", str(fc.name), args, raw))
                elif part.text and not part.thought:
                    texts.append(part.text)
        if not texts and not calls and not resp.candidates:
            raise LLMError("google: the answer had no candidates")
        usage = resp.usage_metadata
        return ModelTurn("".join(texts), calls, int(getattr(usage, "prompt_token_count", 0) or 0),
                         int(getattr(usage, "candidates_token_count", 0) or 0))  # fmt: skip

    def _contents(self, history: list[Message]) -> list[Any]:
        t = self._t
        out: list[Any] = []
        for m in history:
            if m.role == "user":
                out.append(t.Content(role="user", parts=[t.Part(text=m.text)]))
            elif m.role == "assistant":
                parts = [t.Part(text=m.text)] if m.text else []
                parts.extend(t.Part(function_call=t.FunctionCall(id=c.id, name=c.name, args=c.arguments or {}))
                             for c in m.calls)  # fmt: skip
                out.append(t.Content(role="model", parts=parts))
            else:
                out.append(t.Content(role="user", parts=[
                    t.Part(function_response=t.FunctionResponse(
                        id=c.id, name=c.name, response={"error": text} if error else {"output": text}))
                    for c, text, error in m.results
                ]))  # fmt: skip
        return out
