"""HorizontalPodAutoscaler: failing conditions, missing or unsupported scale targets, and
targets without resources (k8sgpt parity; the resource text names the HPA's namespace)."""

from __future__ import annotations

from kubesage.analyzers.base import AnalysisContext, as_int, conditions, ns_name, pod_spec
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import namespace_of
from kubesage.results import Failure, Result, sensitive

_TARGET_KINDS = ("Deployment", "ReplicationController", "ReplicaSet", "StatefulSet")


@analyzer(
    "HorizontalPodAutoscaler",
    group="optional",
    kinds=("HorizontalPodAutoscaler", *_TARGET_KINDS),
    description="HPAs with failing conditions, missing scale targets, or targets without resource requests/limits",
    default=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for hpa in ctx.objects("HorizontalPodAutoscaler"):
        ns = namespace_of(hpa)
        spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
        failures: list[Failure] = []
        for cond in conditions(hpa):
            ctype, cstatus = cond.get("type"), cond.get("status")
            if ctype == "ScalingLimited":
                if cstatus != "True":
                    continue
                min_replicas = spec.get("minReplicas")
                if (
                    cond.get("reason") == "TooFewReplicas"
                    and min_replicas is not None
                    and as_int(status.get("desiredReplicas"), -1) == as_int(min_replicas)
                ):
                    continue
                failures.append(Failure(str(cond.get("message") or ""), []))
            elif cstatus == "False":
                failures.append(Failure(str(cond.get("message") or ""), []))
        ref = spec.get("scaleTargetRef") or {}
        kind, name = str(ref.get("kind") or ""), str(ref.get("name") or "")
        if kind not in _TARGET_KINDS:
            failures.append(
                Failure(f"HorizontalPodAutoscaler uses {kind} as ScaleTargetRef which is not an option.", [])
            )
        target = ctx.snapshot.get(kind, ns, name) if kind in _TARGET_KINDS else None
        # Judge existence only when the source listed that kind.
        if target is None and (kind not in _TARGET_KINDS or ctx.snapshot.has_kind(kind)):
            failures.append(
                Failure(
                    f"HorizontalPodAutoscaler uses {kind}/{name} as ScaleTargetRef which does not exist.",
                    sensitive(name),
                )
            )
        elif target is not None:
            containers = pod_spec(target).get("containers") or []
            configured = [
                c
                for c in containers
                if (c.get("resources") or {}).get("requests") is not None
                and (c.get("resources") or {}).get("limits") is not None
            ]
            if not configured:
                failures.append(Failure(f"{kind} {ns}/{name} does not have resource configured.", sensitive(name)))
        if failures:
            results.append(Result("HorizontalPodAutoscaler", ns_name(hpa), failures, parent_object=ctx.parent(hpa)))
    return results
