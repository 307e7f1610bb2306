"""Build the server's answering backend and list the secrets its errors must never show."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kubesage.llm.kb import KBBackend
    from kubesage.server.state import ServerSettings


def build_backend(settings: ServerSettings) -> KBBackend:
    """The kb backend; for any other backend name, kb retrieval with that backend writing the answer."""
    from kubesage.config import Config
    from kubesage.llm.kb import KBBackend

    config = settings.config or Config()
    if not settings.upstream:
        return KBBackend.from_config(config.ai.provider("kb"), config, kb_path=settings.kb_path)
    from kubesage.llm import registry

    upstream = registry.load_backend(config, settings.backend.strip().lower())
    return KBBackend.from_config(None, config, kb_path=settings.kb_path, upstream=upstream)


def configured_secrets(settings: ServerSettings) -> tuple[str, ...]:
    """Every secret the server knows: provider keys (stored or from `passwordEnv`), custom-header
    values and the bearer token. Longest first, so a secret containing another is redacted whole."""
    values: set[str] = {settings.token} if settings.token else set()
    config = settings.config
    providers: list[Any] = list(config.ai.providers) if config is not None else []
    for provider in providers:
        values.update(v for v in (provider.password, provider.api_key()) if v)
        for header in provider.custom_headers:
            values.update(str(v) for v in header.values() if v)
    return tuple(sorted((v for v in values if len(v) >= 4), key=len, reverse=True))


def search_json(backend: KBBackend, query: str, k: int) -> dict[str, Any]:
    """`/v1/search`'s answer body."""
    retrieval = backend.answerer.retriever.search(query, k)
    return {
        "query": query, "reasons": list(retrieval.reasons), "relevant": retrieval.relevant,
        "confidence": round(retrieval.confidence, 4), "threshold": retrieval.threshold,
        "hits": [h.to_json() for h in retrieval.hits],
    }  # fmt: skip
