"""The embedded offline backend `kb`: answers from the knowledge base, no LLM needed."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from kubesage.llm.base import Backend, Completion, CompletionRequest


def _kb_version(kb: Any) -> str:
    gen = kb.generation_dir()
    ident = f"{Path(kb.path).resolve()}:{gen.name if gen else ''}"
    return hashlib.sha256(ident.encode()).hexdigest()[:12]


class KBBackend:
    """Retrieves runbook sections for the failure text and composes a cited `Error: … Solution: …`
    answer, or "I don't know" / "我不知道" below the relevance threshold. With `upstream` set, that
    backend writes the answer from the talk's RAG prompt instead."""

    name = "kb"

    def __init__(self, answerer: Any, model: str = "kubesage-kb", cache_version: str = "") -> None:
        self._answerer = answerer
        self.model = model
        self.cache_version = cache_version
        """Changes with the KB generation, so cached explanations expire when the KB changes."""

    @classmethod
    def from_config(cls, provider: Any = None, config: Any = None, *, kb_path: str | None = None,
                    upstream: Backend | None = None) -> KBBackend:  # fmt: skip
        """Build from an `ai.providers[]` entry (its `baseurl` may name a KB directory) and the config's `kb:`."""
        from kubesage.rag.answer import Answerer
        from kubesage.rag.retrieve import Retriever
        from kubesage.rag.starter import open_kb, settings

        explicit = kb_path or (getattr(provider, "baseurl", "") or None)
        s = settings(config, explicit)
        kb = open_kb(s)
        retriever = Retriever(kb, threshold=s.threshold, dense=None if s.embeddings else False)
        model = (getattr(provider, "model", "") or "kubesage-kb") if upstream is None else upstream.model
        return cls(Answerer(retriever, upstream, s.top_k), model, _kb_version(kb))

    @property
    def answerer(self) -> Any:
        return self._answerer

    def complete(self, request: CompletionRequest) -> Completion:
        result: Completion = self._answerer.answer(request)
        return result
