"""Point a Service's selector at the pods of the one workload it was meant for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kubesage.analyzers.base import all_containers, pod_spec
from kubesage.cluster.snapshot import ClusterSnapshot
from kubesage.remediate.actions.base import Action, Obj, require, selects, split_name, template_labels
from kubesage.remediate.model import Change, Target
from kubesage.results import Result

if TYPE_CHECKING:
    from kubesage.remediate.policy import Policy

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")


def _ports(svc: Mapping[str, Any]) -> list[Any]:
    return [
        p.get("targetPort", p.get("port")) for p in (svc.get("spec") or {}).get("ports") or () if isinstance(p, Mapping)
    ]


def _serves(workload: Mapping[str, Any], ports: list[Any]) -> bool:
    """True if every target port of the Service is a containerPort (number or name) of the workload."""
    offered: set[Any] = set()
    for c in all_containers(pod_spec(workload)):
        for p in c.get("ports") or ():
            offered.add(p.get("containerPort"))
            if p.get("name"):
                offered.add(p.get("name"))
    return all(p in offered or str(p) in {str(o) for o in offered} for p in ports)


def intended_workloads(snap: ClusterSnapshot, svc: Obj) -> list[Obj]:
    """Workloads the Service was meant for: template labels carry every selector key; when
    several do, those named like the Service; when still several, those exposing its ports."""
    ns = str(svc["metadata"].get("namespace") or "")
    selector = dict((svc.get("spec") or {}).get("selector") or {})
    ports = _ports(svc)
    found = [
        w
        for kind in WORKLOADS
        for w in snap.objects(kind, ns)
        if selector and all(k in template_labels(w) for k in selector)
    ]
    if len(found) > 1:
        name = str(svc["metadata"].get("name"))
        found = [w for w in found if w["metadata"].get("name") == name or template_labels(w).get("app") == name]
    if len(found) > 1:
        found = [w for w in found if _serves(w, ports)]
    return found


class FixServiceSelector(Action):
    name = "fix-service-selector"
    summary = "Point a Service's selector at the pods of the one workload it was meant for"
    fixes = "a Service with no endpoints whose selector matches no pod, when exactly one workload fits it"
    patterns = (r"has no endpoints",)
    kinds = ("Service",)
    fields = ("spec.selector",)
    agent = "fixer"
    strategy = "apply"
    verify_doc = "the Service has ready endpoints"
    undo_doc = "put back the previous selector"

    def targets_of(self, snap: ClusterSnapshot, result: Result) -> list[Target]:
        if result.kind != "Service":
            return []
        ns, name = split_name(result.name)
        svc = snap.get("Service", ns, name)
        return [Target("Service", ns, name)] if svc is not None else []

    def build(
        self,
        snap: ClusterSnapshot,
        obj: Obj,
        target: Target,
        params: dict[str, Any],
        policy: Policy,
        finding: Result | None,
    ) -> list[Change]:
        selector = dict((obj.get("spec") or {}).get("selector") or {})
        require(bool(selector), f"Service {target.name} has no selector")
        matching = [
            p
            for p in snap.objects("Pod", target.namespace)
            if selects(selector, template_labels({"spec": {"template": p}}))
        ]
        require(
            not matching,
            f"the selector of {target.name} already matches {len(matching)} pod(s): not a selector problem",
        )
        candidates = intended_workloads(snap, obj)
        require(
            len(candidates) == 1, f"{len(candidates)} workloads fit Service {target.name}; fixing needs exactly one"
        )
        workload = candidates[0]
        labels = template_labels(workload)
        new = {k: labels[k] for k in selector}
        require(new != selector, f"Service {target.name} already selects {workload['metadata']['name']}")
        params["workload"] = f"{workload['kind']}/{workload['metadata']['name']}"
        return [Change("spec.selector", selector, new)]


ACTION = FixServiceSelector()
