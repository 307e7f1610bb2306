"""Scale a workload within the policy bounds: a Service has no endpoints because the one
workload it selects runs zero replicas."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesage.cluster.snapshot import ClusterSnapshot
from kubesage.remediate.actions.base import Obj, RolloutAction, require, selects, split_name, template_labels
from kubesage.remediate.model import Change, Target
from kubesage.results import Result

if TYPE_CHECKING:
    from kubesage.remediate.policy import Policy

WORKLOADS = ("Deployment", "StatefulSet")


def selected_workloads(snap: ClusterSnapshot, namespace: str, selector: dict[str, Any]) -> list[Obj]:
    return [w for kind in WORKLOADS for w in snap.objects(kind, namespace) if selects(selector, template_labels(w))]


class Scale(RolloutAction):
    name = "scale"
    summary = "Scale a Deployment or StatefulSet within the policy's bounds"
    fixes = "a Service without endpoints because the one workload it selects is scaled to zero"
    patterns = (r"has no endpoints",)
    kinds = WORKLOADS
    fields = ("spec.replicas",)
    agent = "scaler"
    strategy = "scale"
    verify_doc = "the workload has the new number of ready replicas and the Service has endpoints"
    undo_doc = "set the replica count back through the scale subresource"
    params = {"replicas": {"type": "integer", "minimum": 0, "description": "the new replica count"}}

    def targets_of(self, snap: ClusterSnapshot, result: Result) -> list[Target]:
        if result.kind != "Service":
            return []
        ns, name = split_name(result.name)
        svc = snap.get("Service", ns, name)
        selector = dict((svc or {}).get("spec", {}).get("selector") or {})
        found = selected_workloads(snap, ns, selector)
        if len(found) != 1 or int((found[0].get("spec") or {}).get("replicas", 1) or 0) != 0:
            return []
        w = found[0]
        return [Target(str(w["kind"]), ns, str(w["metadata"]["name"]))]

    def evidence(self, snap: ClusterSnapshot, target: Target, results: list[Result]) -> Result | None:
        obj = snap.get(target.kind, target.namespace, target.name)
        labels = template_labels(obj) if obj else {}
        for r in results:
            ns, name = split_name(r.name)
            if r.kind != "Service" or ns != target.namespace or not self.matches(r):
                continue
            svc = snap.get("Service", ns, name)
            if selects(dict((svc or {}).get("spec", {}).get("selector") or {}), labels):
                return r
        return None

    def build(
        self,
        snap: ClusterSnapshot,
        obj: Obj,
        target: Target,
        params: dict[str, Any],
        policy: Policy,
        finding: Result | None,
    ) -> list[Change]:
        old = int((obj.get("spec") or {}).get("replicas", 1) or 0)
        want = int(params.get("replicas", max(1, policy.scale_min)))
        require(
            policy.scale_min <= want <= policy.scale_max,
            f"replicas {want} outside the policy bounds {policy.scale_min}..{policy.scale_max}",
        )
        require(want != old, f"{target.name} already runs {old} replicas")
        params["replicas"] = want
        return [Change("spec.replicas", old, want)]


ACTION = Scale()
