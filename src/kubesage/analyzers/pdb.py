"""PodDisruptionBudget: DisruptionAllowed=False, naming the pod labels it expects (k8sgpt parity)."""

from __future__ import annotations

from kubesage.analyzers.base import AnalysisContext, conditions, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.results import Failure, Result, sensitive


@analyzer(
    "PodDisruptionBudget",
    group="optional",
    kinds=("PodDisruptionBudget",),
    description="PDBs that allow no disruption, with the pod labels they expect",
    default=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for pdb in ctx.objects("PodDisruptionBudget"):
        conds = conditions(pdb)
        # k8sgpt examines only the first condition.
        if not conds or conds[0].get("type") != "DisruptionAllowed" or conds[0].get("status") != "False":
            continue
        match_labels = ((pdb.get("spec") or {}).get("selector") or {}).get("matchLabels")
        if match_labels is None:
            continue
        reason = str(conds[0].get("reason") or "")
        failures = [
            Failure(f"{reason}, expected pdb pod label {k}={v}", sensitive(str(k), str(v)))
            for k, v in match_labels.items()
        ]
        if failures:
            results.append(Result("PodDisruptionBudget", ns_name(pdb), failures, parent_object=ctx.parent(pdb)))
    return results
