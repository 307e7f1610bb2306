"""Lint: workloads referencing Secrets or ConfigMaps (or their keys) that do not exist."""

from __future__ import annotations

from kubesage.analyzers._lint import WORKLOAD_KINDS, Check, Findings, workloads
from kubesage.analyzers._podrefs import all_refs, problem
from kubesage.analyzers.base import AnalysisContext
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import namespace_of
from kubesage.results import Result

MISSING_SECRET = Check("KS-LINT-012", "critical", "create the Secret, fix the reference, or mark it optional")
MISSING_CONFIGMAP = Check("KS-LINT-013", "warning", "create the ConfigMap, fix the reference, or mark it optional")


@analyzer(
    "LintReferences",
    group="lint",
    kinds=(*WORKLOAD_KINDS, "Secret", "ConfigMap"),
    description="KS-LINT-012/013: references to Secrets or ConfigMaps (or keys) that do not exist",
    default=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    found = Findings()
    for w in workloads(ctx):
        ns = namespace_of(w.obj)
        for ref in all_refs(w.spec):
            if ref.kind not in ("Secret", "ConfigMap"):
                continue
            issue = problem(ctx.snapshot, ns, ref)
            if issue is None:
                continue
            where = f"container {ref.container}, {ref.via}" if ref.container else ref.via
            if ref.volume:
                where = f"volume {ref.volume}"
            if issue == "missing":
                what = f"{w.label} references {ref.kind} {ns}/{ref.name}, which does not exist ({where})"
            else:
                what = (
                    f"{w.label} references key {ref.key} of {ref.kind} {ns}/{ref.name}, which has no such key ({where})"
                )
            found.add(w.kind, w.obj, MISSING_SECRET if ref.kind == "Secret" else MISSING_CONFIGMAP, what)
    return found.results()
