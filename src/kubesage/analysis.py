"""The analyze pipeline shared by the CLI, the server and the eval harness:
source -> ClusterSnapshot -> analyzers -> Analysis."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kubesage.analyzers.base import AnalysisContext, AnalysisOptions
from kubesage.analyzers.registry import AnalyzerSpec, needed_kinds, run_analyzers, select
from kubesage.cluster.snapshot import ClusterSnapshot
from kubesage.results import Analysis


@dataclass
class AnalyzeRequest:
    filters: Sequence[str] = ()
    active_filters: Sequence[str] = ()
    namespace: str = ""
    selector: str = ""
    lint: bool = False
    options: AnalysisOptions = field(default_factory=AnalysisOptions)


def plan(request: AnalyzeRequest) -> tuple[list[AnalyzerSpec], list[str], list[str]]:
    """(analyzers, warnings, kinds to fetch) for a request."""
    specs, warnings = select(request.filters, request.active_filters, lint=request.lint)
    return specs, warnings, needed_kinds(specs)


def analyze_snapshot(
    snapshot: ClusterSnapshot, request: AnalyzeRequest, specs: list[AnalyzerSpec] | None = None
) -> Analysis:
    warnings: list[str] = []
    if specs is None:
        specs, warnings, _ = plan(request)
    ctx = AnalysisContext(snapshot, request.namespace, request.selector, request.options)
    analysis = run_analyzers(ctx, specs)
    analysis.errors = warnings + list(snapshot.warnings) + analysis.errors
    return analysis
