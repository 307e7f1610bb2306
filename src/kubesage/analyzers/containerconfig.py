"""ContainerConfig: CreateContainerConfigError, naming the missing ConfigMap or Secret and key.

The kubelet's message is terse and k8sgpt repeats it as is; this analyzer resolves the
container's env and envFrom references against the snapshot and names each one that
cannot be satisfied.
"""

from __future__ import annotations

from kubesage.analyzers._podrefs import container_refs, problem
from kubesage.analyzers._status import container_statuses, waiting_reason
from kubesage.analyzers.base import AnalysisContext, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import name_of, namespace_of
from kubesage.results import Failure, Result, sensitive


@analyzer(
    "ContainerConfig",
    group="extra",
    kinds=("Pod", "ConfigMap", "Secret"),
    description="Containers stuck in CreateContainerConfigError, naming the missing ConfigMap/Secret and key",
    default=True,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for pod in ctx.objects("Pod"):
        stuck = {
            str(cs.get("name")) for cs in container_statuses(pod) if waiting_reason(cs) == "CreateContainerConfigError"
        }
        if not stuck:
            continue
        ns, name = namespace_of(pod), name_of(pod)
        failures: list[Failure] = []
        for ref in container_refs(pod.get("spec") or {}, stuck):
            issue = problem(ctx.snapshot, ns, ref)
            if issue is None:
                continue
            start = f"Container {ref.container} in pod {ns}/{name} cannot start: {ref.kind} {ns}/{ref.name}"
            if issue == "missing":
                text = f"{start} does not exist (referenced by {ref.via})"
            else:
                text = f"{start} has no key {ref.key} (referenced by {ref.via})"
            if text not in {f.text for f in failures}:
                failures.append(Failure(text, sensitive(ns, name, ref.name)))
        if failures:
            results.append(Result("Pod", ns_name(pod), failures, parent_object=ctx.parent(pod)))
    return results
