"""OOMKilled: containers running again after an OOM kill, or after repeated restarts.

k8sgpt only sees these while the container is in CrashLoopBackOff; once it runs again
the failure disappears from its output although it will likely recur.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kubesage.analyzers._status import container_statuses, plural
from kubesage.analyzers.base import AnalysisContext, all_containers, as_int, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import name_of, namespace_of
from kubesage.results import Failure, Result, sensitive

RESTART_THRESHOLD = 3
_PROBE_KILL = re.compile(r"^Container (\S+) failed (?:liveness|startup) probe")


def _probe_killed(ctx: AnalysisContext, pod: Mapping[str, Any]) -> set[str]:
    """Containers the kubelet killed for a failing probe (the Probe analyzer reports those)."""
    out: set[str] = set()
    for e in ctx.events(pod, "Pod"):
        m = _PROBE_KILL.match(str(e.get("message") or "")) if e.get("reason") == "Killing" else None
        if m:
            out.add(m.group(1))
    return out


def memory_limit(container: Mapping[str, Any] | None) -> str:
    limit = (((container or {}).get("resources") or {}).get("limits") or {}).get("memory")
    return f"memory limit {limit}" if limit else "no memory limit"


@analyzer(
    "OOMKilled",
    group="extra",
    kinds=("Pod", "Event"),
    description="Running containers that were OOM-killed or keep restarting (memory limit and restart count)",
    default=True,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for pod in ctx.objects("Pod"):
        ns, name = namespace_of(pod), name_of(pod)
        specs: dict[str, Mapping[str, Any]] | None = None
        failures: list[Failure] = []
        for cs in container_statuses(pod):
            if not isinstance((cs.get("state") or {}).get("running"), Mapping):
                continue
            restarts = as_int(cs.get("restartCount"))
            last = (cs.get("lastState") or {}).get("terminated")
            if not isinstance(last, Mapping) or restarts == 0:
                continue
            oom = last.get("reason") == "OOMKilled"
            if not oom and restarts < RESTART_THRESHOLD:
                continue
            if specs is None:
                specs = {str(c.get("name")): c for c in all_containers(pod.get("spec") or {})}
            container = str(cs.get("name") or "")
            limit = memory_limit(specs.get(container))
            if oom:
                text = (
                    f"Container {container} in pod {ns}/{name} was OOMKilled ({limit}) "
                    f"and has restarted {plural(restarts, 'time')}"
                )
            elif container in _probe_killed(ctx, pod):
                continue
            else:
                text = (
                    f"Container {container} in pod {ns}/{name} is running but has restarted "
                    f"{plural(restarts, 'time')}, last terminated with reason {last.get('reason') or 'Unknown'} "
                    f"and exit code {as_int(last.get('exitCode'))} ({limit})"
                )
            failures.append(Failure(text, sensitive(ns, name)))
        if failures:
            results.append(Result("Pod", ns_name(pod), failures, parent_object=ctx.parent(pod)))
    return results
