"""Lint: naked pods, single replicas without a PDB, HPA minReplicas above the target's replicas."""

from __future__ import annotations

from kubesage.analyzers._lint import Check, Findings, workloads
from kubesage.analyzers.base import AnalysisContext, as_int, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.selectors import label_selector_matcher
from kubesage.cluster.snapshot import Obj, name_of, namespace_of
from kubesage.results import Result

NAKED_POD = Check("KS-LINT-006", "warning", "run it from a Deployment, StatefulSet or Job so it is recreated")
SINGLE_REPLICA = Check("KS-LINT-007", "warning", "run at least 2 replicas and add a PodDisruptionBudget")
HPA_MIN_ABOVE = Check(
    "KS-LINT-008", "warning", "remove spec.replicas from the target (let the HPA own it) or match minReplicas"
)


def _covered_by_pdb(ctx: AnalysisContext, obj: Obj) -> bool:
    labels = (((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
    for pdb in ctx.snapshot.objects("PodDisruptionBudget", namespace_of(obj)):
        matcher = label_selector_matcher((pdb.get("spec") or {}).get("selector"))
        if matcher is not None and labels and matcher(labels):
            return True
    return False


@analyzer(
    "LintWorkloads",
    group="lint",
    kinds=("Pod", "Deployment", "StatefulSet", "PodDisruptionBudget", "HorizontalPodAutoscaler"),
    description="KS-LINT-006/007/008: naked pods, single replicas without a PDB, HPA minReplicas above replicas",
    default=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    found = Findings()
    for w in workloads(ctx):
        if w.kind == "Pod":
            found.add("Pod", w.obj, NAKED_POD, f"Pod {ns_name(w.obj)} is not managed by any controller")
    if ctx.snapshot.has_kind("PodDisruptionBudget"):
        for kind in ("Deployment", "StatefulSet"):
            for obj in ctx.objects(kind):
                if as_int((obj.get("spec") or {}).get("replicas"), 1) == 1 and not _covered_by_pdb(ctx, obj):
                    what = f"{kind} {ns_name(obj)} runs a single replica and no PodDisruptionBudget covers it"
                    found.add(kind, obj, SINGLE_REPLICA, what)
    for hpa in ctx.objects("HorizontalPodAutoscaler"):
        spec = hpa.get("spec") or {}
        ref = spec.get("scaleTargetRef") or {}
        target = ctx.snapshot.get(str(ref.get("kind") or ""), namespace_of(hpa), str(ref.get("name") or ""))
        replicas = (target.get("spec") or {}).get("replicas") if target is not None else None
        minimum = as_int(spec.get("minReplicas"), 1)
        if target is not None and replicas is not None and minimum > as_int(replicas):
            what = (
                f"HorizontalPodAutoscaler {ns_name(hpa)} has minReplicas {minimum} above the {as_int(replicas)} "
                f"replicas of {ref.get('kind')} {namespace_of(hpa)}/{name_of(target)}"
            )
            found.add("HorizontalPodAutoscaler", hpa, HPA_MIN_ABOVE, what)
    return found.results()
