"""Prometheus metrics: k8sgpt-operator's names where they exist, `kubesage_*` for the rest.

The label `k8sgpt` carries the KubeSage name, so dashboards built for k8sgpt-operator work.
k8sgpt-operator's counters are written by Go's client without a `_total` suffix; the Python
client always adds one, so those three are exposed by `ExactCounter` under their exact names.
"""

from __future__ import annotations

import threading
from typing import Any


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class ExactCounter:
    """A counter exposed under exactly `name` (`# TYPE name counter`), labelled like prometheus_client's."""

    def __init__(self, name: str, documentation: str, labelnames: list[str]) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, labelnames
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()

    def labels(self, *values: str) -> _Child:
        return _Child(self, tuple(str(v) for v in values))

    def _inc(self, key: tuple[str, ...], amount: float) -> None:
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def exposition(self) -> str:
        lines = [f"# HELP {self.name} {self.documentation}", f"# TYPE {self.name} counter"]
        with self._lock:
            for key, value in sorted(self._values.items()):
                labels = ",".join(f'{n}="{_escape(v)}"' for n, v in zip(self.labelnames, key, strict=True))
                lines.append(f"{self.name}{{{labels}}} {value!r}")
        return "\n".join(lines) + "\n"


class _Child:
    def __init__(self, parent: ExactCounter, key: tuple[str, ...]) -> None:
        self.parent, self.key = parent, key

    def inc(self, amount: float = 1.0) -> None:
        self.parent._inc(self.key, amount)


class OperatorMetrics:
    def __init__(self, registry: Any = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        # k8sgpt-operator's
        self.results = Gauge(
            "k8sgpt_number_of_results",
            "Results by namespace of the object.",
            ["object_namespace", "k8sgpt"],
            registry=r,
        )
        self.results_by_type = Gauge(
            "k8sgpt_number_of_results_by_type",
            "Results by object namespace, kind and name.",
            ["object_namespace", "kind", "name", "k8sgpt"],
            registry=r,
        )
        self.reconcile_errors = ExactCounter(
            "k8sgpt_reconcile_error_count", "Reconcile passes that failed.", ["k8sgpt"]
        )
        ai_labels = ["backend", "deployment", "namespace", "k8sgpt"]
        self.ai_calls = ExactCounter(
            "k8sgpt_number_of_backend_ai_calls", "LLM requests sent (retries included).", ai_labels
        )
        self.ai_failures = ExactCounter(
            "k8sgpt_number_of_failed_backend_ai_calls", "LLM calls that finally failed.", ai_labels
        )
        self.exact = [self.reconcile_errors, self.ai_calls, self.ai_failures]
        # kubesage's own
        self.reconcile_duration = Histogram(
            "kubesage_reconcile_duration_seconds",
            "Time of one analysis pass.",
            ["k8sgpt"],
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
        )
        self.passes_skipped = Counter(
            "kubesage_reconcile_skipped_total", "Intervals skipped because nothing changed.", ["k8sgpt"], registry=r
        )
        self.llm_saved = Counter(
            "kubesage_llm_calls_saved_total",
            "LLM calls not made: unchanged result (hash) or answer cache hit.",
            ["k8sgpt", "reason"],
            registry=r,
        )
        self.circuit = Gauge(
            "kubesage_circuit_state", "AI circuit breaker: 0 closed, 1 half-open, 2 open.", ["k8sgpt"], registry=r
        )
        self.result_writes = Counter(
            "kubesage_result_writes_total", "Result writes by operation.", ["k8sgpt", "op"], registry=r
        )
        self.writes_deferred = Counter(
            "kubesage_result_writes_deferred_total", "Result writes put off by the throttle.", ["k8sgpt"], registry=r
        )
        self.sink_sends = Counter(
            "kubesage_sink_notifications_total", "Sink sends by outcome.", ["k8sgpt", "sink", "outcome"], registry=r
        )
        self.watch_synced = Gauge("kubesage_watch_synced", "1 when every watch has synced.", registry=r)
        self.watch_feeds = Gauge(
            "kubesage_watch_feeds", "Watched kinds (per namespace) by state.", ["state"], registry=r
        )
        self.watch_objects = Gauge("kubesage_watch_objects", "Objects held by the watch cache.", ["kind"], registry=r)
        self.watch_requests = Gauge(
            "kubesage_watch_requests", "API requests made by the watch source, by type.", ["type"], registry=r
        )
        self.leader = Gauge("kubesage_leader", "1 when this replica holds the lease.", registry=r)

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        extra = "".join(c.exposition() for c in self.exact).encode()
        return generate_latest(self.registry) + extra, CONTENT_TYPE_LATEST
