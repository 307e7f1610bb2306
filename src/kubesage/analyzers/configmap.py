"""ConfigMap: unused, empty, and larger than 1MB (k8sgpt parity, full reference graph).

k8sgpt collected the names used by Pods only (regular and init containers), by name
alone across namespaces. Here usage is (namespace, name) over Pods and the pod templates
of every controller, counting init, regular and ephemeral containers, `configMap` and
projected volumes, `env.valueFrom.configMapKeyRef` and `envFrom.configMapRef`.
ConfigMaps that Kubernetes itself publishes or reads are never "unused".
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from typing import Any

from kubesage.analyzers.base import AnalysisContext, all_containers, ns_name, pod_spec
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import annotations_of, labels_of, name_of, namespace_of
from kubesage.results import Failure, Result

_POD_KINDS = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")
# k8sgpt's opt-outs: ConfigMaps loaded at run time by sidecars (Grafana, Prometheus, Fluentd).
_SKIP_LABEL_KEYS = ("grafana_dashboard", "grafana_datasource", "prometheus_rule", "fluentd_config")
_SKIP_LABEL = ("k8sgpt.ai/dynamically-loaded", "true")
_SKIP_ANNOTATION = ("k8sgpt.ai/skip-usage-check", "true")
# Published into every namespace (kube-root-ca.crt backs projected service-account volumes).
_SYSTEM_NAMES = frozenset({"kube-root-ca.crt", "openshift-service-ca.crt"})
# Read by the control plane, kubelet or kubeadm rather than mounted by pods.
_SYSTEM_OBJECTS = frozenset(
    {
        ("kube-public", "cluster-info"),
        ("kube-system", "extension-apiserver-authentication"),
        ("kube-system", "kubeadm-config"),
        ("kube-system", "kubelet-config"),
        ("kube-system", "kube-apiserver-legacy-service-account-token-tracking"),
    }
)
_LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader"
_MAX_BYTES = 1024 * 1024


@analyzer(
    "ConfigMap",
    group="core",
    kinds=("ConfigMap", *_POD_KINDS),
    description="ConfigMaps that no workload uses, that are empty, or that are larger than 1MB",
    parents=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    used: set[tuple[str, str]] = set()
    for kind in _POD_KINDS:
        for obj in ctx.objects(kind, selected=False):
            ns = namespace_of(obj)
            used.update((ns, name) for name in referenced_configmaps(pod_spec(obj)))
    results: list[Result] = []
    for cm in ctx.objects("ConfigMap"):
        if _skipped(cm):
            continue
        ns, name = namespace_of(cm), name_of(cm)
        failures: list[Failure] = []
        if (ns, name) not in used and not _system(cm):
            failures.append(Failure(f"ConfigMap {name} is not used by any pods in the namespace", []))
        data, binary = cm.get("data") or {}, cm.get("binaryData") or {}
        if not data and not binary:
            failures.append(Failure(f"ConfigMap {name} is empty", []))
        size = sum(len(str(v).encode()) for v in data.values()) + sum(_decoded_len(v) for v in binary.values())
        if size > _MAX_BYTES:
            failures.append(Failure(f"ConfigMap {name} is larger than 1MB ({size} bytes)", []))
        if failures:
            results.append(Result("ConfigMap", ns_name(cm), failures))
    return results


def referenced_configmaps(spec: Mapping[str, Any]) -> Iterator[str]:
    """Names of the ConfigMaps a pod spec references (volumes, projected sources, env, envFrom)."""
    # Plain `dict` checks: this runs over every pod and template, and ABC checks are slow.
    for vol in spec.get("volumes") or ():
        if not isinstance(vol, dict):
            continue
        cm = vol.get("configMap")
        if isinstance(cm, dict) and cm.get("name"):
            yield str(cm["name"])
        projected = vol.get("projected")
        for source in (projected.get("sources") or ()) if isinstance(projected, dict) else ():
            cm = source.get("configMap") if isinstance(source, dict) else None
            if isinstance(cm, dict) and cm.get("name"):
                yield str(cm["name"])
    for container in all_containers(spec):
        for env_from in container.get("envFrom") or ():
            ref = env_from.get("configMapRef") if isinstance(env_from, dict) else None
            if isinstance(ref, dict) and ref.get("name"):
                yield str(ref["name"])
        for env in container.get("env") or ():
            value_from = env.get("valueFrom") if isinstance(env, dict) else None
            ref = value_from.get("configMapKeyRef") if isinstance(value_from, dict) else None
            if isinstance(ref, dict) and ref.get("name"):
                yield str(ref["name"])


def _skipped(cm: Mapping[str, Any]) -> bool:
    labels, annotations = labels_of(cm), annotations_of(cm)
    if any(key in labels for key in _SKIP_LABEL_KEYS) or labels.get(_SKIP_LABEL[0]) == _SKIP_LABEL[1]:
        return True
    return annotations.get(_SKIP_ANNOTATION[0]) == _SKIP_ANNOTATION[1]


def _system(cm: Mapping[str, Any]) -> bool:
    """Published or consumed by Kubernetes itself (or a leader-election lock), so never "unused"."""
    name = name_of(cm)
    return (
        name in _SYSTEM_NAMES or (namespace_of(cm), name) in _SYSTEM_OBJECTS or _LEADER_ANNOTATION in annotations_of(cm)
    )


def _decoded_len(value: Any) -> int:
    """Byte length of a binaryData value (base64 in YAML/JSON)."""
    if isinstance(value, bytes):
        return len(value)
    try:
        return len(base64.b64decode(str(value), validate=False))
    except (binascii.Error, ValueError):
        return len(str(value))
