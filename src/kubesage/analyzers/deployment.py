"""Deployment: replicas not available, and Progressing=False conditions (k8sgpt parity)."""

from __future__ import annotations

from kubesage.analyzers.base import AnalysisContext, as_int, conditions, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import name_of, namespace_of
from kubesage.results import Failure, Result, sensitive


@analyzer(
    "Deployment",
    group="core",
    kinds=("Deployment",),
    description="Deployments whose ready replicas differ from spec, or whose rollout stopped progressing",
    parents=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for dep in ctx.objects("Deployment"):
        ns, name = namespace_of(dep), name_of(dep)
        spec, status = dep.get("spec") or {}, dep.get("status") or {}
        failures: list[Failure] = []
        want = spec.get("replicas")
        ready = as_int(status.get("readyReplicas"))
        if want is not None and as_int(want) != ready:
            want_n, have = as_int(want), as_int(status.get("replicas"))
            if have > want_n:
                text = (
                    f"Deployment {ns}/{name} has {want_n} replicas in spec but {have} replicas in status "
                    f"because status field is not updated yet after scaling and {ready} replicas are "
                    "available with status running"
                )
            else:
                text = f"Deployment {ns}/{name} has {want_n} replicas but {ready} are available with status running"
            failures.append(Failure(text, sensitive(ns, name)))
        for cond in conditions(dep):
            if cond.get("type") == "Progressing" and cond.get("status") == "False":
                failures.append(
                    Failure(
                        f"Deployment {ns}/{name} has condition {cond.get('type')}={cond.get('status')}, "
                        f"reason {cond.get('reason', '')}: {cond.get('message', '')}",
                        sensitive(ns, name),
                    )
                )
        if failures:
            results.append(Result("Deployment", ns_name(dep), failures))
    return results
