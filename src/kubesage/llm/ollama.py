"""`ollama`: Ollama's native `POST {baseurl}/api/generate` with `stream: false`, over httpx."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kubesage.llm.base import Completion, CompletionRequest, LLMError
from kubesage.llm.http import post_json, provider_headers
from kubesage.llm.turns import flat_prompt

if TYPE_CHECKING:
    import httpx

    from kubesage.config import Config, ProviderConfig

DEFAULT_URL = "http://localhost:11434"
DEFAULT_MODEL = "llama3"


class OllamaBackend:
    name = "ollama"

    def __init__(self, provider: ProviderConfig) -> None:
        import httpx

        self.provider = provider
        self.model = provider.model or DEFAULT_MODEL
        base = (provider.baseurl or DEFAULT_URL).rstrip("/")
        # People paste the OpenAI-compatible URL (`.../v1`) or the full path; both mean the same server.
        for tail in ("/api/generate", "/v1"):
            if base.endswith(tail):
                base = base[: -len(tail)]
        self.url = f"{base}/api/generate"
        self._headers = {"Content-Type": "application/json", **provider_headers(provider)}
        key = provider.api_key()
        if key:
            self._headers["Authorization"] = f"Bearer {key}"
        self._secrets = [key]
        self._client = httpx.Client(proxy=provider.proxy_endpoint or None, trust_env=not provider.proxy_endpoint)

    @classmethod
    def from_config(cls, provider: ProviderConfig | None, config: Config) -> OllamaBackend:
        from kubesage.config import ProviderConfig

        return cls(provider or ProviderConfig(name="ollama"))

    def sdk_client(self) -> httpx.Client:
        """The httpx client this backend configured (key, base URL, headers, timeout already set)."""
        return self._client

    def secrets(self) -> tuple[str, ...]:
        """The credentials to scrub from any error text built around this backend's calls."""
        return tuple(self._secrets)

    def headers(self) -> dict[str, str]:
        """A copy of the request headers (content type, the provider's headers, the bearer key if any)."""
        return dict(self._headers)

    def complete(self, request: CompletionRequest) -> Completion:
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": flat_prompt(request),
            "stream": False,
            "options": {"temperature": self.provider.temperature, "top_p": self.provider.topp},
        }
        if request.system:
            body["system"] = request.system
        data = post_json(
            self._client,
            self.name,
            self.url,
            content=json.dumps(body, ensure_ascii=False).encode(),
            headers=self._headers,
            model=self.model,
            timeout=self.provider.timeout,
            secrets=self._secrets,
        )
        if not isinstance(data, dict) or not isinstance(data.get("response"), str):
            raise LLMError(f"ollama: unexpected answer from {self.url} (no `response` field)")
        return Completion(
            text=data["response"],
            prompt_tokens=int(data.get("prompt_eval_count") or 0),
            completion_tokens=int(data.get("eval_count") or 0),
        )
