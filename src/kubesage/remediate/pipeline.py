"""One pipeline for every proposal, from a rule or an LLM:

propose -> policy -> server-side dry-run (diff) -> approve -> apply (server-side apply,
field manager `kubesage`, resourceVersion precondition) -> verify -> roll back on failure,
with every step recorded in a Remediation object and an Event on the target.

`plan` is pure and read-only (works on a snapshot); `Runner` talks to a cluster, each
step with the least-privileged agent's credentials (kubesage.agents).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kubesage.agents.client import Kube, KubeError
from kubesage.agents.coordinator import Credentials
from kubesage.cluster.snapshot import ClusterSnapshot, meta
from kubesage.remediate import fields, render
from kubesage.remediate.actions.base import Action, get_action
from kubesage.remediate.model import Proposal
from kubesage.remediate.policy import Applied, Policy
from kubesage.remediate.propose import gate, rule_proposals
from kubesage.remediate.records import Records, approved_by, from_record
from kubesage.results import Result

if TYPE_CHECKING:
    from kubesage.llm.base import Backend

# Kinds a verification re-reads (what the analyzers need to judge the targets).
VERIFY_KINDS = (
    "Pod",
    "Event",
    "ReplicaSet",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Service",
    "Endpoints",
    "CronJob",
    "ConfigMap",
)


def plan(
    snapshot: ClusterSnapshot,
    results: list[Result],
    policy: Policy,
    *,
    llm: Backend | None = None,
    history: Iterable[Applied] = (),
    now: datetime | None = None,
) -> list[Proposal]:
    """Proposals for `results` with their policy decisions. Pure: reads only `snapshot`."""
    proposals = rule_proposals(snapshot, results, policy)
    if llm is not None:
        from kubesage.remediate.llm import llm_proposals

        proposals.extend(llm_proposals(llm, snapshot, results, policy))
    return gate(proposals, policy, history, now)


@dataclass
class Outcome:
    id: str
    phase: str
    message: str = ""
    seconds: float = 0.0
    """From apply to verified (time to fix)."""
    diff: str = ""


def analyze_namespace(kube: Kube, namespace: str) -> tuple[ClusterSnapshot, list[Result]]:
    """A fresh snapshot of one namespace (as the reader) and the default analyzers' results."""
    from kubesage.analysis import AnalyzeRequest, analyze_snapshot
    from kubesage.cluster.live import LiveCluster

    live = LiveCluster(kube.api, str(kube.api.configuration.host))
    snap = live.snapshot(VERIFY_KINDS, namespace=namespace, progress=False, max_concurrency=4)
    analysis = analyze_snapshot(snap, AnalyzeRequest(namespace=namespace))
    return snap, analysis.results


@dataclass
class Runner:
    """Runs proposals against a cluster. `approver` is who approved (None: wait for approval)."""

    creds: Credentials
    policy: Policy
    records: Records
    poll_seconds: float = 1.0
    log: Callable[[str], None] = lambda _msg: None
    sleep: Callable[[float], None] = time.sleep
    verify_timeout: float | None = None
    _outcomes: list[Outcome] = field(default_factory=list, init=False)

    # -- entry points --------------------------------------------------------------------

    def run(self, proposals: Iterable[Proposal], approver: str | None = None) -> list[Outcome]:
        out = []
        for p in proposals:
            out.append(self.submit(p, approver))
        return out

    def submit(self, p: Proposal, approver: str | None = None) -> Outcome:
        """Record a proposal and take it as far as the policy and approval allow."""
        rec = self.records.create(p, self.policy.to_spec())
        name = rec["metadata"]["name"]
        phase = (rec.get("status") or {}).get("phase")
        if phase and phase != "Proposed":
            return Outcome(name, str(phase), "already recorded")
        decision = p.decision.to_json() if p.decision else {"allowed": False, "reasons": ["no policy decision"]}
        self.records.update(
            name,
            {"phase": "Proposed", "decision": decision},
            {"step": "propose", "agent": "recorder", "outcome": p.source, "message": p.reason},
        )
        if not p.allowed:
            reasons = "; ".join(p.decision.reasons if p.decision else ["refused"])
            self.records.update(
                name,
                {"phase": "Refused", "message": reasons},
                {"step": "policy", "agent": "coordinator", "outcome": "refused", "message": reasons},
            )
            self._event(p, "RemediationRefused", reasons, warning=True)
            return Outcome(name, "Refused", reasons)
        self.records.update(name, {}, {"step": "policy", "agent": "coordinator", "outcome": "allowed", "message": ""})
        return self.execute(name, p, approver)

    def resume(self, name: str, approver: str | None = None) -> Outcome:
        """Continue a recorded proposal (after approval by the CLI or the record's annotation)."""
        rec = self.records.get(name)
        if rec is None:
            raise KubeError(f"no Remediation {self.records.namespace}/{name}", 404)
        phase = str((rec.get("status") or {}).get("phase") or "")
        if phase not in ("AwaitingApproval", "Planned"):
            return Outcome(name, phase, f"not awaiting approval (phase {phase or 'unknown'})")
        p = from_record(rec)
        who = approver or approved_by(rec)
        if not who:
            return Outcome(name, phase, "not approved")
        if approver:
            self.records.approve(name, approver)
        # The policy is checked again: it may have changed since the plan.
        decision = self.policy.check(p, self.records.history())
        if not decision.allowed:
            reasons = "; ".join(decision.reasons)
            self.records.update(
                name,
                {"phase": "Refused", "decision": decision.to_json(), "message": reasons},
                {"step": "policy", "agent": "coordinator", "outcome": "refused", "message": reasons},
            )
            return Outcome(name, "Refused", reasons)
        return self.execute(name, p, who, via="annotation" if not approver else "cli")

    # -- the steps -----------------------------------------------------------------------

    def execute(self, name: str, p: Proposal, approver: str | None, via: str = "cli") -> Outcome:
        action = get_action(p.action)
        assert action is not None
        step = "delete" if action.strategy == "delete" else ("scale" if action.strategy == "scale" else "patch")
        reader, writer = self.creds.kube("read"), self.creds.kube(step)
        live = reader.get(p.target.path())
        why = stale(p, live)
        if why:
            return self._abort(name, p, why)
        # Dry-run through the real admission chain.
        try:
            dry = write(writer, p, action, live or {}, dry_run=True)
        except KubeError as err:
            if err.conflict:
                return self._abort(name, p, f"object changed between plan and dry-run: {err}")
            msg = f"dry-run failed: {err}"
            self.records.update(
                name,
                {"phase": "Failed", "dryRun": {"ok": False, "message": msg}, "message": msg},
                {"step": "dry-run", "agent": writer.who, "outcome": "failed", "message": msg},
            )
            return Outcome(name, "Failed", msg)
        text = render.diff(live, None if action.strategy == "delete" else _object(dry, live), p.target.key)
        self.records.update(
            name,
            {"phase": "DryRun", "dryRun": {"ok": True, "diff": text[:20000], "at": _now()}},
            {"step": "dry-run", "agent": writer.who, "outcome": "ok", "message": ""},
        )
        self.log(f"{name}: dry-run ok")
        if self.policy.mode == "plan":
            self.records.update(name, {"phase": "Planned", "message": "policy mode is plan: not applied"}, None)
            return Outcome(name, "Planned", "policy mode is plan", diff=text)
        if self.policy.mode == "auto" and not approver:
            approver, via = "policy:auto", "policy"
        if not approver:
            self.records.update(
                name,
                {"phase": "AwaitingApproval", "message": f"approve with: kubesage remediate approve {name}"},
                {"step": "approve", "agent": "coordinator", "outcome": "waiting", "message": ""},
            )
            return Outcome(name, "AwaitingApproval", "waiting for approval", diff=text)
        self.records.update(
            name,
            {"phase": "Approved", "approval": {"by": approver, "via": via, "at": _now()}},
            {"step": "approve", "agent": "coordinator", "outcome": "approved", "message": approver},
        )
        return self._apply_and_verify(name, p, action, reader, writer, text)

    def _apply_and_verify(
        self, name: str, p: Proposal, action: Action, reader: Kube, writer: Kube, text: str
    ) -> Outcome:
        applied: dict[str, Any] | None = None
        for _attempt in range(3):
            live = reader.get(p.target.path())
            why = stale(p, live)
            if why:
                return self._abort(name, p, why)
            try:
                applied = _object(write(writer, p, action, live or {}, dry_run=False), live)
                break
            except KubeError as err:
                if not err.conflict:
                    msg = f"apply failed: {err}"
                    self.records.update(
                        name,
                        {"phase": "Failed", "message": msg},
                        {"step": "apply", "agent": writer.who, "outcome": "failed", "message": msg},
                    )
                    return Outcome(name, "Failed", msg)
                # A write raced us (often only status): re-read; stale() aborts if the spec moved.
        else:
            return self._abort(name, p, "object kept changing between plan and apply: not overwritten")
        start = time.monotonic()
        after = {c.path: fields.get(applied, c.path) for c in p.changes} if applied else {}
        self.records.update(
            name,
            {
                "phase": "Applied",
                "apply": {
                    "at": _now(),
                    "agent": writer.who,
                    "resourceVersion": str(meta(applied or {}).get("resourceVersion") or ""),
                    "applied": [{"path": k, "value": v} for k, v in after.items() if v is not fields.MISSING],
                },
            },
            {"step": "apply", "agent": writer.who, "outcome": "ok", "message": ""},
        )
        self._event(p, "RemediationApplied", f"kubesage applied {p.action} ({name})")
        ok, message = self._verify(p, action, reader)
        seconds = time.monotonic() - start
        if ok:
            self.records.update(
                name,
                {
                    "phase": "Verified",
                    "verify": {"ok": True, "at": _now(), "message": message, "seconds": round(seconds, 2)},
                    "message": message,
                },
                {"step": "verify", "agent": reader.who, "outcome": "ok", "message": message},
            )
            self._event(p, "RemediationVerified", f"{p.action} fixed the finding ({name}): {message}")
            return Outcome(name, "Verified", message, seconds, text)
        self.records.update(
            name,
            {"verify": {"ok": False, "at": _now(), "message": message, "seconds": round(seconds, 2)}},
            {"step": "verify", "agent": reader.who, "outcome": "failed", "message": message},
        )
        if not action.reversible:
            self.records.update(
                name, {"phase": "Failed", "message": f"verification failed: {message} (not reversible)"}, None
            )
            return Outcome(name, "Failed", message, seconds, text)
        rolled = self.undo(name, p, action, after, reason=f"verification failed: {message}")
        return Outcome(name, rolled.phase, f"verification failed: {message}; {rolled.message}", seconds, text)

    def _verify(self, p: Proposal, action: Action, reader: Kube) -> tuple[bool, str]:
        timeout = self.verify_timeout if self.verify_timeout is not None else self.policy.verify_timeout_seconds
        deadline = time.monotonic() + timeout
        message = "not checked"
        while True:
            obj = reader.get(p.target.path())
            snap, results = analyze_namespace(reader, p.target.namespace)
            done, message = action.verify(obj, p.target, snap, results)
            if done:
                return True, message
            if time.monotonic() >= deadline:
                return False, f"{message} (after {timeout:g}s)"
            self.sleep(self.poll_seconds)

    def undo(self, name: str, p: Proposal, action: Action, applied: dict[str, Any], reason: str) -> Outcome:
        """Put back the touched fields exactly as the plan found them, unless someone else changed them since."""
        reader = self.creds.kube("read")
        writer = self.creds.kube("scale" if action.strategy == "scale" else "patch")

        def failed(msg: str, outcome: str) -> Outcome:
            self.records.update(
                name,
                {"phase": "Failed", "rollback": {"ok": False, "at": _now(), "message": msg}, "message": msg},
                {"step": "rollback", "agent": writer.who, "outcome": outcome, "message": msg},
            )
            return Outcome(name, "Failed", msg)

        live = reader.get(p.target.path())
        if live is None:
            return failed("target is gone: nothing to roll back", "failed")
        changed = [c.path for c in p.changes if c.path in applied and fields.get(live, c.path) != applied[c.path]]
        if changed:
            return failed(f"not rolled back: {', '.join(changed)} changed by someone else since the apply", "refused")
        try:
            if action.strategy == "scale":
                body = render.scale_body(p, str(meta(live).get("resourceVersion") or ""))
                body["spec"]["replicas"] = p.changes[0].old
                writer.apply(p.target.path("scale"), body)
            else:
                ops = fields.json_patch(
                    live,
                    [(c.path, applied.get(c.path, c.new), c.old) for c in p.changes],
                    str(meta(live).get("resourceVersion") or ""),
                )
                writer.json_patch(p.target.path(), ops)
        except KubeError as err:
            return failed(f"rollback failed: {err}", "failed")
        msg = f"rolled back ({reason})"
        self.records.update(
            name,
            {"phase": "RolledBack", "rollback": {"ok": True, "at": _now(), "message": reason}, "message": msg},
            {"step": "rollback", "agent": writer.who, "outcome": "ok", "message": reason},
        )
        self._event(p, "RemediationRolledBack", f"kubesage rolled back {p.action} ({name}): {reason}", warning=True)
        return Outcome(name, "RolledBack", msg)

    def rollback(self, name: str, reason: str = "rollback requested") -> Outcome:
        """Undo an applied remediation from its record (`kubesage remediate rollback ID`)."""
        rec = self.records.get(name)
        if rec is None:
            raise KubeError(f"no Remediation {self.records.namespace}/{name}", 404)
        status = rec.get("status") or {}
        if status.get("phase") not in ("Applied", "Verified", "Failed") or not (status.get("apply") or {}).get("at"):
            phase = str(status.get("phase") or "")
            return Outcome(name, phase, f"phase {phase or 'unknown'}: nothing applied to roll back")
        p = from_record(rec)
        action = get_action(p.action)
        if action is None or not action.reversible:
            return Outcome(name, str(status.get("phase")), f"{p.action} is not reversible")
        applied = {str(a["path"]): a.get("value") for a in (status.get("apply") or {}).get("applied") or ()}
        return self.undo(name, p, action, applied, reason)

    # -- helpers -------------------------------------------------------------------------

    def _abort(self, name: str, p: Proposal, why: str) -> Outcome:
        msg = f"aborted: {why}"
        self.records.update(
            name,
            {"phase": "Aborted", "message": msg},
            {"step": "apply", "agent": "coordinator", "outcome": "aborted", "message": why},
        )
        self._event(p, "RemediationAborted", f"kubesage did not apply {p.action}: {why}", warning=True)
        return Outcome(name, "Aborted", msg)

    def _event(self, p: Proposal, reason: str, message: str, warning: bool = False) -> None:
        if not p.target.namespace or not self.policy.namespace_allowed(p.target.namespace) or not p.target.api_version:
            return  # the recorder may only write Events in allowed namespaces
        try:
            self.records.event(p.target, p.uid, reason, message, warning)
        except KubeError as err:
            self.log(f"event on {p.target.key} failed: {err}")


def stale(p: Proposal, live: dict[str, Any] | None) -> str:
    """Why the live object no longer matches the plan ("" when it does)."""
    if live is None:
        return f"{p.target.key} no longer exists"
    m = meta(live)
    if p.uid and str(m.get("uid") or "") != p.uid:
        return f"{p.target.key} was recreated since the plan"
    if p.generation and int(m.get("generation") or 0) != p.generation:
        moved = f"generation {p.generation} -> {m.get('generation')}"
        return f"{p.target.key} spec changed since the plan ({moved}): not overwritten"
    for c in p.changes:
        if fields.get(live, c.path) != c.old:
            return f"{c.path} changed since the plan: not overwritten"
    return ""


def write(kube: Kube, p: Proposal, action: Action, live: dict[str, Any], dry_run: bool) -> Any:
    rv = str(meta(live).get("resourceVersion") or "")
    if action.strategy == "apply":
        return kube.apply(p.target.path(), render.apply_body(p, rv), dry_run=dry_run)
    if action.strategy == "scale":
        return kube.apply(p.target.path("scale"), render.scale_body(p, rv), dry_run=dry_run)
    if action.strategy == "json-patch":
        ops = fields.json_patch(live, [(c.path, c.old, c.new) for c in p.changes], rv)
        return kube.json_patch(p.target.path(), ops, dry_run=dry_run)
    return kube.delete(p.target.path(), uid=p.uid, resource_version=rv, dry_run=dry_run)


def _object(response: Any, live: dict[str, Any] | None) -> dict[str, Any]:
    """The object after a write; a Scale response is folded back into the live object."""
    if isinstance(response, dict) and response.get("kind") == "Scale" and live is not None:
        out = dict(live)
        out["spec"] = {**(live.get("spec") or {}), "replicas": (response.get("spec") or {}).get("replicas")}
        out["metadata"] = {**meta(live), "resourceVersion": (response.get("metadata") or {}).get("resourceVersion")}
        return out
    return response if isinstance(response, dict) else {}


def _now() -> str:
    from kubesage.remediate.records import now

    return now()
