"""Gateway: missing GatewayClass, and Accepted/Programmed conditions that are not True
(k8sgpt parity; unlike k8sgpt, `--namespace` is honoured)."""

from __future__ import annotations

from kubesage.analyzers.base import AnalysisContext, conditions, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import name_of, namespace_of
from kubesage.results import Failure, Result, sensitive


@analyzer(
    "Gateway",
    group="optional",
    kinds=("Gateway", "GatewayClass"),
    description="Gateway API Gateways with a missing class or not accepted/programmed",
    default=False,
    parents=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for gw in ctx.objects("Gateway"):
        ns, name = namespace_of(gw), name_of(gw)
        failures: list[Failure] = []
        gw_class = str((gw.get("spec") or {}).get("gatewayClassName") or "")
        if ctx.is_missing("GatewayClass", "", gw_class):
            failures.append(
                Failure(f"Gateway uses the GatewayClass {gw_class} which does not exist.", sensitive(gw_class))
            )
        for cond in conditions(gw):
            if cond.get("type") in ("Accepted", "Programmed") and cond.get("status") != "True":
                failures.append(
                    Failure(
                        f"Gateway '{ns}/{name}' has condition {cond.get('type')}={cond.get('status') or ''}, "
                        f"reason {cond.get('reason') or ''}: {cond.get('message') or ''}",
                        sensitive(ns, name),
                    )
                )
        if failures:
            results.append(Result("Gateway", ns_name(gw), failures))
    return results
