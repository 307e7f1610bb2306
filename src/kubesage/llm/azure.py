"""`azureopenai`: Azure OpenAI chat completions through the official SDK's AzureOpenAI client.

URL: `{baseurl}/openai/deployments/{engine}/chat/completions?api-version=...`, key in the
`api-key` header (or a Bearer token with `azureapitype: AZURE_AD`). Only temperature is sent,
as k8sgpt does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubesage.errors import KubesageError
from kubesage.llm.base import Completion, CompletionRequest, LLMError
from kubesage.llm.http import from_sdk_error, provider_headers
from kubesage.llm.registry import not_configured
from kubesage.llm.turns import chat_messages

if TYPE_CHECKING:
    import openai

    from kubesage.config import Config, ProviderConfig

DEFAULT_API_VERSION = "2024-10-21"


class AzureOpenAIBackend:
    name = "azureopenai"

    def __init__(self, provider: ProviderConfig) -> None:
        import openai

        if not provider.baseurl or not provider.engine:
            raise KubesageError(
                "azureopenai needs --baseurl (https://<resource>.openai.azure.com) and --engine (the deployment name)"
            )
        self.provider = provider
        self.model = provider.model or provider.engine
        self.engine = provider.engine
        self.api_version = provider.azureapiversion or DEFAULT_API_VERSION
        self.endpoint = provider.baseurl.rstrip("/")
        key = provider.api_key()
        if not key:
            raise KubesageError("azureopenai: no API key; run `kubesage auth update -b azureopenai -p KEY`")
        self._secrets = [key]
        ad = provider.azureapitype.upper() == "AZURE_AD"
        self._client = openai.AzureOpenAI(
            api_key=None if ad else key,
            azure_ad_token=key if ad else None,
            azure_endpoint=self.endpoint,
            azure_deployment=self.engine,
            api_version=self.api_version,
            organization=provider.organizationid or None,
            timeout=provider.timeout,
            max_retries=0,
            default_headers=provider_headers(provider) or None,
        )

    @classmethod
    def from_config(cls, provider: ProviderConfig | None, config: Config) -> AzureOpenAIBackend:
        if provider is None:
            raise not_configured("azureopenai")
        return cls(provider)

    def sdk_client(self) -> openai.AzureOpenAI:
        """The official SDK client this backend configured (key, base URL, headers, timeout already set)."""
        return self._client

    def secrets(self) -> tuple[str, ...]:
        """The credentials to scrub from any error text built around this backend's calls."""
        return tuple(self._secrets)

    def complete(self, request: CompletionRequest) -> Completion:
        url = f"{self.endpoint}/openai/deployments/{self.engine}/chat/completions?api-version={self.api_version}"
        try:
            resp = self._client.chat.completions.create(
                model=self.engine,
                messages=chat_messages(request),  # type: ignore[arg-type]
                temperature=self.provider.temperature,
            )
        except Exception as err:  # SDK exceptions -> one diagnosing line
            raise from_sdk_error(
                self.name, err, url=url, model=self.engine, timeout=self.provider.timeout, secrets=self._secrets
            ) from None
        if not resp.choices:
            raise LLMError("azureopenai: the answer had no choices")
        usage = resp.usage
        return Completion(
            text=resp.choices[0].message.content or "",
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
        )
