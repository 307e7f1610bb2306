"""Remediation inside the operator: one KubeSage object's `remediation` block, every pass.

Each pass plans on the pass's snapshot and results, records new proposals and takes them
as far as the policy's mode allows, resumes records approved by annotation, and reports a
k8sgpt-operator `autoRemediationStatus.phase` per result. Writes (and their verification)
run on one worker thread, so a pass never waits for a rollout.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kubesage.agents.coordinator import AgentNames, Coordinator
from kubesage.errors import KubesageError
from kubesage.remediate.pipeline import Runner, plan
from kubesage.remediate.policy import Policy
from kubesage.remediate.records import TERMINAL, Records, approved_by

if TYPE_CHECKING:
    from kubesage.cluster.snapshot import ClusterSnapshot
    from kubesage.results import Result

log = logging.getLogger("kubesage.remediate")

# k8sgpt-operator's AutoRemediationPhase enum.
NOT_STARTED, IN_PROGRESS, COMPLETED, SUCCESSFUL, PENDING, ABORTED = range(6)
PHASES = {
    "Proposed": IN_PROGRESS,
    "DryRun": IN_PROGRESS,
    "Approved": IN_PROGRESS,
    "Applied": COMPLETED,
    "Verified": SUCCESSFUL,
    "Planned": PENDING,
    "AwaitingApproval": PENDING,
    "Refused": ABORTED,
    "Aborted": ABORTED,
    "RolledBack": ABORTED,
    "Failed": ABORTED,
}


COOLDOWN = ("Applied", "Verified", "RolledBack", "Failed")


def result_phase(record: dict[str, Any]) -> int:
    return PHASES.get(str((record.get("status") or {}).get("phase") or ""), IN_PROGRESS)


class AutoRemediation:
    """The pipeline for one KubeSage object, as the coordinator of the agents."""

    def __init__(self, api_client: Any, namespace: str, agents: AgentNames | None = None) -> None:
        self.api_client = api_client
        self.namespace = namespace
        self.agents = agents or AgentNames(
            namespace=os.environ.get("KUBESAGE_AGENTS_NAMESPACE") or namespace,
            prefix=os.environ.get("KUBESAGE_AGENTS_PREFIX") or "kubesage-agent-",
        )
        self.coordinator = Coordinator(api_client, self.agents)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kubesage-remediate")
        self._busy: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()
        self._published: dict[str, int] = {}
        self._changed = False

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.coordinator.close()

    def idle(self) -> bool:
        with self._lock:
            return all(f.done() for f in self._busy.values())

    def pending(self) -> bool:
        """Work in flight, or phases that changed in the last pass: run another pass to settle them."""
        return not self.idle() or self._changed

    def step(
        self, spec: dict[str, Any], snap: ClusterSnapshot, results: list[Result]
    ) -> tuple[dict[tuple[str, str], int], list[str]]:
        """(phase by result (kind, name), errors). Returns at once; writes happen on the worker."""
        try:
            policy = Policy.from_spec(spec)
        except KubesageError as err:
            return {}, [f"remediation: {err}"]
        if not policy.enabled:
            return {}, []
        try:
            records = Records(self.coordinator.kube("record"), self.agents.namespace)
            existing = records.list()
            history = records.history()
        except KubesageError as err:
            return {}, [f"remediation: {err}"]
        runner = Runner(self.coordinator, policy, records, log=log.info)
        by_name = {str(r["metadata"]["name"]): r for r in existing}
        open_targets = {
            _target_key(r) for r in existing if str((r.get("status") or {}).get("phase") or "") not in TERMINAL
        }
        # A target fixed (or rolled back) within the interval is left alone: the watch may lag
        # behind the fix, and a failed fix is not retried blindly.
        since = datetime.now(UTC) - timedelta(seconds=policy.interval_seconds)
        open_targets |= {
            _target_key(r)
            for r in existing
            if (r.get("status") or {}).get("phase") in COOLDOWN and _created(r) >= since
        }
        for p in plan(snap, results, policy, history=history):
            if p.id in by_name or p.target.key in open_targets or not p.target.kind:
                continue
            open_targets.add(p.target.key)
            self._submit(p.id, runner.submit, p)
        for name, rec in by_name.items():
            if (rec.get("status") or {}).get("phase") == "AwaitingApproval" and approved_by(rec):
                self._submit(name, runner.resume, name)
        phases: dict[tuple[str, str], int] = {}
        for rec in sorted(existing, key=lambda r: str(r["metadata"].get("creationTimestamp") or "")):
            finding = (rec.get("spec") or {}).get("finding") or {}
            if finding.get("kind") and finding.get("name"):
                phases[(str(finding["kind"]), str(finding["name"]))] = result_phase(rec)
        for p_name, fut in list(self._busy.items()):
            if fut.done():
                failure = fut.exception()
                if failure is not None:
                    log.warning("remediation %s failed: %s", p_name, failure)
        return phases, []

    def publish(self, phases: dict[str, int]) -> list[str]:
        """Set `spec.autoRemediationStatus.phase` on Results (by object name) whose phase changed."""
        from kubesage.agents.client import Kube, KubeError

        kube = Kube(self.api_client, "operator")
        errors: list[str] = []
        self._changed = False
        for name, phase in phases.items():
            if self._published.get(name) == phase:
                continue
            path = f"/apis/core.kubesage.dev/v1alpha1/namespaces/{self.namespace}/results/{name}"
            try:
                kube.merge_patch(path, {"spec": {"autoRemediationStatus": {"phase": phase}}})
            except KubeError as err:
                errors.append(f"remediation: Result {name}: {err}")
                continue
            self._published[name] = phase
            self._changed = True
        return errors

    def _submit(self, name: str, fn: Any, arg: Any) -> None:
        with self._lock:
            running = self._busy.get(name)
            if running is not None and not running.done():
                return
            self._busy[name] = self._pool.submit(fn, arg)


def _created(rec: dict[str, Any]) -> datetime:
    stamp = str((rec.get("metadata") or {}).get("creationTimestamp") or "")
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)


def _target_key(rec: dict[str, Any]) -> str:
    t = (rec.get("spec") or {}).get("target") or {}
    return f"{t.get('kind')}/{t.get('namespace')}/{t.get('name')}"
