"""Native tool calling per provider, on the SDK clients the llm backends already configured."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from kubesage.ask.toolbox import ToolCall, ToolDef

if TYPE_CHECKING:
    from kubesage.llm.base import Backend


@dataclass
class Message:
    """One turn in provider-neutral form."""

    role: str
    """user, assistant or tool."""
    text: str = ""
    calls: list[ToolCall] = field(default_factory=list)
    results: list[tuple[ToolCall, str, bool]] = field(default_factory=list)
    """For role=tool: (call, output as the model sees it, is_error)."""


@dataclass
class ModelTurn:
    text: str
    calls: list[ToolCall]
    prompt_tokens: int = 0
    completion_tokens: int = 0


class ToolModel(Protocol):
    name: str
    model: str

    def turn(self, system: str, history: list[Message], tools: list[ToolDef] | None) -> ModelTurn: ...


def tool_model(backend: Backend) -> ToolModel | None:
    """A tool-calling adapter for `backend`, or None when its provider has no tool calling.
    The adapters reuse the SDK client the backend configured (`sdk_client()`)."""
    from kubesage.llm.anthropic import AnthropicBackend
    from kubesage.llm.azure import AzureOpenAIBackend
    from kubesage.llm.google import GoogleBackend
    from kubesage.llm.ollama import OllamaBackend
    from kubesage.llm.openai import OpenAIBackend

    if isinstance(backend, OpenAIBackend | AzureOpenAIBackend):
        from kubesage.ask.providers.openai_chat import OpenAIChat

        return OpenAIChat(backend)
    if isinstance(backend, AnthropicBackend):
        from kubesage.ask.providers.anthropic_messages import AnthropicMessages

        return AnthropicMessages(backend)
    if isinstance(backend, GoogleBackend):
        from kubesage.ask.providers.gemini import GeminiChat

        return GeminiChat(backend)
    if isinstance(backend, OllamaBackend):
        from kubesage.ask.providers.ollama_chat import OllamaChat

        return OllamaChat(backend)
    return None
