"""Lint: containers without resource requests or limits."""

from __future__ import annotations

from kubesage.analyzers._lint import WORKLOAD_KINDS, Check, Findings, containers, workloads
from kubesage.analyzers.base import AnalysisContext
from kubesage.analyzers.registry import analyzer
from kubesage.results import Result

NO_RESOURCES = Check("KS-LINT-001", "warning", "set resources.requests and resources.limits")
NO_LIMITS = Check("KS-LINT-002", "info", "set resources.limits (at least memory)")


@analyzer(
    "LintResources",
    group="lint",
    kinds=WORKLOAD_KINDS,
    description="KS-LINT-001/002: containers without resource requests or limits",
    default=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    found = Findings()
    for w in workloads(ctx):
        for c in containers(w.spec):
            resources = c.get("resources") or {}
            requests, limits = resources.get("requests"), resources.get("limits")
            where = f"Container {c.get('name')} in {w.label}"
            if not requests and not limits:
                found.add(w.kind, w.obj, NO_RESOURCES, f"{where} has no resource requests or limits")
            elif not limits:
                found.add(w.kind, w.obj, NO_LIMITS, f"{where} has resource requests but no limits")
    return found.results()
