"""`google`: Gemini `models/{model}:generateContent` through the official google-genai SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesage.errors import KubesageError
from kubesage.llm.base import Completion, CompletionRequest, LLMError
from kubesage.llm.http import from_sdk_error, provider_headers
from kubesage.llm.registry import not_configured

if TYPE_CHECKING:
    from google import genai

    from kubesage.config import Config, ProviderConfig

DEFAULT_URL = "https://generativelanguage.googleapis.com"
DEFAULT_MODEL = "gemini-2.5-flash"


class GoogleBackend:
    name = "google"

    def __init__(self, provider: ProviderConfig) -> None:
        from google import genai
        from google.genai import types

        self.provider = provider
        self.model = provider.model or DEFAULT_MODEL
        self.base_url = (provider.baseurl or DEFAULT_URL).rstrip("/")
        key = provider.api_key()
        if not key:
            raise KubesageError("google: no API key; run `kubesage auth update -b google -p KEY`")
        self._secrets = [key]
        self._types = types
        self._client = genai.Client(
            api_key=key,
            http_options=types.HttpOptions(
                base_url=self.base_url + "/",
                api_version="v1beta",
                timeout=int(provider.timeout * 1000),
                headers=provider_headers(provider) or None,
            ),
        )

    @classmethod
    def from_config(cls, provider: ProviderConfig | None, config: Config) -> GoogleBackend:
        if provider is None:
            raise not_configured("google")
        return cls(provider)

    def sdk_client(self) -> genai.Client:
        """The official SDK client this backend configured (key, base URL, headers, timeout already set)."""
        return self._client

    def secrets(self) -> tuple[str, ...]:
        """The credentials to scrub from any error text built around this backend's calls."""
        return tuple(self._secrets)

    def complete(self, request: CompletionRequest) -> Completion:
        t = self._types
        p = self.provider
        contents: list[Any] = [
            t.Content(role="model" if role == "assistant" else "user", parts=[t.Part(text=text)])
            for role, text in request.history
        ]
        contents.append(t.Content(role="user", parts=[t.Part(text=request.prompt)]))
        config = t.GenerateContentConfig(
            temperature=p.temperature,
            top_p=p.topp,
            top_k=p.topk or None,
            max_output_tokens=p.maxtokens or None,
            stop_sequences=list(p.stopsequences) or None,
            system_instruction=request.system or None,
        )
        try:
            resp = self._client.models.generate_content(model=self.model, contents=contents, config=config)
        except Exception as err:  # SDK exceptions -> one diagnosing line
            raise from_sdk_error(
                self.name,
                err,
                url=f"{self.base_url}/v1beta/models/{self.model}:generateContent",
                model=self.model,
                timeout=p.timeout,
                secrets=self._secrets,
            ) from None
        texts: list[str] = []
        for cand in (resp.candidates or [])[:1]:
            for part in (cand.content.parts if cand.content else None) or ():
                if part.text and not part.thought:
                    texts.append(part.text)
        if not texts:
            feedback = resp.prompt_feedback
            reason = getattr(feedback, "block_reason", None) if feedback else None
            if reason:
                raise LLMError(f"google: the prompt was blocked by safety filters ({reason})")
            raise LLMError("google: the answer had no text")
        usage = resp.usage_metadata
        return Completion(
            text="".join(texts),
            prompt_tokens=int(getattr(usage, "prompt_token_count", 0) or 0),
            completion_tokens=int(getattr(usage, "candidates_token_count", 0) or 0),
        )
