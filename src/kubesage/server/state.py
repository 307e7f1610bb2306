"""What the app and its routers share: settings, per-app state, JSON responses, OpenAI-shaped errors.

Routers import this module; `server/app.py` imports the routers. Nothing here imports a router.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubesage.server import limits

if TYPE_CHECKING:
    from kubesage.config import Config
    from kubesage.llm.kb import KBBackend
    from kubesage.server.metrics import Metrics
    from kubesage.server.pool import WorkerPool


@dataclass
class ServerSettings:
    kb_path: str | None = None
    backend: str = "kb"
    token: str = ""
    max_body: int = limits.MAX_BODY
    config: Config | None = None
    workers: int = 0
    """Worker processes for retrieval and answers; 0 picks a default (see `limits.default_workers`)."""
    request_timeout: float = 0.0
    """Per-request deadline in seconds for the worker's part; 0 picks a default per backend."""
    queue: int = limits.QUEUE_PER_WORKER
    """Requests that may wait for a free worker, per worker; more get 503."""
    body_timeout: float = limits.BODY_TIMEOUT
    """Seconds to receive a request body after its headers (408 after)."""

    @property
    def upstream(self) -> bool:
        return (self.backend.strip().lower() or "kb") != "kb"

    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else limits.default_workers(self.upstream)

    def deadline(self) -> float:
        if self.request_timeout > 0:
            return self.request_timeout
        return limits.UPSTREAM_DEADLINE if self.upstream else limits.KB_DEADLINE


@dataclass
class ServerState:
    backend: KBBackend
    """The parent's copy: validates the config at start-up and serves /healthz; answers run in `pool`."""
    metrics: Metrics
    settings: ServerSettings
    pool: WorkerPool
    secrets: tuple[str, ...] = ()
    """Configured secret values (keys, token, custom-header values): redacted from every error body."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def model(self) -> str:
        return self.backend.model


def dumps(data: Any) -> bytes:
    """UTF-8 JSON; text that cannot be UTF-8 (a lone surrogate) is escaped rather than failing."""
    try:
        return json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json.dumps(data).encode()


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    from starlette.responses import Response

    return Response(dumps(data), status_code=status, media_type="application/json", headers=headers)


def error_body(message: str, kind: str = "invalid_request_error", param: str | None = None,
               code: str | None = None) -> dict[str, Any]:  # fmt: skip
    """OpenAI's error shape: `{"error": {"message", "type", "param", "code"}}`."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_response(status: int, message: str, kind: str = "invalid_request_error", param: str | None = None,
                   code: str | None = None, headers: dict[str, str] | None = None) -> Any:  # fmt: skip
    return json_response(error_body(message, kind, param, code), status, headers)


class APIError(Exception):
    """A request the server refuses: becomes `error_response(status, ...)`."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None,
                 kind: str = "invalid_request_error") -> None:  # fmt: skip
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.kind = kind

    def response(self) -> Any:
        return error_response(self.status, self.message, self.kind, self.param, self.code)
