"""`analyze --with-doc`: the API server's own description of the field a failure is about.

As k8sgpt does (k8sgpt-compat §0.4): the OpenAPI v2 document is fetched once (`GET /openapi/v2`);
the start is the definition whose name ends with `<first group segment>.<version>.<Kind>`
(`.v1.Service` for the core group), and the field path is walked through `$ref`s and array items,
stopping early at a string-typed property. Which field each failure is about is k8sgpt's choice
per analyzer, listed in FIELDS; failures without an entry get no doc, as in k8sgpt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubesage.errors import SourceError

if TYPE_CHECKING:
    from kubesage.results import Analysis


@dataclass(frozen=True)
class DocField:
    kind: str
    """Result kind."""
    text: str
    """A failure whose text contains this is about `path`."""
    group: str
    version: str
    path: str


FIELDS = (
    DocField("Deployment", " replicas but ", "apps", "v1", "spec.replicas"),
    DocField("Service", "Service has no endpoints, expected label", "", "v1", "spec.selector"),
    DocField("Ingress", "does not specify an Ingress class", "networking", "v1", "spec.ingressClassName"),
    DocField("Ingress", "Ingress uses the ingress class", "networking", "v1", "spec.ingressClassName"),
    DocField("Ingress", "Ingress uses the service", "networking", "v1", "spec.rules.http.paths.backend.service"),
    DocField("Ingress", "as a TLS certificate", "networking", "v1", "spec.tls.secretName"),
    DocField("CronJob", " is suspended", "batch", "v1", "spec.suspend"),
    DocField("CronJob", "has an invalid schedule", "batch", "v1", "spec.schedule"),
    DocField("CronJob", "startingDeadlineSeconds", "batch", "v1", "spec.startingDeadlineSeconds"),
    DocField("StatefulSet", "StatefulSet uses the service", "apps", "v1", "spec.serviceName"),
    DocField("StatefulSet", "uses the storage class", "apps", "v1", "spec.volumeClaimTemplates.spec.storageClassName"),
    DocField("NetworkPolicy", "Network policy", "networking", "v1", "spec.podSelector.matchLabels"),
    DocField("PodDisruptionBudget", "expected label", "policy", "v1", "spec.selector.matchLabels"),
    DocField("HorizontalPodAutoscaler", "as ScaleTargetRef", "autoscaling", "v2", "spec.scaleTargetRef"),
)


def fetch_schema(kubeconfig: str | None = None, context: str | None = None) -> dict[str, Any]:
    """The cluster's OpenAPI v2 document; SourceError with one line when it cannot be had."""
    from kubesage.cluster.live import connect

    cluster = connect(kubeconfig, context)
    try:
        resp = cluster.get("/openapi/v2", timeout=(10.0, 60.0))
    except Exception as err:  # the transport's own error type is private to live.py
        raise SourceError(f"cannot fetch /openapi/v2: {err}") from None
    finally:
        cluster.close()
    if resp.status != 200:
        raise SourceError(f"cannot fetch /openapi/v2: HTTP {resp.status} {resp.reason}")
    try:
        doc = json.loads(resp.body)
    except ValueError as err:
        raise SourceError(f"/openapi/v2 is not JSON: {err}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("definitions"), dict):
        raise SourceError("/openapi/v2 has no definitions")
    return doc


def field_doc(schema: dict[str, Any], group: str, version: str, kind: str, path: str) -> str:
    definitions: dict[str, Any] = schema.get("definitions") or {}
    suffix = f"{group.split('.')[0]}.{version}.{kind}"
    start = next((name for name in definitions if name.endswith(suffix)), "")
    return _walk(definitions, start, path.split("."), 0)


def _walk(definitions: dict[str, Any], name: str, parts: list[str], depth: int) -> str:
    node = definitions.get(name)
    if not isinstance(node, dict) or not parts or depth > 32:
        return ""
    prop = (node.get("properties") or {}).get(parts[0])
    if not isinstance(prop, dict):
        return ""
    if len(parts) == 1 or prop.get("type") == "string":
        return str(prop.get("description") or "")
    ref = prop.get("$ref") or ((prop.get("items") or {}).get("$ref") if isinstance(prop.get("items"), dict) else None)
    if isinstance(ref, str):
        return _walk(definitions, ref.rsplit("/", 1)[-1], parts[1:], depth + 1)
    return ""


def add_docs(analysis: Analysis, schema: dict[str, Any]) -> int:
    """Fill `KubernetesDoc` of the failures FIELDS knows; the number filled."""
    cache: dict[DocField, str] = {}
    filled = 0
    for result in analysis.results:
        for failure in result.error:
            spec = next((f for f in FIELDS if f.kind == result.kind and f.text in failure.text), None)
            if spec is None:
                continue
            if spec not in cache:
                cache[spec] = field_doc(schema, spec.group, spec.version, spec.kind, spec.path)
            if cache[spec]:
                failure.kubernetes_doc = cache[spec]
                filled += 1
    return filled
