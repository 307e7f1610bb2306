"""`noop` (k8sgpt's `noopai`): answers without any model, for wiring tests and dry runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubesage.llm.base import Completion, CompletionRequest

if TYPE_CHECKING:
    from kubesage.config import Config, ProviderConfig

NOOP_TEXT = "I am a noop response to the prompt "


class NoopBackend:
    def __init__(self, name: str = "noopai") -> None:
        self.name = name
        self.model = ""

    @classmethod
    def from_config(cls, provider: ProviderConfig | None, config: Config) -> NoopBackend:
        return cls(provider.name if provider else "noopai")

    def complete(self, request: CompletionRequest) -> Completion:
        return Completion(text=NOOP_TEXT + request.prompt)
