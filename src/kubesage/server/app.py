"""The FastAPI app: k8sgpt customrest, OpenAI-compatible chat, search, health and metrics.

`create_app(settings)` builds everything up front (backend, KB index) so the first request
is as fast as the rest. The `kb` backend answers inline on the event loop (it is CPU-only and
takes about a millisecond); upstream LLM backends run in the thread pool.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from kubesage.errors import KubesageError
from kubesage.llm.base import Completion, CompletionRequest

if TYPE_CHECKING:
    from fastapi import FastAPI

    from kubesage.config import Config
    from kubesage.llm.kb import KBBackend
    from kubesage.server.metrics import Metrics

DEFAULT_MAX_BODY = 1 << 20


@dataclass
class ServerSettings:
    kb_path: str | None = None
    backend: str = "kb"
    token: str = ""
    max_body: int = DEFAULT_MAX_BODY
    config: Config | None = None


@dataclass
class ServerState:
    backend: KBBackend
    metrics: Metrics
    settings: ServerSettings
    inline: bool
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def model(self) -> str:
        return self.backend.model

    async def complete(self, request: CompletionRequest) -> Completion:
        if self.inline:
            result = self.backend.complete(request)
        else:
            from starlette.concurrency import run_in_threadpool

            result = await run_in_threadpool(self.backend.complete, request)
        self.metrics.record_answer(len(result.sources), result.refused)
        return result


def json_response(data: Any, status: int = 200) -> Any:
    from starlette.responses import Response

    return Response(json.dumps(data, ensure_ascii=False).encode(), status_code=status, media_type="application/json")


def error_response(status: int, message: str, kind: str = "invalid_request_error") -> Any:
    return json_response({"error": {"message": message, "type": kind, "code": status}}, status)


def build_backend(settings: ServerSettings) -> tuple[KBBackend, bool]:
    """The kb backend; for any other backend name, kb retrieval with that backend writing the answer."""
    from kubesage.config import Config
    from kubesage.llm.kb import KBBackend

    config = settings.config or Config()
    name = settings.backend.strip().lower() or "kb"
    if name == "kb":
        return KBBackend.from_config(config.ai.provider("kb"), config, kb_path=settings.kb_path), True
    from kubesage.llm import registry

    upstream = registry.load_backend(config, name)
    return KBBackend.from_config(None, config, kb_path=settings.kb_path, upstream=upstream), False


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from kubesage import __version__
    from kubesage.llm.base import LLMError
    from kubesage.server import customrest, openai_compat
    from kubesage.server.auth import GuardMiddleware
    from kubesage.server.metrics import Metrics, MetricsMiddleware

    settings = settings or ServerSettings()
    backend, inline = build_backend(settings)
    backend.answerer.retriever.index()  # load (or build) the KB now, not on the first request
    state = ServerState(backend, Metrics(), settings, inline)
    app = FastAPI(title="kubesage", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.kubesage = state

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Any, exc: RequestValidationError) -> Any:
        return error_response(*validation_message(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Any, exc: StarletteHTTPException) -> Any:
        return error_response(exc.status_code, str(exc.detail), "not_found" if exc.status_code == 404 else "error")

    @app.exception_handler(LLMError)
    async def _llm(request: Any, exc: LLMError) -> Any:
        return error_response(502, f"upstream backend failed: {exc}", "upstream_error")

    @app.exception_handler(KubesageError)
    async def _kubesage(request: Any, exc: KubesageError) -> Any:
        return error_response(500, str(exc), "server_error")

    customrest.register(app, state)
    openai_compat.register(app, state)
    add_ops_routes(app, state)
    app.add_middleware(GuardMiddleware, token=settings.token, max_body=settings.max_body)
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    return app


def validation_message(errors: Any) -> tuple[int, str]:
    """(status, one line) for FastAPI validation errors: 400 for malformed JSON, else 422."""
    errors = list(errors)
    for err in errors:
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx") or {}
            return 400, f"malformed JSON body: {ctx.get('error', err.get('msg', 'invalid JSON'))}"
    if not errors:
        return 422, "invalid request"
    first = errors[0]
    loc = ".".join(str(x) for x in first.get("loc", ()) if x != "body")
    if first.get("type") == "missing" and loc == "":
        return 400, "request body is required (JSON object)"
    return 422, f"invalid request: {loc or 'body'}: {first.get('msg', 'invalid value')}"


class SearchRequest(BaseModel):
    query: str = Field(min_length=1)
    k: int = Field(default=5, ge=1, le=50)


def add_ops_routes(app: FastAPI, state: ServerState) -> None:
    @app.post("/v1/search")
    async def search(body: SearchRequest) -> Any:
        retrieval = state.backend.answerer.retriever.search(body.query, body.k)
        state.metrics.hits.inc(len(retrieval.hits))
        return json_response({
            "query": body.query, "reasons": list(retrieval.reasons), "relevant": retrieval.relevant,
            "confidence": round(retrieval.confidence, 4), "threshold": retrieval.threshold,
            "hits": [h.to_json() for h in retrieval.hits],
        })  # fmt: skip

    @app.get("/healthz")
    async def healthz() -> Any:
        index = state.backend.answerer.retriever.index()
        return json_response({"status": "ok", "backend": state.settings.backend or "kb", "model": state.model,
                              "kb": str(state.backend.answerer.retriever.kb.path), "generation": index.generation,
                              "docs": len(index.manifest.get("docs", {})), "chunks": index.num_docs})  # fmt: skip

    @app.get("/metrics")
    async def metrics() -> Any:
        from starlette.responses import Response

        body, content_type = state.metrics.render()
        return Response(body, media_type=content_type)
