"""IngressPort: Ingress backends that use a port the Service does not expose.

k8sgpt checks only that the backend Service exists; a wrong port number or name gives
503s from the ingress controller while every object looks healthy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kubesage.analyzers.base import AnalysisContext, as_int, go_slice, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import Obj, name_of, namespace_of
from kubesage.results import Failure, Result, sensitive


def service_backends(ing: Obj) -> Iterator[Mapping[str, Any]]:
    """`backend.service` of the default backend and of every rule path."""
    spec = ing.get("spec") or {}
    default = (spec.get("defaultBackend") or {}).get("service")
    if isinstance(default, Mapping):
        yield default
    for rule in spec.get("rules") or ():
        for path in (rule.get("http") or {}).get("paths") or ():
            svc = (path.get("backend") or {}).get("service")
            if isinstance(svc, Mapping):
                yield svc


@analyzer(
    "IngressPort",
    group="extra",
    kinds=("Ingress", "Service"),
    description="Ingress backends whose port number or name the Service does not expose",
    default=True,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for ing in ctx.objects("Ingress"):
        ns, name = namespace_of(ing), name_of(ing)
        failures: list[Failure] = []
        seen: set[str] = set()
        for backend in service_backends(ing):
            svc_name = str(backend.get("name") or "")
            svc = ctx.snapshot.get("Service", ns, svc_name)
            if svc is None:
                continue  # a missing Service is reported by the core Ingress analyzer
            ports = [p for p in (svc.get("spec") or {}).get("ports") or () if isinstance(p, Mapping)]
            port = backend.get("port") or {}
            text = ""
            if port.get("number") is not None:
                number = as_int(port.get("number"))
                if not any(as_int(p.get("port")) == number for p in ports):
                    exposed = go_slice(str(as_int(p.get("port"))) for p in ports)
                    text = (
                        f"Ingress {ns}/{name} routes to port {number} of Service {ns}/{svc_name}, "
                        f"which only exposes ports {exposed}"
                    )
            elif port.get("name"):
                port_name = str(port["name"])
                if not any(p.get("name") == port_name for p in ports):
                    named = go_slice(str(p.get("name")) for p in ports if p.get("name"))
                    text = (
                        f"Ingress {ns}/{name} routes to port {port_name} of Service {ns}/{svc_name}, "
                        f"which has no port with that name (port names: {named})"
                    )
            if text and text not in seen:
                seen.add(text)
                failures.append(Failure(text, sensitive(ns, name, svc_name)))
        if failures:
            results.append(Result("Ingress", ns_name(ing), failures, parent_object=ctx.parent(ing)))
    return results
