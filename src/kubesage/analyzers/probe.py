"""Probe: containers restarted by a failing liveness or startup probe, from kubelet events.

k8sgpt reads only the latest event of an unready pod, so a container that the kubelet
keeps killing (and that is briefly ready in between) never shows up.
"""

from __future__ import annotations

import re
from collections import defaultdict

from kubesage.analyzers._status import event_count, latest, plural
from kubesage.analyzers.base import AnalysisContext, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import Obj, involved_object, namespace_of
from kubesage.results import Failure, Result, sensitive

_KILLED = re.compile(r"^Container (\S+) failed (liveness|startup) probe")
_FIELD_CONTAINER = re.compile(r"spec\.(?:initC|c)ontainers\{([^}]+)\}")


def _probe_message(ctx: AnalysisContext, pod: Obj, container: str, probe: str) -> str:
    """The latest `Unhealthy` message of this container's probe, or ""."""
    prefix = f"{probe.capitalize()} probe failed"
    matching: list[Obj] = []
    for e in ctx.events(pod, "Pod"):
        if e.get("reason") != "Unhealthy" or not str(e.get("message") or "").startswith(prefix):
            continue
        field = _FIELD_CONTAINER.search(str(involved_object(e).get("fieldPath") or ""))
        if not field or field.group(1) == container:
            matching.append(e)
    best = latest(matching)
    return str(best.get("message") or "").strip() if best else ""


@analyzer(
    "Probe",
    group="extra",
    kinds=("Pod", "Event"),
    description="Containers killed and restarted by a failing liveness or startup probe",
    default=True,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    kills: dict[tuple[str, str], dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for e in ctx.snapshot.objects("Event", ctx.namespace):
        if e.get("reason") != "Killing":
            continue
        ref = involved_object(e)
        m = _KILLED.match(str(e.get("message") or ""))
        if m and ref.get("kind") == "Pod":
            pod_key = (str(ref.get("namespace") or namespace_of(e)), str(ref.get("name") or ""))
            kills[pod_key][(m.group(1), m.group(2))] += event_count(e)
    results: list[Result] = []
    for (ns, name), per_container in kills.items():
        pod = ctx.snapshot.get("Pod", ns, name)
        if pod is None or not ctx.matches_selector(pod):
            continue  # the pod is gone, or outside --selector
        failures: list[Failure] = []
        for (container, probe), count in sorted(per_container.items()):
            text = f"Container {container} in pod {ns}/{name} was killed {plural(count, 'time')} by its {probe} probe"
            detail = _probe_message(ctx, pod, container, probe)
            failures.append(Failure(f"{text}: {detail}" if detail else text, sensitive(ns, name)))
        results.append(Result("Pod", ns_name(pod), failures, parent_object=ctx.parent(pod)))
    return results
