"""HTTPRoute: missing parent Gateways, listeners that refuse the route's namespace, and
missing or port-mismatched backend Services (k8sgpt parity, with its defects fixed: see
docs/compat.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubesage.analyzers.base import AnalysisContext, as_int, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.selectors import label_selector_matcher
from kubesage.cluster.snapshot import Obj, labels_of, name_of, namespace_of
from kubesage.results import Failure, Result, sensitive

_GATEWAY_GROUP = "gateway.networking.k8s.io"


def _namespace_labels(ctx: AnalysisContext, namespace: str) -> dict[str, str] | None:
    """Labels of a namespace (with the automatic metadata.name label); None if unknown."""
    if not ctx.snapshot.has_kind("Namespace"):
        return None
    ns_obj = ctx.snapshot.get("Namespace", "", namespace)
    labels = dict(labels_of(ns_obj)) if ns_obj is not None else {}
    labels.setdefault("kubernetes.io/metadata.name", namespace)
    return labels


def _listener_failure(ctx: AnalysisContext, route: Obj, gw: Obj, listener: Mapping[str, Any]) -> Failure | None:
    """Why `listener` refuses `route` (None if it accepts it or we cannot tell)."""
    r_ns, r_name, g_ns, g_name = namespace_of(route), name_of(route), namespace_of(gw), name_of(gw)
    namespaces = (listener.get("allowedRoutes") or {}).get("namespaces") or {}
    origin = namespaces.get("from") or "Same"  # the API's default
    if origin == "Same" and r_ns != g_ns:
        return Failure(
            f"HTTPRoute '{r_ns}/{r_name}' is deployed in a different namespace from Gateway '{g_ns}/{g_name}' "
            "which only allows HTTPRoutes from its namespace.",
            sensitive(r_ns, r_name, g_ns, g_name),
        )
    if origin == "Selector":
        labels = _namespace_labels(ctx, r_ns)
        matcher = label_selector_matcher(namespaces.get("selector") or {})
        if labels is not None and matcher is not None and not matcher(labels):
            return Failure(
                f"HTTPRoute '{r_ns}/{r_name}' can't be attached on Gateway '{g_ns}/{g_name}', "
                "selector labels do not match HTTProute's labels.",
                sensitive(r_ns, r_name, g_ns, g_name),
            )
    return None


def _parent_failures(ctx: AnalysisContext, route: Obj) -> list[Failure]:
    failures: list[Failure] = []
    for ref in (route.get("spec") or {}).get("parentRefs") or ():
        if (ref.get("kind") or "Gateway") != "Gateway" or (ref.get("group") or _GATEWAY_GROUP) != _GATEWAY_GROUP:
            continue  # e.g. a Service parent (GAMMA mesh routes)
        ns, name = str(ref.get("namespace") or namespace_of(route)), str(ref.get("name") or "")
        gw = ctx.snapshot.get("Gateway", ns, name)
        if gw is None:
            if ctx.snapshot.has_kind("Gateway"):
                failures.append(
                    Failure(
                        f"HTTPRoute uses the Gateway '{ns}/{name}' which does not exist in the same namespace.",
                        sensitive(ns, name),
                    )
                )
            continue
        listeners = [
            lst
            for lst in (gw.get("spec") or {}).get("listeners") or ()
            if not ref.get("sectionName") or lst.get("name") == ref.get("sectionName")
        ]
        refusals = [_listener_failure(ctx, route, gw, lst) for lst in listeners]
        # The route attaches if any eligible listener accepts it.
        if listeners and all(r is not None for r in refusals):
            for failure in refusals:
                if failure is not None and failure.text not in {f.text for f in failures}:
                    failures.append(failure)
    return failures


def _backend_failures(ctx: AnalysisContext, route: Obj) -> list[Failure]:
    failures: list[Failure] = []
    for rule in (route.get("spec") or {}).get("rules") or ():
        for backend in rule.get("backendRefs") or ():
            if (backend.get("kind") or "Service") != "Service" or (backend.get("group") or "") != "":
                continue
            ns, name = str(backend.get("namespace") or namespace_of(route)), str(backend.get("name") or "")
            svc = ctx.snapshot.get("Service", ns, name)
            if svc is None:
                if ctx.snapshot.has_kind("Service"):
                    failures.append(
                        Failure(f"HTTPRoute uses the Service '{ns}/{name}' which does not exist.", sensitive(ns, name))
                    )
                continue
            if backend.get("port") is None:
                continue
            port = as_int(backend.get("port"))
            if not any(as_int(p.get("port")) == port for p in (svc.get("spec") or {}).get("ports") or ()):
                failures.append(
                    Failure(
                        f"HTTPRoute's backend service '{name}' is using port '{port}' but the corresponding "
                        f"K8s service '{ns}/{name}' isn't configured with the same port.",
                        sensitive(name, name, ns),
                    )
                )
    return failures


@analyzer(
    "HTTPRoute",
    group="optional",
    kinds=("HTTPRoute", "Gateway", "Service", "Namespace"),
    description="Gateway API HTTPRoutes with missing gateways/services, refused namespaces or wrong ports",
    default=False,
    parents=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for route in ctx.objects("HTTPRoute"):
        failures = _parent_failures(ctx, route) + _backend_failures(ctx, route)
        if failures:
            results.append(Result("HTTPRoute", ns_name(route), failures))
    return results
