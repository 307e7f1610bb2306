"""Remediation records (the `Remediation` custom resource) and Events on the target.

Every step of the pipeline lands in the record: proposal, evidence, policy decision,
dry-run diff, approver, apply, verify, rollback. Written by the recorder agent only.
"""

from __future__ import annotations

import builtins
from datetime import UTC, datetime
from typing import Any

from kubesage.agents.client import Kube, KubeError
from kubesage.errors import KubesageError
from kubesage.remediate.model import Change, Decision, Finding, Proposal, Target
from kubesage.remediate.policy import Applied

GROUP = "core.kubesage.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
APPROVED_BY = f"{GROUP}/approved-by"
LABEL_ACTION = f"{GROUP}/action"
LABEL_TARGET_NS = f"{GROUP}/target-namespace"
TERMINAL = ("Refused", "Verified", "RolledBack", "Aborted", "Failed", "Planned")


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def collection(namespace: str) -> str:
    return f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/remediations"


def to_record(p: Proposal, namespace: str, policy_spec: dict[str, Any]) -> dict[str, Any]:
    target = {**p.target.to_json(), "uid": p.uid}
    return {
        "apiVersion": API_VERSION,
        "kind": "Remediation",
        "metadata": {
            "name": p.id,
            "namespace": namespace,
            "labels": {LABEL_ACTION: p.action[:63], LABEL_TARGET_NS: p.target.namespace[:63]},
        },
        "spec": {
            "action": p.action,
            "target": target,
            "params": _jsonable(p.params),
            "source": p.source,
            "reason": p.reason,
            "finding": p.finding.to_json() if p.finding else None,
            "changes": [c.to_json() for c in p.changes],
            "plan": {"resourceVersion": p.resource_version, "generation": p.generation},
            "policy": policy_spec,
        },
    }


def from_record(rec: dict[str, Any]) -> Proposal:
    spec = rec.get("spec") or {}
    t = spec.get("target") or {}
    p = Proposal(
        str(spec.get("action") or ""),
        Target(str(t.get("kind") or ""), str(t.get("namespace") or ""), str(t.get("name") or "")),
        dict(spec.get("params") or {}),
        [Change.from_json(c) for c in spec.get("changes") or ()],
        Finding.from_json(spec["finding"]) if spec.get("finding") else None,
        str(spec.get("source") or "rule"),
        str(spec.get("reason") or ""),
    )
    decision = (rec.get("status") or {}).get("decision")
    if isinstance(decision, dict):
        p.decision = Decision(bool(decision.get("allowed")), list(decision.get("reasons") or ()))
    plan = spec.get("plan") or {}
    p.resource_version = str(plan.get("resourceVersion") or "")
    p.generation = int(plan.get("generation") or 0)
    p.uid = str(t.get("uid") or "")
    return p


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class Records:
    """Create and update Remediation records and Events, as the recorder agent."""

    def __init__(self, kube: Kube, namespace: str) -> None:
        self.kube = kube
        self.namespace = namespace

    def create(self, p: Proposal, policy_spec: dict[str, Any]) -> dict[str, Any]:
        body = to_record(p, self.namespace, policy_spec)
        try:
            out = self.kube.create(collection(self.namespace), body)
        except KubeError as err:
            if err.status == 409:
                existing = self.get(p.id)
                if existing is not None:
                    return existing
            if err.status == 404:
                raise KubesageError(
                    f"cannot create Remediation records in namespace {self.namespace}: the CRD is not installed "
                    "(kubectl apply -f deploy/crds/remediation.yaml) or the namespace does not exist"
                ) from None
            raise
        return dict(out or body)

    def get(self, name: str) -> dict[str, Any] | None:
        return self.kube.get(f"{collection(self.namespace)}/{name}")

    def list(self) -> builtins.list[dict[str, Any]]:
        out = self.kube.request("GET", collection(self.namespace)) or {}
        items = [i for i in out.get("items") or () if isinstance(i, dict)]
        return sorted(items, key=lambda r: str(r.get("metadata", {}).get("creationTimestamp") or ""))

    def update(self, name: str, status: dict[str, Any], step: dict[str, Any] | None = None) -> dict[str, Any]:
        """Merge `status` into the record's status; append `step` to status.steps."""
        path = f"{collection(self.namespace)}/{name}/status"
        if step is not None:
            current = self.get(name) or {}
            steps = list((current.get("status") or {}).get("steps") or [])
            steps.append({"at": now(), **step})
            status = {**status, "steps": steps}
        return dict(self.kube.merge_patch(path, {"status": status}) or {})

    def approve(self, name: str, approver: str) -> dict[str, Any]:
        path = f"{collection(self.namespace)}/{name}"
        return dict(self.kube.merge_patch(path, {"metadata": {"annotations": {APPROVED_BY: approver}}}) or {})

    def history(self) -> builtins.list[Applied]:
        """Applied remediations, for the blast-radius caps."""
        out: builtins.list[Applied] = []
        for rec in self.list():
            applied = ((rec.get("status") or {}).get("apply") or {}).get("at")
            if not applied:
                continue
            t = (rec.get("spec") or {}).get("target") or {}
            at = datetime.fromisoformat(str(applied).replace("Z", "+00:00"))
            out.append(
                Applied(at, str(t.get("namespace") or ""), f"{t.get('kind')}/{t.get('namespace')}/{t.get('name')}")
            )
        return out

    def event(self, target: Target, uid: str, reason: str, message: str, warning: bool = False) -> None:
        """A core/v1 Event on the target, in the target's namespace."""
        stamp = now()
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{target.name}.kubesage.", "namespace": target.namespace},
            "involvedObject": {
                "apiVersion": target.api_version,
                "kind": target.kind,
                "namespace": target.namespace,
                "name": target.name,
                **({"uid": uid} if uid else {}),
            },
            "reason": reason,
            "message": message[:1000],
            "type": "Warning" if warning else "Normal",
            "source": {"component": "kubesage"},
            "reportingComponent": "kubesage",
            "reportingInstance": "kubesage",
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        self.kube.create(f"/api/v1/namespaces/{target.namespace}/events", body)


def approved_by(rec: dict[str, Any]) -> str:
    return str(((rec.get("metadata") or {}).get("annotations") or {}).get(APPROVED_BY) or "")
