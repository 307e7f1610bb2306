"""OLM v1 (olm.operatorframework.io): ClusterCatalog and ClusterExtension (k8sgpt parity,
without k8sgpt's prints to stdout, which corrupt `-o json`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kubesage.analyzers.base import AnalysisContext, conditions
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import name_of
from kubesage.results import Failure, Result, sensitive

_IMAGE_REF = re.compile(
    r"^([a-zA-Z0-9\-.]+(?::[0-9]+)?/)?([a-z0-9]+(?:[._\-/][a-z0-9]+)*)(:\w[\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)
_DIGEST = re.compile(r"@sha256:[a-f0-9]{64}$")


def _get(obj: Mapping[str, Any], *path: str) -> Any:
    cur: Any = obj
    for key in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(key)
    return cur


def _condition_failures(kind: str, name: str, obj: Mapping[str, Any], healthy_type: str) -> list[Failure]:
    out: list[Failure] = []
    for c in conditions(obj):
        ctype = c.get("type")
        if (ctype == healthy_type and c.get("status") != "True") or (
            ctype == "Progressing" and c.get("reason") != "Succeeded"
        ):
            out.append(
                Failure(
                    f"OLMv1 {kind}: {name} has condition of type {ctype}, reason {c.get('reason') or ''}: "
                    f"{c.get('message') or ''}",
                    sensitive(name),
                )
            )
    return out


@analyzer(
    "ClusterCatalog",
    group="optional",
    kinds=("ClusterCatalog",),
    description="OLMv1 ClusterCatalogs with invalid image refs, unpinned resolved sources or unhealthy conditions",
    default=False,
)
def cluster_catalog(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for cat in ctx.objects("ClusterCatalog", namespaced=False):
        name = name_of(cat)
        failures: list[Failure] = []

        def error(msg: str, name: str = name, failures: list[Failure] = failures) -> None:
            failures.append(Failure(f"{name} has error: {msg}", sensitive(name)))

        ref = str(_get(cat, "spec", "source", "image", "ref") or "")
        if not _IMAGE_REF.match(ref):
            error(f"invalid image ref format in spec.source.image.ref: {ref}")
        resolved = _get(cat, "status", "resolvedSource")
        if resolved is not None:
            resolved_ref = str(_get(resolved, "image", "ref") or "")
            if not resolved_ref:
                error("missing status.resolvedSource.image.ref")
            if not _DIGEST.search(resolved_ref):
                error("status.resolvedSource.image.ref must end with @sha256:<digest>")
        failures += _condition_failures("ClusterCatalog", name, cat, "Serving")
        if failures:
            results.append(Result("ClusterCatalog", name, failures, parent_object=ctx.parent(cat)))
    return results


@analyzer(
    "ClusterExtension",
    group="optional",
    kinds=("ClusterExtension",),
    description="OLMv1 ClusterExtensions with an invalid source or not installed",
    default=False,
)
def cluster_extension(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for ext in ctx.objects("ClusterExtension", namespaced=False):
        name = name_of(ext)
        failures: list[Failure] = []
        catalog = _get(ext, "spec", "source", "catalog")
        # The API defaults upgradeConstraintPolicy to CatalogProvided; raw manifests may omit it.
        policy = _get(catalog, "upgradeConstraintPolicy") if isinstance(catalog, Mapping) else None
        if isinstance(catalog, Mapping) and (policy or "CatalogProvided") not in ("CatalogProvided", "SelfCertified"):
            failures.append(
                Failure(
                    f"{name} has error: invalid or missing extension.Spec.Source.Catalog.UpgradeConstraintPolicy "
                    "(expecting 'SelfCertified' or 'CatalogProvided')",
                    sensitive(name),
                )
            )
        if _get(ext, "spec", "source", "sourceType") != "Catalog":
            failures.append(
                Failure(
                    f"{name} has error: invalid or missing spec.source.sourceType (expecting 'Catalog')",
                    sensitive(name),
                )
            )
        failures += _condition_failures("ClusterExtension", name, ext, "Installed")
        if failures:
            results.append(Result("ClusterExtension", name, failures, parent_object=ctx.parent(ext)))
    return results
