"""GatewayClass: classes whose first condition is not True (k8sgpt parity)."""

from __future__ import annotations

from kubesage.analyzers.base import AnalysisContext, conditions
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import name_of
from kubesage.results import Failure, Result, sensitive


@analyzer(
    "GatewayClass",
    group="optional",
    kinds=("GatewayClass",),
    description="Gateway API GatewayClasses not accepted by their controller",
    default=False,
    parents=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for gc in ctx.objects("GatewayClass", namespaced=False):
        conds = conditions(gc)
        if not conds or conds[0].get("status") == "True":
            continue
        name = name_of(gc)
        controller = (gc.get("spec") or {}).get("controllerName") or ""
        text = (
            f"GatewayClass '{name}' with a controller name '{controller}' is not accepted. "
            f"Message: '{conds[0].get('message') or ''}'."
        )
        results.append(Result("GatewayClass", name, [Failure(text, sensitive(name))]))
    return results
