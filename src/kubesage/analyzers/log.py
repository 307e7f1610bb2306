"""Log: the first error-looking line of each container's last 100 log lines (k8sgpt parity).

Logs come from the snapshot; a container whose logs were not collected is skipped
silently (k8sgpt would report the API error of fetching them).
"""

from __future__ import annotations

import re

from kubesage.analyzers.base import AnalysisContext, as_int
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import name_of, namespace_of
from kubesage.results import Failure, Result, sensitive

_ERROR = re.compile(r"(error|exception|fail)")
TAIL_LINES = 100


def _tail(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines[-TAIL_LINES:]


def first_error_line(text: str) -> str | None:
    """The first of the last 100 lines whose lower-case form matches, in its original case."""
    for line in _tail(text):
        if _ERROR.search(line.lower()):
            return line
    return None


@analyzer(
    "Log",
    group="optional",
    kinds=("Pod",),
    description="Error lines in the last 100 lines of container logs (current, and previous after a restart)",
    default=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    snap = ctx.snapshot
    if not snap.has_logs():
        return results
    for pod in ctx.objects("Pod"):
        ns, name = namespace_of(pod), name_of(pod)
        restarts = {
            str(s.get("name")): as_int(s.get("restartCount"))
            for s in (pod.get("status") or {}).get("containerStatuses") or ()
        }
        for c in (pod.get("spec") or {}).get("containers") or ():
            container = str(c.get("name") or "")
            failures: list[Failure] = []
            current = snap.logs(ns, name, container)
            line = first_error_line(current) if current is not None else None
            if line is not None:
                failures.append(Failure(line, sensitive(name)))
            if restarts.get(container, 0) > 0:
                previous = snap.logs(ns, name, container, previous=True)
                line = first_error_line(previous) if previous is not None else None
                if line is not None:
                    failures.append(Failure(f"previous container logs: {line}", sensitive(name)))
            if failures:
                results.append(Result("Pod", f"{ns}/{name}/{container}", failures, parent_object=ctx.parent(pod)))
    return results
