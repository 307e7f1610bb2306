"""DaemonSet: pods not ready on every scheduled node, and missing image pull secrets (k8sgpt parity)."""

from __future__ import annotations

from collections.abc import Mapping

from kubesage.analyzers.base import AnalysisContext, as_int, ns_name, pod_spec
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import name_of, namespace_of
from kubesage.results import Failure, Result, sensitive


@analyzer(
    "DaemonSet",
    group="core",
    kinds=("DaemonSet", "Secret"),
    description="DaemonSets with fewer ready pods than scheduled, or a missing imagePullSecret",
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for ds in ctx.objects("DaemonSet"):
        ns, name = namespace_of(ds), name_of(ds)
        status = ds.get("status") or {}
        failures: list[Failure] = []
        ready, desired = as_int(status.get("numberReady")), as_int(status.get("desiredNumberScheduled"))
        if ready < desired:
            text = f"DaemonSet {ns}/{name} has {ready} ready replicas out of {desired} scheduled"
            failures.append(Failure(text, sensitive(ns, name)))
        for ref in pod_spec(ds).get("imagePullSecrets") or ():
            secret = str(ref.get("name") or "") if isinstance(ref, Mapping) else ""
            if ctx.is_missing("Secret", ns, secret):
                text = f"DaemonSet {ns}/{name} references non-existent ImagePullSecret {secret}"
                failures.append(Failure(text, sensitive(ns, name, secret)))
        if failures:
            results.append(Result("DaemonSet", ns_name(ds), failures, parent_object=ctx.parent(ds)))
    return results
