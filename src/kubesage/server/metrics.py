"""Prometheus metrics for the server, on a registry of its own (one per app)."""

from __future__ import annotations

import time
from typing import Any

ROUTES = ("/completions", "/v1/chat/completions", "/v1/models", "/v1/search", "/healthz", "/metrics")
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
        route = scope.get("path", "")
        route = route if route in ROUTES else "other"
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.requests.labels(route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)
