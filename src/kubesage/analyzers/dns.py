"""DNS: cluster DNS (CoreDNS / kube-dns) pods not ready, or its Service without endpoints.

k8sgpt reports the broken pods like any other, with nothing to say that every name
lookup in the cluster is failing because of them.
"""

from __future__ import annotations

from kubesage.analyzers._status import capped_list, is_ready, is_terminal
from kubesage.analyzers.base import AnalysisContext
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import Obj, name_of
from kubesage.results import Failure, Result, sensitive

NAMESPACE = "kube-system"
_POD_LABELS = ({"k8s-app": "kube-dns"}, {"app.kubernetes.io/name": "coredns"})


def _dns_pods(ctx: AnalysisContext) -> list[Obj]:
    found: dict[str, Obj] = {}
    for labels in _POD_LABELS:
        for pod in ctx.snapshot.select("Pod", NAMESPACE, labels):
            if not is_terminal(pod) and ctx.matches_selector(pod):
                found[name_of(pod)] = pod
    return [found[n] for n in sorted(found)]


def _dns_service(ctx: AnalysisContext) -> Obj | None:
    svc = ctx.snapshot.get("Service", NAMESPACE, "kube-dns")
    if svc is None:
        matches = ctx.snapshot.select("Service", NAMESPACE, {"k8s-app": "kube-dns"})
        svc = min(matches, key=name_of) if matches else None
    return svc


def _has_ready_endpoints(ep: Obj | None) -> bool:
    return ep is not None and any(s.get("addresses") for s in ep.get("subsets") or ())


@analyzer(
    "DNS",
    group="extra",
    kinds=("Pod", "Service", "Endpoints"),
    description="Cluster DNS (CoreDNS/kube-dns) pods not ready, or its Service missing or without endpoints",
    default=True,
    parents=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    if ctx.namespace not in ("", NAMESPACE):
        return []
    pods = _dns_pods(ctx)
    svc = _dns_service(ctx)
    svc_name = f"{NAMESPACE}/{name_of(svc) if svc is not None else 'kube-dns'}"
    failures: list[Failure] = []
    not_ready = [name_of(p) for p in pods if not is_ready(p)]
    if pods and len(not_ready) == len(pods):
        failures.append(
            Failure(
                f"Cluster DNS is down: none of the {len(pods)} DNS pods in {NAMESPACE} is ready: "
                f"{capped_list(not_ready)}",
                sensitive(*not_ready),
            )
        )
    elif not_ready:
        ready = len(pods) - len(not_ready)
        failures.append(
            Failure(
                f"Cluster DNS is degraded: {ready} of {len(pods)} DNS pods in {NAMESPACE} are ready; "
                f"not ready: {capped_list(not_ready)}",
                sensitive(*not_ready),
            )
        )
    if svc is None:
        if pods and ctx.snapshot.has_kind("Service"):
            failures.append(Failure(f"Cluster DNS Service {svc_name} does not exist", []))
    elif (
        ctx.matches_selector(svc)
        and not failures
        and ctx.snapshot.has_kind("Endpoints")
        and not _has_ready_endpoints(ctx.snapshot.get("Endpoints", NAMESPACE, name_of(svc)))
    ):
        failures.append(Failure(f"Cluster DNS Service {svc_name} has no ready endpoints", []))
    return [Result("Service", svc_name, failures)] if failures else []
