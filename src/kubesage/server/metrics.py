"""Prometheus metrics for the server, on a registry of its own (one per app).

A request the client abandoned (closed the connection before the whole response was sent) is
counted with status 499, nginx's "client closed request", not as a server error, and logged as one line.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

ROUTES = ("/completions", "/v1/chat/completions", "/v1/models", "/v1/search", "/healthz", "/metrics", "/mcp")
CLIENT_CLOSED = 499
log = logging.getLogger("kubesage.server")
Scope = dict[str, Any]


class Metrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kubesage_requests", "HTTP requests by route and status.", ["route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "kubesage_request_duration_seconds", "Request latency by route.", ["route"], registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
        )  # fmt: skip
        self.retrievals = Counter("kubesage_retrievals", "Knowledge-base retrievals.", registry=self.registry)
        self.hits = Counter(
            "kubesage_retrieval_hits", "Documents cited in answers or returned by search.", registry=self.registry
        )
        self.refusals = Counter("kubesage_refusals", "Answers that were the \"I don't know\" refusal.",
                                registry=self.registry)  # fmt: skip
        self.rejected = Counter("kubesage_rejected", "Requests refused by the worker pool: busy (503) or past "
                                "their deadline (504).", ["reason"], registry=self.registry)  # fmt: skip

    def record_answer(self, sources: int, refused: bool) -> None:
        self.retrievals.inc()
        self.hits.inc(sources)
        if refused:
            self.refusals.inc()

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Pure ASGI: counts every HTTP request with its status and latency (streams included)."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        route = path if path in ROUTES or path.startswith("/v1/models/") else "other"
        route = "/v1/models/{id}" if route.startswith("/v1/models/") else route
        status = 500
        complete = disconnected = response_started = False
        started = time.perf_counter()

        async def receive_wrapper() -> dict[str, Any]:
            nonlocal disconnected
            message: dict[str, Any] = await receive()
            if message["type"] == "http.disconnect":
                disconnected = True
            return message

        async def send_wrapper(message: dict[str, Any]) -> None:
            nonlocal status, complete, disconnected, response_started
            if message["type"] == "http.response.start":
                status = int(message["status"])
                response_started = True
            try:
                await send(message)
            except OSError:  # uvicorn's ClientDisconnected: the peer is gone
                disconnected = True
                raise
            if message["type"] == "http.response.body" and not message.get("more_body"):
                complete = True

        try:
            await self.app(scope, receive_wrapper, send_wrapper)
        except Exception as err:
            if disconnected and not complete:
                pass  # the client left: not an error of ours
            elif response_started and not complete:
                # A stream broke after its headers went out: one line, and the stream ends (without
                # its `data: [DONE]`, which tells an SSE client it was cut), not a traceback per chunk.
                status = 500
                from kubesage.redact import clip

                log.error("kubesage: %s %s failed while streaming: %s: %s", scope.get("method", ""), route,
                          type(err).__name__, clip(str(err), 300))  # fmt: skip
                with contextlib.suppress(Exception):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
            else:
                raise
        finally:
            if disconnected and not complete:
                status = CLIENT_CLOSED
                log.info("kubesage: client closed the connection before %s %s was answered",
                         scope.get("method", ""), route)  # fmt: skip
            self.metrics.requests.labels(route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)
