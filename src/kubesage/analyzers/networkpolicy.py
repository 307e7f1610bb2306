"""NetworkPolicy: policies selecting every pod, or no pod of their own namespace (k8sgpt parity)."""

from __future__ import annotations

from kubesage.analyzers.base import AnalysisContext, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import name_of, namespace_of
from kubesage.results import Failure, Result, sensitive


@analyzer(
    "NetworkPolicy",
    group="optional",
    kinds=("NetworkPolicy", "Pod"),
    description="NetworkPolicies that select all pods, or no pod at all",
    default=False,
    parents=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for policy in ctx.objects("NetworkPolicy"):
        name = name_of(policy)
        selector = (policy.get("spec") or {}).get("podSelector") or {}
        failures: list[Failure] = []
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            failures.append(Failure(f"Network policy allows traffic to all pods: {name}", sensitive(name)))
        elif ctx.snapshot.has_kind("Pod") and not ctx.snapshot.select_by_selector(
            "Pod", namespace_of(policy), selector
        ):
            # k8sgpt searched the analysis namespace (all namespaces without -n); a policy
            # only ever selects pods of its own namespace.
            failures.append(Failure(f"Network policy is not applied to any pods: {name}", sensitive(name)))
        if failures:
            results.append(Result("NetworkPolicy", ns_name(policy), failures))
    return results
