"""The FastAPI app: k8sgpt customrest, OpenAI-compatible chat, search, health and metrics.

`create_app(settings)` builds everything up front (backend, KB index, worker processes) so the
first request is as fast as the rest. Retrieval and answers run in a bounded pool of worker
processes with a per-request deadline (server/pool.py); the event loop only parses, validates
and writes responses, so /healthz stays fast whatever a request contains.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubesage.errors import KubesageError
from kubesage.server.backend import build_backend, configured_secrets
from kubesage.server.state import APIError, ServerSettings, ServerState, error_response

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["MCPMount", "ServerSettings", "create_app"]
MCP_PATH = "/mcp"


@dataclass(frozen=True)
class MCPMount:
    """An MCP streamable HTTP handler served at /mcp (`kubesage serve --mcp`).

    `lifespan` (the SDK session manager's `run`) runs for as long as the app does. /mcp always needs
    `Authorization: Bearer <token>`: the server's `--token` when it has one (checked by the guard
    with the rest), else this mount's own `token`.
    """

    app: Any
    lifespan: Callable[[], AbstractAsyncContextManager[Any]]
    token: str


def create_app(settings: ServerSettings | None = None, mcp: MCPMount | None = None) -> FastAPI:
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from kubesage import __version__, redact
    from kubesage.server import customrest, openai_compat, ops
    from kubesage.server.answering import Answering
    from kubesage.server.auth import GuardMiddleware
    from kubesage.server.metrics import Metrics, MetricsMiddleware
    from kubesage.server.pool import WorkerPool
    from kubesage.server.validation import api_error

    settings = settings or ServerSettings()
    backend = build_backend(settings)
    backend.answerer.retriever.index()  # load the KB now: a bad KB fails here, not on the first request
    backend.answerer.retriever.kb.clean_stale_temp()  # `.tmp-*` left by an ingest that crashed
    pool = WorkerPool(settings, settings.worker_count(), settings.queue * settings.worker_count(), settings.deadline())
    pool.start()
    state = ServerState(backend, Metrics(), settings, pool, configured_secrets(settings))
    redact.register(*state.secrets)  # log records and error bodies of this process
    answering = Answering(state)

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        try:
            async with AsyncExitStack() as stack:
                if mcp is not None:
                    await stack.enter_async_context(mcp.lifespan())
                yield
        finally:
            pool.close()

    app = FastAPI(title="kubesage", version=__version__, docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)  # fmt: skip
    app.state.kubesage = state

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Any, exc: RequestValidationError) -> Any:
        return api_error(exc.errors()).response()

    @app.exception_handler(APIError)
    async def _api(request: Any, exc: APIError) -> Any:
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Any, exc: StarletteHTTPException) -> Any:
        if exc.status_code == 404:
            return error_response(404, f"Invalid URL ({request.method} {request.url.path})", code="unknown_url")
        if exc.status_code == 405:
            return error_response(405, f"Method {request.method} not allowed for {request.url.path}",
                                  code="method_not_allowed")  # fmt: skip
        return error_response(exc.status_code, str(exc.detail), "error")

    @app.exception_handler(KubesageError)
    async def _kubesage(request: Any, exc: KubesageError) -> Any:
        return error_response(500, answering.redacted(str(exc)), "server_error")

    customrest.register(app, state, answering)
    openai_compat.register(app, state, answering)
    ops.register(app, state, answering)
    _register_mcp(app, mcp)
    app.add_middleware(GuardMiddleware, token=settings.token, max_body=settings.max_body,
                       body_timeout=settings.body_timeout)  # fmt: skip
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    return app


def _register_mcp(app: FastAPI, mcp: MCPMount | None) -> None:
    from starlette.routing import Route

    if mcp is None:

        async def disabled(request: Any) -> Any:
            return error_response(404, "MCP is not enabled on this server: start it with `kubesage serve --mcp` "
                                  "(or run `kubesage mcp`)", code="mcp_not_enabled")  # fmt: skip

        app.router.routes.append(Route(MCP_PATH, disabled, methods=["GET", "POST", "DELETE"]))
        return
    from kubesage.server.auth import BearerGuard

    app.router.routes.append(Route(MCP_PATH, BearerGuard(mcp.app, mcp.token)))
