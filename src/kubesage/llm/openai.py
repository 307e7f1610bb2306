"""`openai` and `localai`: OpenAI Chat Completions through the official SDK.

`localai` is the same client pointed at any OpenAI-compatible server (LocalAI, vLLM,
llama.cpp server, LiteLLM); it needs no key. The SDK's own retries are off: the explain
pipeline's retry policy is the only one.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from kubesage.errors import KubesageError
from kubesage.llm.base import Completion, CompletionRequest, LLMError
from kubesage.llm.http import from_sdk_error, provider_headers
from kubesage.llm.turns import chat_messages

if TYPE_CHECKING:
    import openai

    from kubesage.config import Config, ProviderConfig

OPENAI_URL = "https://api.openai.com/v1"
LOCALAI_URL = "http://localhost:8080/v1"
DEFAULT_MODEL = "gpt-4o"


class OpenAIBackend:
    def __init__(self, provider: ProviderConfig, name: str = "openai") -> None:
        import openai

        self.name = name
        self.model = provider.model or DEFAULT_MODEL
        self.provider = provider
        self.base_url = (provider.baseurl or (LOCALAI_URL if name == "localai" else OPENAI_URL)).rstrip("/")
        key = provider.api_key() or (os.environ.get("OPENAI_API_KEY", "") if name == "openai" else "")
        if not key and name == "openai":
            raise KubesageError("openai: no API key; run `kubesage auth update -b openai -p KEY` or set passwordEnv")
        self._secrets = [key]
        self._client = openai.OpenAI(
            api_key=key or "unused",
            base_url=self.base_url,
            organization=provider.organizationid or None,
            timeout=provider.timeout,
            max_retries=0,
            default_headers=provider_headers(provider) or None,
        )

    @classmethod
    def from_config(cls, provider: ProviderConfig | None, config: Config) -> OpenAIBackend:
        from kubesage.config import ProviderConfig

        return cls(provider or ProviderConfig(name="openai"), "openai")

    def sdk_client(self) -> openai.OpenAI:
        """The official SDK client this backend configured (key, base URL, headers, timeout already set)."""
        return self._client

    def secrets(self) -> tuple[str, ...]:
        """The credentials to scrub from any error text built around this backend's calls."""
        return tuple(self._secrets)

    def _params(self) -> dict[str, Any]:
        p = self.provider
        params: dict[str, Any] = {"temperature": p.temperature, "top_p": p.topp}
        if self.name == "localai":
            params["max_tokens"] = p.maxtokens
        else:
            params.update(max_completion_tokens=p.maxtokens, presence_penalty=0, frequency_penalty=0)
        return params

    def complete(self, request: CompletionRequest) -> Completion:
        try:
            resp = self._client.chat.completions.create(
                model=self.model,
                messages=chat_messages(request),  # type: ignore[arg-type]
                **self._params(),
            )
        except Exception as err:  # SDK exceptions -> one diagnosing line
            raise from_sdk_error(
                self.name,
                err,
                url=f"{self.base_url}/chat/completions",
                model=self.model,
                timeout=self.provider.timeout,
                secrets=self._secrets,
            ) from None
        if not resp.choices:
            raise LLMError(f"{self.name}: the answer had no choices")
        usage = resp.usage
        return Completion(
            text=resp.choices[0].message.content or "",
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
        )


class LocalAIBackend(OpenAIBackend):
    @classmethod
    def from_config(cls, provider: ProviderConfig | None, config: Config) -> LocalAIBackend:
        from kubesage.config import ProviderConfig

        return cls(provider or ProviderConfig(name="localai"), "localai")
