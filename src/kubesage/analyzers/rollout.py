"""Rollout: a Deployment whose new ReplicaSet is not progressing while the old one serves.

k8sgpt reports a ready-count mismatch, and Progressing=False only after the deadline;
neither says that the old version still serves, nor why the new pods do not start.
"""

from __future__ import annotations

from kubesage.analyzers._status import START_ERRORS, container_statuses, waiting_reason
from kubesage.analyzers.base import AnalysisContext, as_int, conditions, go_slice, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import Obj, annotations_of, name_of, namespace_of
from kubesage.results import Failure, Result, sensitive

_REVISION = "deployment.kubernetes.io/revision"


def _ready(rs: Obj) -> int:
    return as_int((rs.get("status") or {}).get("readyReplicas"))


def _evidence(ctx: AnalysisContext, dep: Obj, new: Obj) -> list[str]:
    """Why the new ReplicaSet is not progressing (empty: it may just be rolling)."""
    found: set[str] = set()
    for c in conditions(dep):
        if c.get("type") == "Progressing" and c.get("status") == "False":
            found.add(str(c.get("reason") or "ProgressDeadlineExceeded"))
    for c in conditions(new):
        if c.get("type") == "ReplicaFailure" and c.get("status") == "True":
            found.add(str(c.get("reason") or "ReplicaFailure"))
    for pod in ctx.snapshot.children(new, "Pod"):
        for cs in container_statuses(pod):
            if waiting_reason(cs) in START_ERRORS:
                found.add(waiting_reason(cs))
        for c in conditions(pod):
            if c.get("type") == "PodScheduled" and c.get("reason") == "Unschedulable":
                found.add("Unschedulable")
    return sorted(found)


@analyzer(
    "Rollout",
    group="extra",
    kinds=("Deployment", "ReplicaSet", "Pod"),
    description="Deployments whose new ReplicaSet is stuck while the old ReplicaSet still serves traffic",
    default=True,
    parents=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for dep in ctx.objects("Deployment"):
        spec = dep.get("spec") or {}
        if spec.get("paused"):
            continue
        sets = ctx.snapshot.children(dep, "ReplicaSet")
        if len(sets) < 2:
            continue
        new = max(sets, key=lambda rs: as_int(annotations_of(rs).get(_REVISION)))
        old = sorted((rs for rs in sets if rs is not new and _ready(rs) > 0), key=name_of)
        want = as_int(spec.get("replicas"), 1)
        if not old or _ready(new) >= want:
            continue
        evidence = _evidence(ctx, dep, new)
        if not evidence:
            continue
        ns, name = namespace_of(dep), name_of(dep)
        serving = sum(_ready(rs) for rs in old)
        old_text = (
            f"old ReplicaSet {name_of(old[0])} still serves {serving}"
            if len(old) == 1
            else f"old ReplicaSets {go_slice(name_of(rs) for rs in old)} still serve {serving}"
        )
        text = (
            f"Deployment {ns}/{name} rollout is stuck: new ReplicaSet {name_of(new)} has {_ready(new)} of {want} "
            f"replicas ready ({', '.join(evidence)}) while {old_text}"
        )
        results.append(Result("Deployment", ns_name(dep), [Failure(text, sensitive(ns, name))]))
    return results
