"""PersistentVolumeClaim: Pending claims whose provisioning failed (k8sgpt parity)."""

from __future__ import annotations

from kubesage.analyzers.base import AnalysisContext, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.results import Failure, Result


@analyzer(
    "PersistentVolumeClaim",
    group="core",
    kinds=("PersistentVolumeClaim", "Event", "StatefulSet"),
    description="Pending PersistentVolumeClaims whose latest event is ProvisioningFailed",
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for pvc in ctx.objects("PersistentVolumeClaim"):
        if (pvc.get("status") or {}).get("phase") != "Pending":
            continue
        event = ctx.latest_event(pvc)
        if event and event.get("reason") == "ProvisioningFailed" and event.get("message"):
            failure = Failure(str(event["message"]), [])
            results.append(Result("PersistentVolumeClaim", ns_name(pvc), [failure], parent_object=ctx.parent(pvc)))
    return results
