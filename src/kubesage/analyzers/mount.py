"""Mount: pods stuck in ContainerCreating on FailedMount or FailedAttachVolume.

k8sgpt repeats the pod's latest event only when it is a FailedMount; it never says
which volume source is missing, and never reports attach failures.
"""

from __future__ import annotations

from kubesage.analyzers._podrefs import problem, volume_refs
from kubesage.analyzers._status import container_statuses, event_count, latest, plural, waiting_reason
from kubesage.analyzers.base import AnalysisContext, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import Obj, name_of, namespace_of
from kubesage.results import Failure, Result, sensitive

_CREATING = frozenset({"ContainerCreating", "PodInitializing"})


def _stuck(pod: Obj) -> bool:
    if (pod.get("status") or {}).get("phase") != "Pending" or not (pod.get("spec") or {}).get("nodeName"):
        return False
    statuses = container_statuses(pod)
    return not statuses or any(waiting_reason(cs) in _CREATING for cs in statuses)


def _event_failure(head: str, events: list[Obj], ns: str, name: str) -> Failure:
    last = latest(events) or {}
    count = sum(event_count(e) for e in events)
    return Failure(f"{head} {plural(count, 'time')}: {last.get('message') or ''}".rstrip(), sensitive(ns, name))


@analyzer(
    "Mount",
    group="extra",
    kinds=("Pod", "Event", "ConfigMap", "Secret", "PersistentVolumeClaim"),
    description="Pods stuck in ContainerCreating because a volume cannot be attached or mounted",
    default=True,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for pod in ctx.objects("Pod"):
        if not _stuck(pod):
            continue
        events = ctx.events(pod, "Pod")
        mounts = [e for e in events if e.get("reason") == "FailedMount"]
        attaches = [e for e in events if e.get("reason") == "FailedAttachVolume"]
        if not mounts and not attaches:
            continue
        ns, name = namespace_of(pod), name_of(pod)
        head = f"Pod {ns}/{name} is stuck in ContainerCreating"
        failures: list[Failure] = []
        if mounts:
            for ref in volume_refs(pod.get("spec") or {}):
                issue = problem(ctx.snapshot, ns, ref)
                if issue == "missing":
                    text = f"{head}: volume {ref.volume} needs {ref.kind} {ns}/{ref.name}, which does not exist"
                elif issue == "no-key":
                    text = (
                        f"{head}: volume {ref.volume} needs key {ref.key} of {ref.kind} {ns}/{ref.name}, "
                        "which has no such key"
                    )
                else:
                    continue
                if text not in {f.text for f in failures}:
                    failures.append(Failure(text, sensitive(ns, name, ref.name)))
        if attaches:
            failures.append(_event_failure(f"{head}: attaching a volume failed", attaches, ns, name))
        # A FailedMount that is the pod's latest event is already the core Pod analyzer's text.
        latest_event = ctx.latest_event(pod, "Pod")
        if mounts and not failures and not any(e is latest_event for e in mounts):
            failures.append(_event_failure(f"{head}: mounting a volume failed", mounts, ns, name))
        if failures:
            results.append(Result("Pod", ns_name(pod), failures, parent_object=ctx.parent(pod)))
    return results
