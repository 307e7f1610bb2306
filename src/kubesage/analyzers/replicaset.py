"""ReplicaSet: scaled to zero by a failed pod creation (ReplicaFailure/FailedCreate, k8sgpt parity)."""

from __future__ import annotations

from kubesage.analyzers.base import AnalysisContext, as_int, conditions, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.results import Failure, Result


@analyzer(
    "ReplicaSet",
    group="core",
    kinds=("ReplicaSet", "Deployment"),
    description="ReplicaSets with no replicas because pod creation failed (quota, admission, ...)",
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for rs in ctx.objects("ReplicaSet"):
        if as_int((rs.get("status") or {}).get("replicas")) != 0:
            continue
        failures = [
            Failure(str(cond.get("message") or ""), [])
            for cond in conditions(rs)
            if cond.get("type") == "ReplicaFailure" and cond.get("reason") == "FailedCreate"
        ]
        if failures:
            results.append(Result("ReplicaSet", ns_name(rs), failures, parent_object=ctx.parent(rs)))
    return results
