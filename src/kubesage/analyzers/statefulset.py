"""StatefulSet: missing governing Service or StorageClass, and pods not running (k8sgpt parity).

Pods are found through the controller (ownerReferences, else its selector) and walked
from `spec.ordinals.start`; k8sgpt guessed `<name>-0..` and flagged an empty serviceName.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kubesage.analyzers.base import AnalysisContext, as_int, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import Obj, name_of, namespace_of
from kubesage.results import Failure, Result, sensitive


@analyzer(
    "StatefulSet",
    group="core",
    kinds=("StatefulSet", "Service", "StorageClass", "Pod", "Event"),
    description="StatefulSets whose Service or StorageClass is missing, or whose pods are not running",
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for sts in ctx.objects("StatefulSet"):
        ns = namespace_of(sts)
        spec = sts.get("spec") or {}
        failures: list[Failure] = []
        svc = str(spec.get("serviceName") or "")
        if svc and ctx.is_missing("Service", ns, svc):
            failures.append(
                Failure(f"StatefulSet uses the service {ns}/{svc} which does not exist.", sensitive(ns, svc))
            )
        for tpl in spec.get("volumeClaimTemplates") or ():
            sc = ((tpl.get("spec") or {}) if isinstance(tpl, Mapping) else {}).get("storageClassName")
            # "" is valid: it disables dynamic provisioning (static PVs only).
            if sc and ctx.is_missing("StorageClass", "", str(sc)):
                text = f"StatefulSet uses the storage class {sc} which does not exist."
                failures.append(Failure(text, sensitive(str(sc))))
        replicas = spec.get("replicas")
        if replicas is not None and as_int(replicas) != as_int((sts.get("status") or {}).get("availableReplicas")):
            failures.extend(_pod_failures(ctx, sts, as_int(replicas)))
        if failures:
            results.append(Result("StatefulSet", ns_name(sts), failures, parent_object=ctx.parent(sts)))
    return results


def _pods_by_ordinal(ctx: AnalysisContext, sts: Mapping[str, Any]) -> dict[int, Obj]:
    pods = ctx.snapshot.children(sts, "Pod")
    if not pods:
        selector = (sts.get("spec") or {}).get("selector")
        if isinstance(selector, Mapping):
            pods = ctx.snapshot.select_by_selector("Pod", namespace_of(sts), selector)
    pattern = re.compile(re.escape(name_of(sts)) + r"-(\d+)")
    by_ordinal: dict[int, Obj] = {}
    for pod in pods:
        m = pattern.fullmatch(name_of(pod))
        if m:
            by_ordinal[int(m.group(1))] = pod
    return by_ordinal


def _pod_failures(ctx: AnalysisContext, sts: Mapping[str, Any], replicas: int) -> list[Failure]:
    """The first pod (by ordinal) that is missing or not Running, as k8sgpt reports it."""
    if not ctx.snapshot.has_kind("Pod"):
        return []  # pods were not listed: a missing pod proves nothing
    ns, name = namespace_of(sts), name_of(sts)
    start = as_int(((sts.get("spec") or {}).get("ordinals") or {}).get("start"))
    pods = _pods_by_ordinal(ctx, sts)
    for ordinal in range(start, start + replicas):
        pod = pods.get(ordinal) or ctx.snapshot.get("Pod", ns, f"{name}-{ordinal}")
        if pod is None:
            # k8sgpt looked at events only when the first pod was missing; any gap is explained
            # by the controller's latest warning (quota, admission, PVC ...).
            event = ctx.latest_event(sts)
            if event and event.get("type") != "Normal":
                return [Failure(str(event.get("message") or ""), [])]
            return []
        if (pod.get("status") or {}).get("phase") != "Running":
            pod_name, pod_ns = name_of(pod), namespace_of(pod)
            text = f"Statefulset pod {pod_name} in the namespace {pod_ns} is not in running state."
            return [Failure(text, sensitive(pod_name, pod_ns))]
    return []
