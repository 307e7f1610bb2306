"""Lint: objects written against deprecated or removed API versions.

Objects read from a live cluster come back in the version the client asked for, so the
version is also read from the `last-applied-configuration` annotation when present.
"""

from __future__ import annotations

import re

from kubesage.analyzers._lint import Check, Findings
from kubesage.analyzers.base import AnalysisContext, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import annotations_of
from kubesage.results import Result

DEPRECATED_API = Check("KS-LINT-014", "warning", "migrate the manifest to a served API version")

_APPS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
_RBAC = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
_WEBHOOKS = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
_FLOW = ("FlowSchema", "PriorityLevelConfiguration")

# (apiVersion, kind) -> (Kubernetes version that removed it, replacement apiVersion or "")
REMOVED: dict[tuple[str, str], tuple[str, str]] = {
    **{("extensions/v1beta1", k): ("1.16", "apps/v1") for k in ("Deployment", "DaemonSet", "ReplicaSet")},
    ("extensions/v1beta1", "NetworkPolicy"): ("1.16", "networking.k8s.io/v1"),
    ("extensions/v1beta1", "PodSecurityPolicy"): ("1.16", ""),
    ("extensions/v1beta1", "Ingress"): ("1.22", "networking.k8s.io/v1"),
    **{("apps/v1beta1", k): ("1.16", "apps/v1") for k in _APPS},
    **{("apps/v1beta2", k): ("1.16", "apps/v1") for k in _APPS},
    ("networking.k8s.io/v1beta1", "Ingress"): ("1.22", "networking.k8s.io/v1"),
    ("networking.k8s.io/v1beta1", "IngressClass"): ("1.22", "networking.k8s.io/v1"),
    **{("rbac.authorization.k8s.io/v1beta1", k): ("1.22", "rbac.authorization.k8s.io/v1") for k in _RBAC},
    **{("admissionregistration.k8s.io/v1beta1", k): ("1.22", "admissionregistration.k8s.io/v1") for k in _WEBHOOKS},
    ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"): ("1.22", "apiextensions.k8s.io/v1"),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"): ("1.22", "scheduling.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "StorageClass"): ("1.22", "storage.k8s.io/v1"),
    ("batch/v1beta1", "CronJob"): ("1.25", "batch/v1"),
    ("policy/v1beta1", "PodDisruptionBudget"): ("1.25", "policy/v1"),
    ("policy/v1beta1", "PodSecurityPolicy"): ("1.25", ""),
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler"): ("1.25", "autoscaling/v2"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"): ("1.26", "autoscaling/v2"),
    ("discovery.k8s.io/v1beta1", "EndpointSlice"): ("1.25", "discovery.k8s.io/v1"),
    ("node.k8s.io/v1beta1", "RuntimeClass"): ("1.25", "node.k8s.io/v1"),
    **{("flowcontrol.apiserver.k8s.io/v1beta1", k): ("1.26", "flowcontrol.apiserver.k8s.io/v1") for k in _FLOW},
    **{("flowcontrol.apiserver.k8s.io/v1beta2", k): ("1.29", "flowcontrol.apiserver.k8s.io/v1") for k in _FLOW},
    **{("flowcontrol.apiserver.k8s.io/v1beta3", k): ("1.32", "flowcontrol.apiserver.k8s.io/v1") for k in _FLOW},
}
KINDS = tuple(sorted({k for _, k in REMOVED}))
_APPLIED_VERSION = re.compile(r'"apiVersion"\s*:\s*"([^"]+)"')
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


@analyzer(
    "LintDeprecatedAPIs",
    group="lint",
    kinds=KINDS,
    description="KS-LINT-014: objects using API versions that newer Kubernetes releases removed",
    default=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    found = Findings()
    for kind in KINDS:
        for obj in ctx.objects(kind, namespaced=kind not in _CLUSTER_SCOPED):
            versions = [str(obj.get("apiVersion") or "")]
            applied = annotations_of(obj).get(_LAST_APPLIED)
            if isinstance(applied, str) and (m := _APPLIED_VERSION.search(applied)):
                versions.append(m.group(1))
            for version in dict.fromkeys(versions):
                removed = REMOVED.get((version, kind))
                if removed is None:
                    continue
                until, replacement = removed
                what = f"{kind} {ns_name(obj)} uses {version}, which Kubernetes {until} no longer serves"
                hint = f"migrate the manifest to {replacement}" if replacement else None
                if kind == "PodSecurityPolicy":
                    hint = "replace PodSecurityPolicy with Pod Security Admission labels"
                found.add(kind, obj, DEPRECATED_API, what, hint)
    return found.results()


_CLUSTER_SCOPED = frozenset(
    {
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "PriorityClass",
        "StorageClass",
        "PodSecurityPolicy",
        "IngressClass",
        "RuntimeClass",
        "FlowSchema",
        "PriorityLevelConfiguration",
        *_WEBHOOKS,
    }
)
