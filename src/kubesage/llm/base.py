"""The one interface every LLM backend implements.

Backends are synchronous and thread-safe: the explain pipeline runs them in a bounded
thread pool, the server in FastAPI's worker threads. A backend never sees a snapshot,
only text that the pipeline has already masked when `--anonymize` is on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from kubesage.errors import KubesageError
from kubesage.untrusted import DATA_INSTRUCTION


@dataclass(frozen=True)
class CompletionRequest:
    prompt: str
    """The filled prompt template: exactly what k8sgpt would send."""
    language: str = "english"
    message: str = ""
    """The failure texts of one result joined by a single space (customrest `options.message`)."""
    kind: str = ""
    """Result kind the prompt is about ("" for free-form questions)."""
    history: tuple[tuple[str, str], ...] = ()
    """Earlier (role, content) turns, for interactive chat; roles are "user" / "assistant"."""
    system: str = DATA_INSTRUCTION
    """The system instruction, sent in the provider's system slot: by default, that fenced cluster
    text is data, never instructions. customrest (k8sgpt's wire format), kb and noop ignore it."""


@dataclass(frozen=True)
class Source:
    """A cited knowledge-base document."""

    title: str
    source: str
    doc_id: str = ""
    score: float = 0.0


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    sources: tuple[Source, ...] = field(default_factory=tuple)
    refused: bool = False
    """True when the answer is the "I don't know" refusal (RAG below threshold)."""


class LLMError(KubesageError):
    """A backend call failed. `retryable` marks 429, 5xx, timeouts and connection resets."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


@runtime_checkable
class Backend(Protocol):
    name: str
    """Backend id, e.g. "openai", "kb"."""
    model: str

    def complete(self, request: CompletionRequest) -> Completion: ...
