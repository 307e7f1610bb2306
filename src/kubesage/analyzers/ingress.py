"""Ingress: missing class, and references to a missing IngressClass, Service or TLS Secret (k8sgpt parity)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubesage.analyzers.base import AnalysisContext, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import annotations_of, name_of, namespace_of
from kubesage.results import Failure, Result, sensitive

_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
# GKE's built-in controllers are selected by these names and have no IngressClass object.
_IMPLICIT_CLASSES = frozenset({"gce", "gce-internal"})


@analyzer(
    "Ingress",
    group="core",
    kinds=("Ingress", "IngressClass", "Service", "Secret"),
    description="Ingresses without a class, or pointing at a missing IngressClass, Service or TLS Secret",
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for ing in ctx.objects("Ingress"):
        failures = _failures(ctx, ing)
        if failures:
            results.append(Result("Ingress", ns_name(ing), failures, parent_object=ctx.parent(ing)))
    return results


def _failures(ctx: AnalysisContext, ing: Mapping[str, Any]) -> list[Failure]:
    ns, name = namespace_of(ing), name_of(ing)
    spec = ing.get("spec") or {}
    failures: list[Failure] = []
    cls = spec.get("ingressClassName")
    if cls is None:
        cls = annotations_of(ing).get(_CLASS_ANNOTATION) or None
        if cls is None:
            failures.append(Failure(f"Ingress {ns}/{name} does not specify an Ingress class.", sensitive(ns, name)))
    if cls is not None and str(cls) not in _IMPLICIT_CLASSES and ctx.is_missing("IngressClass", "", str(cls)):
        failures.append(Failure(f"Ingress uses the ingress class {cls} which does not exist.", sensitive(str(cls))))
    for rule in spec.get("rules") or ():
        http = rule.get("http") if isinstance(rule, Mapping) else None
        if not isinstance(http, Mapping):
            continue
        for path in http.get("paths") or ():
            service = ((path.get("backend") or {}) if isinstance(path, Mapping) else {}).get("service")
            if not isinstance(service, Mapping):
                continue  # resource backends are not checked
            svc = str(service.get("name") or "")
            if ctx.is_missing("Service", ns, svc):
                failures.append(
                    Failure(f"Ingress uses the service {ns}/{svc} which does not exist.", sensitive(ns, svc))
                )
    for tls in spec.get("tls") or ():
        secret = str(tls.get("secretName") or "") if isinstance(tls, Mapping) else ""
        if secret and ctx.is_missing("Secret", ns, secret):
            text = f"Ingress uses the secret {ns}/{secret} as a TLS certificate which does not exist."
            failures.append(Failure(text, sensitive(ns, secret)))
    return failures
