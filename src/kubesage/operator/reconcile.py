"""One KubeSage's reconcile pass: snapshot -> analyzers -> Results -> explanations -> sinks -> status.

A pass runs only when the watched snapshot or the spec changed, or work is pending
(throttled writes, undelivered notifications, results waiting for an explanation).
Explanations are asked only for new or changed content hashes; a per-KubeSage circuit
breaker stops asking a failing backend and probes it again after a cool-down.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kubesage.errors import KubesageError
from kubesage.operator.breaker import STATE_VALUE, CircuitBreaker
from kubesage.operator.models import KubeSageSpec
from kubesage.operator.records import content_hash, namespace_of_result, severity
from kubesage.operator.sinks.base import Notification, SinkState, bucket_for, deliver, now_iso
from kubesage.operator.writer import ResultWriter
from kubesage.results import Analysis, Result

if TYPE_CHECKING:
    from kubesage.cluster.snapshot import ClusterSnapshot
    from kubesage.llm.base import Backend
    from kubesage.operator.metrics import OperatorMetrics

log = logging.getLogger("kubesage.operator")

RECONCILE_FAILED = "reconcile failed: "
STATUS_REFRESH = 300.0
"""Seconds between status patches when only the analysis time changed."""

SecretReader = Callable[[str, str, str], str]
"""(namespace, name, key) -> value; raises KubesageError."""


@dataclass
class PassReport:
    results: int = 0
    created: int = 0
    updated: int = 0
    resolved: int = 0
    deferred: int = 0
    explained: int = 0
    llm_calls: int = 0
    llm_failed: int = 0
    cache_hits: int = 0
    notified: int = 0
    notify_failed: int = 0
    duration: float = 0.0
    errors: list[str] = field(default_factory=list)
    """Problems worth a Degraded condition: failed writes, explain warnings."""
    warnings: list[str] = field(default_factory=list)
    """Analysis notes (a kind that may not be listed, an unknown filter): shown in status only."""


@dataclass
class _Conditions:
    items: dict[str, dict[str, str]] = field(default_factory=dict)

    def set(self, kind: str, status: bool, reason: str, message: str) -> None:
        value = "True" if status else "False"
        old = self.items.get(kind)
        changed = old is None or old["status"] != value
        self.items[kind] = {
            "type": kind,
            "status": value,
            "reason": reason,
            "message": message,
            "lastTransitionTime": _now() if changed else (old or {}).get("lastTransitionTime", _now()),
        }

    def as_list(self) -> list[dict[str, str]]:
        return [self.items[k] for k in sorted(self.items)]


class Reconciler:
    """The state and the pass of one KubeSage object."""

    def __init__(
        self,
        namespace: str,
        name: str,
        *,
        api_client: Any,
        metrics: OperatorMetrics,
        read_secret: SecretReader,
        emit_event: Callable[[dict[str, Any], str, str, str], None] | None = None,
        http: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import httpx

        self.namespace, self.name = namespace, name
        self.api_client = api_client
        self.metrics = metrics
        self.read_secret = read_secret
        self.emit_event = emit_event or (lambda body, type_, reason, message: None)
        self.http = http or httpx.Client(follow_redirects=False)
        self.clock = clock
        self.body: dict[str, Any] = {}
        self.spec = KubeSageSpec.model_validate({})
        self.spec_error = ""
        self.generation = -1
        self.writer = ResultWriter(api_client, namespace, name, clock=clock)
        self.breaker = CircuitBreaker(clock=clock)
        self.sinks: dict[str, SinkState] = {}
        self.conditions = _Conditions()
        self.outbox: dict[tuple[str, str], Notification] = {}
        self.needs_details: set[str] = set()
        self.seen: tuple[int, int] = (-1, -1)
        self.last_status: dict[str, Any] = {}
        self.last_status_patch = float("-inf")
        self.last_report: PassReport | None = None
        self.last_analysis_time = ""
        self.backend_error = ""
        self._backend: tuple[tuple[Any, ...], Backend] | None = None
        self._group_of: dict[str, str] = {}
        self._series_by_type: set[tuple[str, ...]] = set()
        self._series_ns: set[str] = set()
        self.remediation: Any = None
        """kubesage.remediate.auto.AutoRemediation, once spec.remediation is enabled."""

    # -- configuration ---------------------------------------------------------------------------

    def configure(self, body: dict[str, Any]) -> None:
        """Take the latest object (spec, generation, uid)."""
        self.body = body
        generation = int((body.get("metadata") or {}).get("generation") or 0)
        if generation == self.generation and not self.spec_error:
            return
        self.generation = generation
        try:
            self.spec = KubeSageSpec.parse(body.get("spec"))
            self.spec_error = ""
        except KubesageError as err:
            self.spec_error = str(err)
            return
        ai = self.spec.ai
        self.breaker.failure_threshold = ai.circuit_breaker.failure_threshold
        self.breaker.open_seconds = float(ai.circuit_breaker.open_seconds)
        res = self.spec.results
        self.writer.configure(res.max_writes_per_second, float(res.min_update_seconds))
        wanted = {s.name for s in self.spec.sinks}
        for sink in self.spec.sinks:
            state = self.sinks.get(sink.name)
            if state is None:
                state = self.sinks[sink.name] = SinkState(sink.name)
            if state.bucket is None or state.spec != sink.rate_limit:
                state.bucket, state.spec = bucket_for(sink, self.clock), sink.rate_limit
        for gone in set(self.sinks) - wanted:
            del self.sinks[gone]
            self.outbox = {k: v for k, v in self.outbox.items() if k[0] != gone}

    @property
    def interval(self) -> float:
        try:
            return self.spec.interval_seconds
        except KubesageError:
            return 30.0

    def pending(self) -> bool:
        """Work left over from the last pass (it runs again even if nothing changed)."""
        report = self.last_report
        return bool(
            self.outbox
            or (report is not None and report.deferred)
            or (self.remediation is not None and self.remediation.pending())
            or (self.needs_details and self.spec.ai.enabled and self.breaker.allow())
        )

    # -- the pass ----------------------------------------------------------------------------------

    def tick(self, snapshot: ClusterSnapshot, generation: int) -> PassReport | None:
        """Run a pass if something changed; returns its report, or None when skipped."""
        if self.spec_error:
            self._publish_invalid()
            return None
        if self.seen == (generation, self.generation) and not self.pending():
            self.metrics.passes_skipped.labels(self.name).inc()
            return None
        started = time.perf_counter()
        report = PassReport()
        try:
            self._pass(snapshot, report)
        except Exception as err:  # one bad pass must not kill the loop
            self.metrics.reconcile_errors.labels(self.name).inc()
            report.errors.append(f"{RECONCILE_FAILED}{type(err).__name__}: {err}")
            log.exception("reconcile %s/%s failed", self.namespace, self.name)
        report.duration = time.perf_counter() - started
        self.metrics.reconcile_duration.labels(self.name).observe(report.duration)
        self.seen = (generation, self.generation)
        self.last_report = report
        self.last_analysis_time = _now()
        self._publish_status(report)
        return report

    def _pass(self, snap: ClusterSnapshot, report: PassReport) -> None:
        from kubesage.analysis import AnalyzeRequest, analyze_snapshot, plan
        from kubesage.analyzers.registry import all_specs

        if not self.writer.loaded:
            self.writer.load()
        if not self._group_of:
            self._group_of = {name: spec.group for name, spec in all_specs().items()}
        request = AnalyzeRequest(filters=self.spec.filters, lint=self.spec.lint)
        specs, warnings, _ = plan(request)
        analysis = analyze_snapshot(snap, request, specs)
        results = [r for r in analysis.results if self.spec.in_scope(namespace_of_result(r))]
        report.results = len(results)

        desired: dict[str, tuple[Result, str]] = {}
        for r in results:
            name = self.writer.name_for(r, desired.keys())
            desired[name] = (r, content_hash(r))
        index = self.writer.index
        changed = [n for n, (_, h) in desired.items() if n not in index or index[n].content_hash != h]
        unchanged = len(desired) - len(changed)
        if self.spec.ai.enabled and unchanged:
            self.metrics.llm_saved.labels(self.name, "unchanged").inc(unchanged)
        # Keep known explanations of unchanged results.
        for n, (r, h) in desired.items():
            stored = index.get(n)
            if stored is not None and stored.content_hash == h:
                r.details = stored.details
        if self.spec.ai.enabled:
            self.needs_details = {n for n in self.needs_details if n in desired}
            self.needs_details.update(changed)
            self.needs_details.update(n for n, (r, _) in desired.items() if not r.details)
            self._explain(snap, desired, report)
        else:
            self.needs_details.clear()

        backend = self.spec.ai.backend if self.spec.ai.enabled else ""
        touched: list[str] = []
        for n, (r, h) in desired.items():
            outcome = self.writer.upsert(n, r, h, owner=self.body, backend=backend, severity=self._severity(r))
            if outcome == "created":
                report.created += 1
            elif outcome == "updated":
                report.updated += 1
            elif outcome == "deferred":
                report.deferred += 1
            if outcome in ("created", "updated") or (n in index and index[n].content_hash == h):
                touched.append(n)
        for n in [n for n in index if n not in desired]:
            outcome = self.writer.resolve(n, self.spec.results.on_resolved)
            if outcome in ("deleted", "historical"):
                report.resolved += 1
                self.outbox = {k: v for k, v in self.outbox.items() if k[1] != n}
            elif outcome == "deferred":
                report.deferred += 1
        for metric in ("created", "updated", "resolved"):
            if getattr(report, metric):
                self.metrics.result_writes.labels(self.name, metric).inc(getattr(report, metric))
        if report.deferred:
            self.metrics.writes_deferred.labels(self.name).inc(report.deferred)
        if self.spec.remediation.get("enabled"):
            self._remediate(snap, desired, report)
        report.errors.extend(self.writer.stats.errors)
        self.writer.stats.errors.clear()
        report.warnings.extend(dict.fromkeys([*warnings, *analysis.errors]))
        self._queue_notifications(desired, touched)
        self._notify(report)
        self._update_result_metrics(results)
        if report.created or report.resolved:
            self.emit_event(
                self.body,
                "Normal",
                "AnalysisChanged",
                f"{report.results} results: {report.created} new, {report.updated} changed, {report.resolved} resolved",
            )

    def _remediate(self, snap: ClusterSnapshot, desired: dict[str, tuple[Result, str]], report: PassReport) -> None:
        """The remediation pipeline (kubesage.remediate.auto); keeps autoRemediationStatus in step."""
        from kubesage.remediate.auto import AutoRemediation

        if self.remediation is None:
            self.remediation = AutoRemediation(self.api_client, self.namespace)
        phases, errors = self.remediation.step(self.spec.remediation, snap, [r for r, _ in desired.values()])
        # Every Result we know (current ones and those just marked historical), by the finding it holds.
        index = self.writer.index
        found = {n: phases[(s.kind, s.object_name)] for n, s in index.items() if (s.kind, s.object_name) in phases}
        report.errors.extend(errors + self.remediation.publish(found))

    def _severity(self, r: Result) -> str:
        return severity(r, self._group_of)

    # -- explanations ------------------------------------------------------------------------------

    def _backend_for(self) -> Backend:
        from kubesage.config import AIConfig, Config, ProviderConfig
        from kubesage.llm import registry

        ai = self.spec.ai
        key = ""
        if ai.secret is not None:
            key = self.read_secret(self.namespace, ai.secret.name, ai.secret.key)
        ident = (ai.backend, ai.model, ai.base_url, key, ai.timeout_seconds)
        if self._backend is not None and self._backend[0] == ident:
            return self._backend[1]
        info = registry.backend_info(ai.backend)
        providers = []
        if info.needs_config or ai.model or ai.base_url or key:
            providers.append(
                ProviderConfig(
                    name=info.id,
                    model=ai.model or info.default_model,
                    password=key,
                    baseurl=ai.base_url,
                    timeout=float(ai.timeout_seconds),
                )
            )
        config = Config(ai=AIConfig(providers=providers, defaultprovider=info.id))
        backend = registry.load_backend(config, info.id)
        self._backend = (ident, backend)
        return backend

    def _explain(self, snap: ClusterSnapshot, desired: dict[str, tuple[Result, str]], report: PassReport) -> None:
        from kubesage.config import Config
        from kubesage.explain.pipeline import FAILED_PREFIX, ExplainOptions, explain_analysis

        todo = [n for n in desired if n in self.needs_details]
        if not todo:
            return
        if not self.breaker.allow():
            return
        if self.breaker.probing:
            todo = todo[:1]
        ai = self.spec.ai
        try:
            backend = self._backend_for()
        except KubesageError as err:
            self.backend_error = str(err)
            self.breaker.record(0, 1, str(err))
            report.errors.append(f"AI backend: {err}")
            return
        self.backend_error = ""
        batch = [desired[n][0] for n in todo]
        options = ExplainOptions(
            backend=backend.name,
            anonymize=ai.anonymize,
            no_cache=self.spec.no_cache,
            language=ai.language,
            max_concurrency=ai.max_concurrency,
            max_attempts=ai.max_attempts,
            timeout=float(ai.timeout_seconds),
            base_delay=0.5,
            max_delay=5.0,
        )
        outcome = explain_analysis(Analysis(results=batch), snap, Config(), options, backend=backend)
        first_error = ""
        for n, r in zip(todo, batch, strict=True):
            if r.details.startswith(FAILED_PREFIX) or not r.details:
                first_error = first_error or r.details.removeprefix(FAILED_PREFIX)
                r.details = ""
            else:
                self.needs_details.discard(n)
                report.explained += 1
        report.errors.extend(f"[explain] {w}" for w in outcome.warnings)
        report.llm_calls += outcome.calls
        report.llm_failed += outcome.failed
        report.cache_hits += outcome.cache_hits
        labels = (backend.name, "", self.namespace, self.name)
        if outcome.attempts:
            self.metrics.ai_calls.labels(*labels).inc(outcome.attempts)
        if outcome.failed:
            self.metrics.ai_failures.labels(*labels).inc(outcome.failed)
        if outcome.cache_hits:
            self.metrics.llm_saved.labels(self.name, "cache").inc(outcome.cache_hits)
        self.breaker.record(outcome.calls - outcome.failed, outcome.failed, first_error)

    # -- notifications -----------------------------------------------------------------------------

    def _queue_notifications(self, desired: dict[str, tuple[Result, str]], touched: list[str]) -> None:
        index = self.writer.index
        for n in touched:
            r, h = desired[n]
            stored = index.get(n)
            if stored is None:
                continue
            sev = self._severity(r)
            for sink in self.spec.sinks:
                if stored.notified.get(sink.name) == h or not sink.wants(r.kind, sev):
                    continue
                self.outbox[(sink.name, n)] = Notification(
                    kubesage=self.name,
                    namespace=self.namespace,
                    result_name=n,
                    kind=r.kind,
                    name=r.name,
                    parent_object=r.parent_object,
                    texts=tuple(r.texts),
                    details=r.details,
                    severity=sev,
                    lifecycle=stored.lifecycle,
                    content_hash=h,
                )

    def _notify(self, report: PassReport) -> None:
        from kubesage.operator.sinks import builder

        by_sink = {s.name: s for s in self.spec.sinks}
        blocked: set[str] = set()
        for key in sorted(self.outbox):
            sink_name, result_name = key
            sink, state = by_sink.get(sink_name), self.sinks.get(sink_name)
            if sink is None or state is None:
                del self.outbox[key]
                continue
            if sink_name in blocked or state.bucket is None or not state.bucket.take():
                blocked.add(sink_name)
                continue
            n = self.outbox[key]
            try:
                url = sink.url or (
                    self.read_secret(self.namespace, sink.secret.name, sink.secret.key) if sink.secret else ""
                )
            except KubesageError as err:
                self._sink_failed(state, str(err), report)
                blocked.add(sink_name)
                continue
            body, headers = builder(sink.type)(n, sink)
            result = deliver(self.http, url, body, headers, retries=sink.retries, timeout=float(sink.timeout_seconds))
            state.attempts += result.attempts
            if result.ok:
                state.sent += 1
                state.last_success_time = now_iso()
                report.notified += 1
                self.metrics.sink_sends.labels(self.name, sink_name, "sent").inc()
                self.writer.mark_notified(result_name, sink_name, n.content_hash)
                del self.outbox[key]
            else:
                self._sink_failed(state, result.error, report)
                blocked.add(sink_name)  # the sink is down: keep the rest for the next pass
        for name, state in self.sinks.items():
            state.pending = sum(1 for k in self.outbox if k[0] == name)

    def _sink_failed(self, state: SinkState, error: str, report: PassReport) -> None:
        first = not state.last_error
        state.failed += 1
        state.last_error = error
        state.last_error_time = now_iso()
        report.notify_failed += 1
        self.metrics.sink_sends.labels(self.name, state.name, "failed").inc()
        if first:
            self.emit_event(self.body, "Warning", "SinkFailed", f"sink {state.name}: {error}; will retry")

    # -- status ------------------------------------------------------------------------------------

    def _update_result_metrics(self, results: list[Result]) -> None:
        """Set this KubeSage's series and drop the ones it no longer has (other KubeSages' stay)."""
        per_ns: dict[str, int] = {}
        by_type: set[tuple[str, ...]] = set()
        for r in results:
            ns = namespace_of_result(r)
            per_ns[ns] = per_ns.get(ns, 0) + 1
            by_type.add((ns, r.kind, r.name, self.name))
        for labels in self._series_by_type - by_type:
            self.metrics.results_by_type.remove(*labels)
        for labels in by_type:
            self.metrics.results_by_type.labels(*labels).set(1)
        for ns in self._series_ns - set(per_ns):
            self.metrics.results.remove(ns, self.name)
        for ns, count in per_ns.items():
            self.metrics.results.labels(ns, self.name).set(count)
        self._series_by_type, self._series_ns = by_type, set(per_ns)

    def status(self) -> dict[str, Any]:
        report = self.last_report or PassReport()
        breaker = self.breaker
        self.metrics.circuit.labels(self.name).set(STATE_VALUE[breaker.state])
        for state in breaker.drain():
            if state == "open":
                message = f"AI backend circuit opened: {breaker.last_error or 'calls failed'}; results without details"
                self.emit_event(self.body, "Warning", "CircuitOpen", message)
            elif state == "closed":
                self.emit_event(self.body, "Normal", "CircuitClosed", "AI backend answers again")
        degraded: list[tuple[str, str]] = []
        if breaker.state != "closed":
            degraded.append(("BackendCircuitOpen", f"AI circuit {breaker.state}: {breaker.last_error}"))
        if self.backend_error:
            degraded.append(("BackendUnavailable", self.backend_error))
        failing = [s for s in self.sinks.values() if s.pending and s.last_error]
        if failing:
            degraded.append(("SinkFailing", "; ".join(f"{s.name}: {s.last_error}" for s in failing)))
        if report.errors:
            degraded.append(("ReconcileProblems", "; ".join(report.errors[:3])))
        failed = [e for e in report.errors if e.startswith(RECONCILE_FAILED)]
        if failed:
            self.conditions.set("Ready", False, "ReconcileFailed", failed[0][:1000])
        else:
            self.conditions.set("Ready", True, "Analyzed", f"{report.results} results")
        if degraded:
            self.conditions.set("Degraded", True, degraded[0][0], " | ".join(m for _, m in degraded)[:1000])
        else:
            self.conditions.set("Degraded", False, "AsExpected", "")
        circuit: dict[str, Any] = {"state": breaker.state, "failures": breaker.failures}
        if breaker.last_error:
            circuit["lastError"] = breaker.last_error[:500]
        return {
            "observedGeneration": self.generation,
            "conditions": self.conditions.as_list(),
            "lastAnalysisTime": self.last_analysis_time,
            "lastAnalysisDurationSeconds": f"{report.duration:.3f}",
            "resultCount": report.results,
            "circuit": circuit,
            "sinks": [s.status() for s in self.sinks.values()],
            "warnings": report.warnings[:20],
        }

    def _publish_status(self, report: PassReport) -> None:
        self._patch_status(self.status())

    def _publish_invalid(self) -> None:
        self.conditions.set("Ready", False, "InvalidSpec", self.spec_error)
        self.conditions.set("Degraded", True, "InvalidSpec", self.spec_error)
        self._patch_status({"observedGeneration": self.generation, "conditions": self.conditions.as_list()})

    def _patch_status(self, status: dict[str, Any]) -> None:
        # A pass over an unchanged picture changes only the times: refresh those every few minutes.
        volatile = ("lastAnalysisTime", "lastAnalysisDurationSeconds")
        same = {k: v for k, v in status.items() if k not in volatile} == {
            k: v for k, v in self.last_status.items() if k not in volatile
        }
        if same and self.clock() - self.last_status_patch < STATUS_REFRESH:
            return
        from kubernetes import client

        from kubesage.operator import GROUP, KUBESAGE_PLURAL, VERSION

        try:
            client.CustomObjectsApi(self.api_client).patch_namespaced_custom_object_status(
                GROUP,
                VERSION,
                self.namespace,
                KUBESAGE_PLURAL,
                self.name,
                {"status": status},
                _content_type="application/merge-patch+json",
                _request_timeout=(5.0, 30.0),
            )
        except Exception as err:
            log.warning("status of KubeSage %s/%s: %s", self.namespace, self.name, err)
            return
        self.last_status = status
        self.last_status_patch = self.clock()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
