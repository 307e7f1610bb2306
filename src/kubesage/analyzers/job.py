"""Job: suspended jobs and failed jobs (k8sgpt parity)."""

from __future__ import annotations

from kubesage.analyzers.base import AnalysisContext, as_int, conditions, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import name_of, namespace_of
from kubesage.results import Failure, Result, sensitive

_SUCCESS_CONDITIONS = frozenset({"Complete", "SuccessCriteriaMet"})


@analyzer(
    "Job",
    group="core",
    kinds=("Job", "Event"),
    description="Jobs that are suspended or have failed pods without completing",
    parents=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for job in ctx.objects("Job"):
        ns, name = namespace_of(job), name_of(job)
        failures: list[Failure] = []
        if (job.get("spec") or {}).get("suspend") is True:
            failures.append(Failure(f"Job {name} is suspended", sensitive(ns, name)))
        succeeded = any(c.get("type") in _SUCCESS_CONDITIONS and c.get("status") == "True" for c in conditions(job))
        if as_int((job.get("status") or {}).get("failed")) > 0 and not succeeded:
            text = f"Job {name} has failed"
            event = ctx.latest_event(job)
            if event and event.get("reason") == "BackoffLimitExceeded" and event.get("message"):
                text = str(event["message"])
            failures.append(Failure(text, sensitive(ns, name)))
        if failures:
            results.append(Result("Job", ns_name(job), failures))
    return results
