"""Service: no endpoints, not-ready endpoints, and warning events (k8sgpt parity).

Like k8sgpt this walks Endpoints objects and looks up the Service of the same name.
Events are those of the Service or its Endpoints object only (k8sgpt matched any
object with the same name, e.g. a same-named Pod's warnings).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kubesage.analyzers.base import AnalysisContext, go_slice, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import Obj, annotations_of, event_time, name_of, namespace_of
from kubesage.results import Failure, Result, sensitive

_LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader"
_NO_TIME = datetime.min.replace(tzinfo=UTC)


@analyzer(
    "Service",
    group="core",
    kinds=("Endpoints", "Service", "Event", "ReplicaSet", "Deployment", "StatefulSet", "DaemonSet", "Ingress"),
    description="Services without (ready) endpoints, or with warning events",
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for ep in ctx.objects("Endpoints"):
        failures = _endpoint_failures(ctx, ep)
        if failures is None:
            continue
        failures.extend(_event_failures(ctx, ep))
        if failures:
            results.append(Result("Service", ns_name(ep), failures, parent_object=ctx.parent(ep)))
    return results


def _endpoint_failures(ctx: AnalysisContext, ep: Mapping[str, Any]) -> list[Failure] | None:
    """Failures from the Endpoints' addresses; None when k8sgpt skips the object entirely."""
    ns, name = namespace_of(ep), name_of(ep)
    subsets = [s for s in ep.get("subsets") or () if isinstance(s, Mapping)]
    if not subsets:
        if _LEADER_ANNOTATION in annotations_of(ep):
            return None
        svc = ctx.snapshot.get("Service", ns, name)
        if svc is None:
            # k8sgpt prints "Service ... does not exist" to stdout here; that would corrupt JSON.
            return None
        selector = (svc.get("spec") or {}).get("selector") or {}
        return [
            Failure(f"Service has no endpoints, expected label {k}={v}", sensitive(str(k), str(v)))
            for k, v in selector.items()
        ]
    not_ready = 0
    pods: list[str] = []
    for subset in subsets:
        for addr in subset.get("notReadyAddresses") or ():
            not_ready += 1
            ref = addr.get("targetRef") if isinstance(addr, Mapping) else None
            if isinstance(ref, Mapping):
                pods.append(f"{ref.get('kind') or ''}/{ref.get('name') or ''}")
    if not_ready > 0:
        return [Failure(f"Service has not ready endpoints, pods: {go_slice(pods)}, expected {not_ready}", [])]
    return []


def _event_failures(ctx: AnalysisContext, ep: Mapping[str, Any]) -> list[Failure]:
    ns, name = namespace_of(ep), name_of(ep)
    events: list[Obj] = list(ctx.events(ep, "Endpoints"))
    svc = ctx.snapshot.get("Service", ns, name)
    seen = {id(e) for e in events}
    if svc is not None:
        events.extend(e for e in ctx.events(svc, "Service") if id(e) not in seen)
    events.sort(key=lambda e: event_time(e) or _NO_TIME)
    return [
        Failure(f"Service {ns}/{name} has event {e.get('message') or ''}", None)
        for e in events
        if e.get("type") != "Normal"
    ]
