"""The tool-calling adapters reuse the SDK client each llm backend configured, through its public accessor."""

from __future__ import annotations

import anthropic
import httpx
import openai
from google import genai

from kubesage.ask.providers import tool_model
from kubesage.ask.providers.anthropic_messages import AnthropicMessages
from kubesage.ask.providers.gemini import GeminiChat
from kubesage.ask.providers.ollama_chat import OllamaChat
from kubesage.ask.providers.openai_chat import OpenAIChat
from kubesage.config import ProviderConfig
from kubesage.llm.anthropic import AnthropicBackend
from kubesage.llm.azure import AzureOpenAIBackend
from kubesage.llm.base import Completion, CompletionRequest
from kubesage.llm.google import GoogleBackend
from kubesage.llm.ollama import OllamaBackend
from kubesage.llm.openai import OpenAIBackend

KEY = "sk-test-0123456789"


def test_openai_and_azure_adapters_share_the_backend_client() -> None:
    local = OpenAIBackend(ProviderConfig(name="localai", baseurl="http://127.0.0.1:9/v1", model="m"), "localai")
    assert isinstance(local.sdk_client(), openai.OpenAI)
    assert str(local.sdk_client().base_url).rstrip("/") == "http://127.0.0.1:9/v1"
    model = tool_model(local)
    assert isinstance(model, OpenAIChat) and model.model == "m"
    assert model._client is local.sdk_client()

    azure = AzureOpenAIBackend(ProviderConfig(name="azureopenai", baseurl="https://r.example", engine="dep",
                                              password=KEY))  # fmt: skip
    assert isinstance(azure.sdk_client(), openai.AzureOpenAI)
    assert azure.secrets() == (KEY,)
    model = tool_model(azure)
    assert isinstance(model, OpenAIChat) and model.model == "dep"  # Azure takes the deployment as the model
    assert model._client is azure.sdk_client() and model._secrets == [KEY]


def test_anthropic_google_ollama_adapters_share_the_backend_client() -> None:
    claude = AnthropicBackend(ProviderConfig(name="anthropic", baseurl="http://127.0.0.1:9", password=KEY))
    assert isinstance(claude.sdk_client(), anthropic.Anthropic)
    model = tool_model(claude)
    assert isinstance(model, AnthropicMessages) and model._client is claude.sdk_client()
    assert model._url == "http://127.0.0.1:9/v1/messages" and model._secrets == [KEY]

    gemini = GoogleBackend(ProviderConfig(name="google", baseurl="http://127.0.0.1:9", password=KEY))
    assert isinstance(gemini.sdk_client(), genai.Client)
    model = tool_model(gemini)
    assert isinstance(model, GeminiChat) and model._client is gemini.sdk_client()

    ollama = OllamaBackend(ProviderConfig(name="ollama", baseurl="http://127.0.0.1:9/v1", password=KEY))
    assert isinstance(ollama.sdk_client(), httpx.Client)
    assert ollama.headers()["Authorization"] == f"Bearer {KEY}"
    ollama.headers()["Authorization"] = "changed"  # a copy: the backend's own headers stay
    assert ollama.headers()["Authorization"] == f"Bearer {KEY}"
    model = tool_model(ollama)
    assert isinstance(model, OllamaChat) and model._client is ollama.sdk_client()
    assert model.url == "http://127.0.0.1:9/api/chat"


class _Renamed:
    """A backend that merely calls itself `openai` (a wrapper, say) has no SDK client to borrow."""

    name = "openai"
    model = "m"

    def complete(self, request: CompletionRequest) -> Completion:
        return Completion(text=request.prompt)


def test_a_backend_without_an_sdk_client_gets_no_tool_model() -> None:
    assert tool_model(_Renamed()) is None
