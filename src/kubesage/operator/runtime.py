"""The operator process: one API connection, one watch-fed snapshot, one reconciler per KubeSage,
leader election, Secret references, Events, metrics and health endpoints."""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kubesage.errors import KubesageError
from kubesage.operator import GROUP, VERSION
from kubesage.operator.metrics import OperatorMetrics
from kubesage.operator.reconcile import Reconciler

log = logging.getLogger("kubesage.operator")

SECRET_TTL = 300.0
SYNC_TIMEOUT = 120.0
"""After this long unsynced, a pass analyses what the watches have."""
SYNC_WAIT = 5.0


@dataclass
class OperatorOptions:
    kubeconfig: str | None = None
    context: str | None = None
    namespaces: list[str] = field(default_factory=list)
    """Namespaces to analyse and to take KubeSage objects from (empty = all)."""
    metrics_address: str = ":8080"
    health_address: str = ":8081"
    log_format: str = "text"
    leader_elect: bool = False
    lease_name: str = "kubesage-operator"
    lease_namespace: str = ""
    identity: str = ""
    watch_timeout: int = 300
    verbose: bool = False


def split_address(address: str) -> tuple[str, int] | None:
    """`host:port` / `:port` -> (host, port); "" or "0" disables the endpoint."""
    if address in ("", "0"):
        return None
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise KubesageError(f"invalid bind address {address!r}: use host:port or :port")
    return host or "0.0.0.0", int(port)


def plain(value: Any) -> Any:
    """A kopf body view (or any mapping) as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def in_cluster_namespace() -> str:
    try:
        with open("/var/run/secrets/kubernetes.io/serviceaccount/namespace", encoding="utf-8") as fh:
            return fh.read().strip()
    except OSError:
        return ""


class Runtime:
    def __init__(self, options: OperatorOptions) -> None:
        self.options = options
        self.metrics = OperatorMetrics()
        self.reconcilers: dict[tuple[str, str], Reconciler] = {}
        self._secrets: dict[tuple[str, str, str], tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []
        self.cluster: Any = None
        self.source: Any = None
        self.elector: Any = None
        self.started = False
        self._first_step: dict[Reconciler, float] = {}

    # -- start / stop --------------------------------------------------------------------------

    def start(self) -> None:
        from kubesage.analysis import AnalyzeRequest, plan
        from kubesage.cluster.live import connect, validate_namespace
        from kubesage.cluster.watch import WatchSource

        for ns in self.options.namespaces:
            validate_namespace(ns)
        self.cluster = connect(self.options.kubeconfig, self.options.context)
        self.cluster.check()
        _, _, kinds = plan(AnalyzeRequest())
        self.source = WatchSource(
            self.cluster, kinds, self.options.namespaces, watch_timeout=self.options.watch_timeout
        )
        if self.options.leader_elect:
            from kubesage.operator.leader import LeaderElector

            lease_ns = self.options.lease_namespace or in_cluster_namespace() or "default"
            self.elector = LeaderElector(self.cluster.api, self.options.lease_name, lease_ns, self.options.identity)
            self.elector.start()
        metrics_at = split_address(self.options.metrics_address)
        if metrics_at is not None:
            self._serve(metrics_at, {"/metrics": self._metrics_page})
        health_at = split_address(self.options.health_address)
        if health_at is not None:
            self._serve(health_at, {"/healthz": self._healthz, "/readyz": self._readyz})
        self.started = True

    def stop(self) -> None:
        if self.elector is not None:
            self.elector.stop()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        if self.source is not None:
            self.source.stop()

    @property
    def active(self) -> bool:
        """Whether this replica may analyse, write and notify."""
        return self.elector is None or self.elector.is_leader

    # -- endpoints -----------------------------------------------------------------------------

    def _serve(self, address: tuple[str, int], routes: dict[str, Any]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_GET(self) -> None:
                route = routes.get(self.path.split("?", 1)[0])
                status, body, ctype = route() if route else (404, b"not found\n", "text/plain")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        try:
            server = ThreadingHTTPServer(address, Handler)
        except OSError as err:
            raise KubesageError(f"cannot listen on {address[0]}:{address[1]}: {err.strerror or err}") from None
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name="kubesage-http", daemon=True).start()
        self._servers.append(server)

    def _metrics_page(self) -> tuple[int, bytes, str]:
        self.refresh_metrics()
        body, ctype = self.metrics.render()
        return 200, body, ctype

    def _healthz(self) -> tuple[int, bytes, str]:
        return (200, b"ok\n", "text/plain") if self.started else (503, b"starting\n", "text/plain")

    def _readyz(self) -> tuple[int, bytes, str]:
        if self.source is not None and self.source.synced:
            return 200, b"ok\n", "text/plain"
        return 503, b"watches not synced\n", "text/plain"

    def refresh_metrics(self) -> None:
        source = self.source
        if source is None:
            return
        self.metrics.watch_synced.set(1 if source.synced else 0)
        states = source.feed_states()
        for state in ("pending", "listing", "watching", "backoff", "forbidden", "absent", "stopped"):
            self.metrics.watch_feeds.labels(state).set(states.get(state, 0))
        for kind, count in source.object_counts().items():
            self.metrics.watch_objects.labels(kind).set(count)
        c = source.counters
        for name in ("lists", "watches", "log_gets", "relists", "reconnects", "events"):
            self.metrics.watch_requests.labels(name).set(getattr(c, name))
        self.metrics.leader.set(1 if self.active else 0)

    # -- secrets and events --------------------------------------------------------------------

    def read_secret(self, namespace: str, name: str, key: str) -> str:
        """One key of a Secret (cached for a few minutes); the value never reaches logs or status."""
        cache_key = (namespace, name, key)
        hit = self._secrets.get(cache_key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        from kubernetes import client

        try:
            secret = client.CoreV1Api(self.cluster.api).read_namespaced_secret(
                name, namespace, _request_timeout=(5.0, 30.0)
            )
        except Exception as err:
            status = getattr(err, "status", 0)
            hint = " (grant it with the chart's rbac.secretNames)" if status == 403 else ""
            raise KubesageError(
                f"cannot read Secret {namespace}/{name}: {status or ''} {getattr(err, 'reason', err)}{hint}".replace(
                    "  ", " "
                )
            ) from None
        data = secret.data or {}
        if key not in data:
            raise KubesageError(f"Secret {namespace}/{name} has no key {key!r}")
        value = base64.b64decode(data[key]).decode("utf-8", "replace").strip()
        self._secrets[cache_key] = (time.monotonic() + SECRET_TTL, value)
        return value

    def emit_event(self, body: dict[str, Any], type_: str, reason: str, message: str) -> None:
        """A Kubernetes Event on the KubeSage object (best effort)."""
        from datetime import datetime

        from kubernetes import client

        meta = body.get("metadata") or {}
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        event: Any = {
            "metadata": {"generateName": f"{meta.get('name')}.", "namespace": meta.get("namespace")},
            "involvedObject": {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "KubeSage",
                "name": meta.get("name"),
                "namespace": meta.get("namespace"),
                "uid": meta.get("uid"),
            },
            "reason": reason,
            "message": message[:1000],
            "type": type_,
            "source": {"component": "kubesage-operator"},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        try:
            client.CoreV1Api(self.cluster.api).create_namespaced_event(
                str(meta.get("namespace")), event, _request_timeout=(5.0, 30.0)
            )
        except Exception as err:
            log.info("event %s on KubeSage %s: %s", reason, meta.get("name"), err)

    # -- KubeSage objects ----------------------------------------------------------------------

    def reconciler(self, namespace: str, name: str) -> Reconciler:
        with self._lock:
            rec = self.reconcilers.get((namespace, name))
            if rec is None:
                rec = self.reconcilers[(namespace, name)] = Reconciler(
                    namespace,
                    name,
                    api_client=self.cluster.api,
                    metrics=self.metrics,
                    read_secret=self.read_secret,
                    emit_event=self.emit_event,
                )
            return rec

    def forget(self, namespace: str, name: str) -> None:
        with self._lock:
            self.reconcilers.pop((namespace, name), None)

    def step(self, rec: Reconciler, body: Mapping[str, Any]) -> None:
        """Configure from the latest body and run one pass if this replica is active."""
        from kubesage.analysis import AnalyzeRequest, plan

        rec.configure(plain(body))
        if not self.active:
            return
        needs_logs = False
        if not rec.spec_error:
            specs, _, kinds = plan(AnalyzeRequest(filters=rec.spec.filters, lint=rec.spec.lint))
            self.source.ensure(kinds)
            if not self.source.wait_synced(SYNC_WAIT, kinds):
                if time.monotonic() - self._first_step.setdefault(rec, time.monotonic()) < SYNC_TIMEOUT:
                    return  # the first sync is still running: the next interval analyses
                log.warning("watches not synced after %ss; analysing what is there", SYNC_TIMEOUT)
            needs_logs = any(s.name == "Log" for s in specs)
        snap = self.source.snapshot()
        if needs_logs:
            self.source.fetch_logs(snap)
        report = rec.tick(snap, self.source.generation)
        if report is not None:
            log.info(
                "KubeSage %s/%s: %d results (%d new, %d changed, %d resolved, %d deferred), %d LLM calls, %.2fs",
                rec.namespace, rec.name, report.results, report.created, report.updated, report.resolved,
                report.deferred, report.llm_calls, report.duration,
            )  # fmt: skip
        self.refresh_metrics()

    def run_kubesage(self, stopped: Any, body: Mapping[str, Any], namespace: str, name: str) -> None:
        """The loop of one KubeSage (a kopf daemon): a pass every interval until stopped."""
        rec = self.reconciler(namespace, name)
        log.info("KubeSage %s/%s: loop started", namespace, name)
        while not stopped:
            try:
                self.step(rec, body)
            except Exception:  # keep the daemon alive; the next interval tries again
                log.exception("KubeSage %s/%s: pass failed", namespace, name)
                self.metrics.reconcile_errors.labels(name).inc()
            synced = self.source.synced
            stopped.wait(rec.interval if self.active and synced else min(rec.interval, 2.0))
