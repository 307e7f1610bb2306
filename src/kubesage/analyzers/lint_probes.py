"""Lint: long-running containers without readiness or liveness probes."""

from __future__ import annotations

from kubesage.analyzers._lint import WORKLOAD_KINDS, Check, Findings, containers, workloads
from kubesage.analyzers.base import AnalysisContext
from kubesage.analyzers.registry import analyzer
from kubesage.results import Result

NO_READINESS = Check("KS-LINT-004", "warning", "add a readinessProbe so traffic only reaches ready pods")
NO_LIVENESS = Check("KS-LINT-005", "info", "add a livenessProbe so a hung container is restarted")


@analyzer(
    "LintProbes",
    group="lint",
    kinds=WORKLOAD_KINDS,
    description="KS-LINT-004/005: long-running containers without readiness or liveness probes",
    default=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    found = Findings()
    for w in workloads(ctx):
        if not w.long_running:
            continue
        for c in containers(w.spec, init=False):
            where = f"Container {c.get('name')} in {w.label}"
            if not c.get("readinessProbe"):
                found.add(w.kind, w.obj, NO_READINESS, f"{where} has no readiness probe")
            if not c.get("livenessProbe"):
                found.add(w.kind, w.obj, NO_LIVENESS, f"{where} has no liveness probe")
    return found.results()
