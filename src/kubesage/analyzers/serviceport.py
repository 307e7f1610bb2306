"""ServicePort: Service targetPorts that no container of the selected pods exposes.

A named targetPort that no container defines leaves the pod out of the Service's
endpoints. A numeric one is only reported when every selected pod declares its ports
and none matches (containerPort is informational, so undeclared ports prove nothing).
k8sgpt only notices a Service with no endpoints at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubesage.analyzers._status import is_terminal, plural
from kubesage.analyzers.base import AnalysisContext, all_containers, as_int, go_slice, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import Obj, name_of, namespace_of
from kubesage.results import Failure, Result, sensitive


def _container_ports(pod: Obj) -> list[Mapping[str, Any]]:
    return [p for c in all_containers(pod.get("spec") or {}) for p in c.get("ports") or () if isinstance(p, Mapping)]


@analyzer(
    "ServicePort",
    group="extra",
    kinds=("Service", "Pod"),
    description="Service targetPorts (numbers or names) that match no containerPort of the selected pods",
    default=True,
    parents=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    if not ctx.snapshot.has_kind("Pod"):
        return results
    for svc in ctx.objects("Service"):
        spec = svc.get("spec") or {}
        selector = spec.get("selector")
        if not isinstance(selector, Mapping) or not selector or spec.get("type") == "ExternalName":
            continue
        ns, name = namespace_of(svc), name_of(svc)
        pods = [p for p in ctx.snapshot.select("Pod", ns, selector) if not is_terminal(p)]
        if not pods:
            continue  # no endpoints at all: the core Service analyzer reports it
        per_pod = [_container_ports(p) for p in pods]
        names = {str(p.get("name")) for ports in per_pod for p in ports if p.get("name")}
        numbers = {as_int(p.get("containerPort")) for ports in per_pod for p in ports}
        all_declare = all(per_pod)
        failures: list[Failure] = []
        for port in spec.get("ports") or ():
            number = as_int(port.get("port"))
            target = port.get("targetPort", number)
            if isinstance(target, str) and not target.isdigit():
                if target not in names:
                    failures.append(
                        Failure(
                            f"Service {ns}/{name} port {number} targets the named port {target}, but no container "
                            f"of its {plural(len(pods), 'pod')} defines a port with that name",
                            sensitive(ns, name),
                        )
                    )
            elif all_declare and as_int(target) not in numbers:
                exposed = go_slice(str(n) for n in sorted(numbers))
                failures.append(
                    Failure(
                        f"Service {ns}/{name} port {number} targets port {as_int(target)}, but the containers "
                        f"of its {plural(len(pods), 'pod')} only expose ports {exposed}",
                        sensitive(ns, name),
                    )
                )
        if failures:
            results.append(Result("Service", ns_name(svc), failures))
    return results
