"""What the tools read: one cluster source (a live cluster or `--snapshot` files), the analyzers
and the knowledge base, opened lazily and shared by every tool call.

A live source is listed once and re-listed when older than `refresh` seconds; container logs
are fetched on demand, one pod at a time. Secrets are redacted by the snapshot itself (values
never enter the process's data model; only key names do).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubesage.cluster.snapshot import ClusterSnapshot
from kubesage.errors import KubesageError

if TYPE_CHECKING:
    from kubesage.cluster.live import LiveCluster
    from kubesage.config import Config
    from kubesage.llm.base import Backend
    from kubesage.rag.retrieve import Retriever
    from kubesage.rag.store import KnowledgeBase
    from kubesage.results import Analysis

DEFAULT_REFRESH = 30.0


@dataclass
class Source:
    """Where the cluster data comes from: `snapshots` (files) or a kubeconfig/context."""

    snapshots: Sequence[str] = ()
    kubeconfig: str | None = None
    context: str | None = None
    namespace: str = ""
    refresh: float = DEFAULT_REFRESH
    exclude: Sequence[str] = ()
    """File names to skip under a snapshot directory (e.g. a scenario's expected.yaml)."""

    def describe(self) -> str:
        if self.snapshots:
            return "snapshot " + ", ".join(self.snapshots)
        return "cluster " + (self.context or "(current context)")


@dataclass
class Workspace:
    source: Source
    config: Config | None = None
    explain_backend: str = "kb"
    """Backend the `explain` tool uses (default: the offline knowledge base)."""
    kb_path: str | None = None
    _snap: ClusterSnapshot | None = field(default=None, init=False, repr=False)
    _loaded_at: float = field(default=0.0, init=False, repr=False)
    _live: LiveCluster | None = field(default=None, init=False, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)
    _retriever: Retriever | None = field(default=None, init=False, repr=False)
    _backend: Backend | None = field(default=None, init=False, repr=False)

    # -- cluster ---------------------------------------------------------------------------

    def cfg(self) -> Config:
        if self.config is None:
            from kubesage.config import load_config

            self.config = load_config()
        return self.config

    def snapshot(self) -> ClusterSnapshot:
        with self._lock:
            stale = not self.source.snapshots and time.monotonic() - self._loaded_at > self.source.refresh
            if self._snap is None or stale:
                self._snap = self._load()
                self._loaded_at = time.monotonic()
            return self._snap

    def _load(self) -> ClusterSnapshot:
        if self.source.snapshots:
            from kubesage.cluster.files import load_snapshot

            return load_snapshot(self.source.snapshots, exclude=self.source.exclude)
        from kubesage.cluster.kinds import KINDS
        from kubesage.cluster.live import connect, validate_namespace

        validate_namespace(self.source.namespace)
        if self._live is None:
            live = connect(self.source.kubeconfig, self.source.context)
            live.check()
            self._live = live
        return self._live.snapshot(list(KINDS), namespace=self.source.namespace, progress=False)

    @property
    def live(self) -> bool:
        return not self.source.snapshots

    def pod_logs(self, namespace: str, pod: str, container: str, previous: bool, tail: int) -> str | None:
        """The container's log text (None when there is none to read)."""
        snap = self.snapshot()
        text = snap.logs(namespace, pod, container, previous)
        if text is not None or not self.live:
            return _tail(text, tail) if text is not None else None
        obj = snap.get("Pod", namespace, pod)
        if obj is None or self._live is None:
            return None
        from kubesage.cluster.live import fetch_logs

        with self._lock:
            fetch_logs(snap, [obj], cluster=self._live, tail_lines=max(1, tail), all_containers=True)
        text = snap.logs(namespace, pod, container, previous)
        return _tail(text, tail) if text is not None else None

    def analyze(
        self,
        *,
        namespace: str = "",
        filters: Sequence[str] = (),
        selector: str = "",
        lint: bool = False,
    ) -> Analysis:
        from kubesage.analysis import AnalyzeRequest, analyze_snapshot
        from kubesage.analyzers.base import AnalysisOptions
        from kubesage.cluster.selectors import parse_selector

        if selector.strip():
            try:
                parse_selector(selector)
            except (ValueError, KubesageError) as err:
                raise KubesageError(f"invalid selector {selector!r}: {err}") from None
        config = self.cfg()
        node = config.analysis.node_conditions
        request = AnalyzeRequest(
            filters=list(filters),
            active_filters=config.active_filters,
            namespace=namespace,
            selector=selector,
            lint=lint,
            options=AnalysisOptions(node.positive, node.negative, node.ignored),
        )
        return analyze_snapshot(self.snapshot(), request)

    # -- knowledge base and explanations -----------------------------------------------------

    def retriever(self) -> Retriever:
        with self._lock:
            if self._retriever is None:
                from kubesage.rag.retrieve import Retriever
                from kubesage.rag.starter import open_kb, settings

                s = settings(self.cfg(), self.kb_path)
                self._retriever = Retriever(open_kb(s), threshold=s.threshold, dense=None if s.embeddings else False)
            return self._retriever

    def kb(self) -> KnowledgeBase:
        return self.retriever().kb

    def backend(self) -> Backend:
        with self._lock:
            if self._backend is None:
                if self.explain_backend in ("", "kb"):
                    from kubesage.llm.kb import KBBackend

                    self._backend = KBBackend.from_config(None, self.cfg(), kb_path=self.kb_path)
                else:
                    from kubesage.llm.registry import load_backend

                    self._backend = load_backend(self.cfg(), self.explain_backend)
            return self._backend

    def close(self) -> None:
        with self._lock:
            if self._live is not None:
                self._live.close()
                self._live = None


def _tail(text: str, lines: int) -> str:
    if lines <= 0:
        return text
    parts = text.splitlines()
    return "\n".join(parts[-lines:])


def probe(workspace: Workspace) -> Any:
    """Load the source once so a bad kubeconfig or snapshot path fails at start-up, not on the first call."""
    return workspace.snapshot()
