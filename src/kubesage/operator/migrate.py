"""`kubesage migrate k8sgpt`: a k8sgpt-operator `K8sGPT` object -> a `KubeSage` object.

Every field is either carried over or named in a note saying why it has no equivalent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubesage.errors import KubesageError
from kubesage.operator import GROUP, VERSION
from kubesage.operator.models import BACKENDS

_SAME_BACKEND = {"openai": "openai", "localai": "localai", "azureopenai": "azureopenai", "google": "google"}
_SAME_BACKEND["customrest"] = "customrest"
_DEPLOYMENT_FIELDS = (
    "version",
    "repository",
    "imagePullPolicy",
    "imagePullSecrets",
    "resources",
    "nodeSelector",
    "deploymentLabels",
    "deploymentAnnotations",
    "podLabels",
    "podAnnotations",
    "securityContext",
    "containerSecurityContext",
)
_NO_EQUIVALENT = {
    "customAnalyzers": "external gRPC analyzers are not supported; kubesage analyzers are Python modules",
    "remoteCache": "the answer cache is local to the operator pod",
    "integrations": "Trivy/Prometheus/Kyverno integrations are not supported",
    "kubeconfig": "remote clusters are not analysed; run one operator per cluster",
    "extraOptions": "Backstage labels and IRSA are not supported",
}
_AI_NO_EQUIVALENT = {
    "maxTokens": "set by the backend's defaults",
    "topk": "set by the backend's defaults",
    "region": "Bedrock/SageMaker are not supported",
    "engine": "use ai.model (Azure deployment name)",
    "proxyEndpoint": "use the pod's HTTPS_PROXY",
    "providerId": "not used",
    "azureAPIType": "not used",
    "customHeaders": "not supported in the CR",
}


@dataclass
class Migration:
    document: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def migrate_k8sgpt(obj: Mapping[str, Any]) -> Migration:
    """Convert one K8sGPT object; raise KubesageError if it is not one."""
    if not isinstance(obj, Mapping) or obj.get("kind") != "K8sGPT":
        kind = obj.get("kind") if isinstance(obj, Mapping) else type(obj).__name__
        raise KubesageError(f"expected a K8sGPT object (core.k8sgpt.ai), got {kind or 'no kind'}")
    spec = obj.get("spec") or {}
    if not isinstance(spec, Mapping):
        raise KubesageError("K8sGPT spec must be a mapping")
    meta = obj.get("metadata") or {}
    notes: list[str] = []
    out: dict[str, Any] = {}

    interval = (spec.get("analysis") or {}).get("interval")
    if interval:
        out["interval"] = str(interval)
    if spec.get("filters"):
        out["filters"] = list(spec["filters"])
    if spec.get("targetNamespace"):
        out["targetNamespaces"] = [str(spec["targetNamespace"])]
    if "noCache" in spec:
        out["noCache"] = bool(spec["noCache"])

    ai = spec.get("ai") or {}
    if ai:
        out["ai"], remediation = _ai(ai, notes)
        if remediation:
            out["remediation"] = remediation
    sink = spec.get("sink") or {}
    if sink:
        out["sinks"] = [_sink(sink, notes)]
    for key in _DEPLOYMENT_FIELDS:
        if key in spec:
            notes.append(
                f"spec.{key}: no equivalent (kubesage deploys no analyzer per CR; set it in the Helm chart values)"
            )
    for key, why in _NO_EQUIVALENT.items():
        if key in spec:
            notes.append(f"spec.{key}: no equivalent ({why})")
    known = {"analysis", "filters", "targetNamespace", "noCache", "ai", "sink", *_DEPLOYMENT_FIELDS, *_NO_EQUIVALENT}
    notes.extend(f"spec.{key}: unknown K8sGPT field, dropped" for key in spec if key not in known)

    metadata: dict[str, Any] = {"name": meta.get("name") or "kubesage"}
    if meta.get("namespace"):
        metadata["namespace"] = meta["namespace"]
    if meta.get("labels"):
        metadata["labels"] = dict(meta["labels"])
    return Migration({"apiVersion": f"{GROUP}/{VERSION}", "kind": "KubeSage", "metadata": metadata, "spec": out}, notes)


def _ai(ai: Mapping[str, Any], notes: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    out: dict[str, Any] = {}
    if "enabled" in ai:
        out["enabled"] = bool(ai["enabled"])
    backend = str(ai.get("backend") or "openai").lower()
    if backend in _SAME_BACKEND:
        out["backend"] = _SAME_BACKEND[backend]
    else:
        out["backend"] = "kb"
        notes.append(
            f"spec.ai.backend {backend}: no equivalent (supported: {', '.join(BACKENDS)}); "
            "set to kb, the offline knowledge base"
        )
    if ai.get("model"):
        out["model"] = str(ai["model"])
    if ai.get("baseUrl"):
        out["baseUrl"] = str(ai["baseUrl"])
    secret = ai.get("secret") or {}
    if secret.get("name"):
        out["secret"] = {"name": str(secret["name"]), "key": str(secret.get("key") or "api-key")}
    if "anonymized" in ai:
        out["anonymize"] = bool(ai["anonymized"])
    if ai.get("language"):
        out["language"] = str(ai["language"])
    back_off = ai.get("backOff") or {}
    if back_off.get("maxRetries"):
        out["circuitBreaker"] = {"failureThreshold": int(back_off["maxRetries"])}
    if "backOff" in ai and not back_off.get("enabled"):
        notes.append("spec.ai.backOff.enabled=false: kubesage always has a per-KubeSage circuit breaker")
    for key, why in _AI_NO_EQUIVALENT.items():
        if key in ai:
            notes.append(f"spec.ai.{key}: no equivalent ({why})")
    remediation: dict[str, Any] = {}
    auto = ai.get("autoRemediation") or {}
    if auto:
        remediation = {"enabled": bool(auto.get("enabled")), "mode": "plan"}
        notes.append(
            "spec.ai.autoRemediation: mapped to remediation in plan mode; review remediation.actions and "
            "remediation.namespaces (similarityRequirement has no equivalent: kubesage uses typed actions, "
            "policy and server-side dry-run)"
        )
    return out, remediation


def _sink(sink: Mapping[str, Any], notes: list[str]) -> dict[str, Any]:
    kind = str(sink.get("type") or "slack")
    if kind not in ("slack", "mattermost", "cloudevents"):
        notes.append(f"spec.sink.type {kind}: unknown; k8sgpt-operator falls back to slack, so does this")
        kind = "slack"
    out: dict[str, Any] = {"name": kind, "type": kind}
    secret = sink.get("secret") or {}
    if secret.get("name"):
        out["secret"] = {"name": str(secret["name"]), "key": str(secret.get("key") or "url")}
    elif sink.get("webhook"):
        out["url"] = str(sink["webhook"])
        notes.append("spec.sink.webhook: kept as sinks[0].url; prefer a Secret reference (webhook URLs are tokens)")
    for src, dst in (("channel", "channel"), ("username", "username"), ("icon_url", "iconUrl")):
        if sink.get(src):
            out[dst] = str(sink[src])
    return out
