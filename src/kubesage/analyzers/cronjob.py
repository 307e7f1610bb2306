"""CronJob: suspended, invalid schedule, negative starting deadline (k8sgpt parity)."""

from __future__ import annotations

from kubesage.analyzers._cron import CronError, parse_standard
from kubesage.analyzers.base import AnalysisContext, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import name_of, namespace_of
from kubesage.results import Failure, Result, sensitive


@analyzer(
    "CronJob",
    group="core",
    kinds=("CronJob",),
    description="CronJobs that are suspended, have an invalid schedule or a negative starting deadline",
    parents=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for cj in ctx.objects("CronJob"):
        ns, name = namespace_of(cj), name_of(cj)
        spec = cj.get("spec") or {}
        failures: list[Failure] = []
        if spec.get("suspend") is True:
            failures.append(Failure(f"CronJob {name} is suspended", sensitive(ns, name)))
        else:
            try:
                parse_standard(str(spec.get("schedule") or ""))
            except CronError as err:
                failures.append(Failure(f"CronJob {name} has an invalid schedule: {err}", sensitive(ns, name)))
            deadline = spec.get("startingDeadlineSeconds")
            if isinstance(deadline, int | float) and not isinstance(deadline, bool) and deadline < 0:
                failures.append(Failure(f"CronJob {name} has a negative starting deadline", sensitive(ns, name)))
        if failures:
            results.append(Result("CronJob", ns_name(cj), failures))
    return results
