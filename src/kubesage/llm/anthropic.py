"""`anthropic`: the Messages API (`POST {baseurl}/v1/messages`) through the official SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesage.errors import KubesageError
from kubesage.llm.base import Completion, CompletionRequest, LLMError
from kubesage.llm.http import from_sdk_error, provider_headers
from kubesage.llm.registry import not_configured
from kubesage.llm.turns import chat_messages

if TYPE_CHECKING:
    import anthropic

    from kubesage.config import Config, ProviderConfig

DEFAULT_URL = "https://api.anthropic.com"
DEFAULT_MODEL = "claude-3-5-sonnet-latest"


def _base_url(url: str) -> str:
    base = (url or DEFAULT_URL).rstrip("/")
    for tail in ("/v1/messages", "/messages", "/v1"):
        if base.endswith(tail):
            return base[: -len(tail)]
    return base


class AnthropicBackend:
    name = "anthropic"

    def __init__(self, provider: ProviderConfig) -> None:
        import anthropic

        self.provider = provider
        self.model = provider.model or DEFAULT_MODEL
        self.base_url = _base_url(provider.baseurl)
        key = provider.api_key()
        if not key:
            raise KubesageError("anthropic: no API key; run `kubesage auth update -b anthropic -p KEY`")
        self._secrets = [key]
        self._client = anthropic.Anthropic(
            api_key=key,
            base_url=self.base_url,
            timeout=provider.timeout,
            max_retries=0,
            # This SDK generation sends the key as a Bearer token; proxies and older gateways want x-api-key.
            default_headers={"x-api-key": key, **provider_headers(provider)},
        )

    @classmethod
    def from_config(cls, provider: ProviderConfig | None, config: Config) -> AnthropicBackend:
        if provider is None:
            raise not_configured("anthropic")
        return cls(provider)

    def sdk_client(self) -> anthropic.Anthropic:
        """The official SDK client this backend configured (key, base URL, headers, timeout already set)."""
        return self._client

    def secrets(self) -> tuple[str, ...]:
        """The credentials to scrub from any error text built around this backend's calls."""
        return tuple(self._secrets)

    def complete(self, request: CompletionRequest) -> Completion:
        p = self.provider
        # This SDK generation has no typed sampling parameters; the API still accepts them.
        extra: dict[str, Any] = {"temperature": p.temperature}
        if p.topk > 0 and p.temperature > 0:
            extra["top_k"] = p.topk
        kwargs: dict[str, Any] = {}
        if request.system:
            kwargs["system"] = request.system
        if p.stopsequences:
            kwargs["stop_sequences"] = list(p.stopsequences)
        try:
            resp = self._client.messages.create(
                model=self.model,
                max_tokens=p.maxtokens if p.maxtokens > 0 else 2048,
                messages=chat_messages(request, system=False),  # type: ignore[arg-type]
                extra_body=extra,
                **kwargs,
            )
        except Exception as err:  # SDK exceptions -> one diagnosing line
            raise from_sdk_error(
                self.name,
                err,
                url=f"{self.base_url}/v1/messages",
                model=self.model,
                timeout=p.timeout,
                secrets=self._secrets,
            ) from None
        texts = [str(getattr(block, "text", "")) for block in resp.content if getattr(block, "type", "") == "text"]
        if not texts:
            raise LLMError("anthropic: the answer had no text")
        usage = resp.usage
        return Completion(
            text="\n".join(texts),
            prompt_tokens=int(getattr(usage, "input_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "output_tokens", 0) or 0),
        )
