"""Every kind an analyzer may read: its API group, version, plural and scope.

The live source builds LIST paths from this table; `snapshot save` names its files after
the plurals. A kind that is not here cannot be listed (it is skipped with a warning).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KindInfo:
    kind: str
    group: str  # "" for the core group
    version: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def list_path(self, namespace: str = "") -> str:
        """The LIST path: in `namespace` for namespaced kinds when given, else cluster-wide."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"


def _table(group: str, version: str, rows: Iterable[tuple[str, str, bool]]) -> list[KindInfo]:
    return [KindInfo(kind, group, version, plural, namespaced) for kind, plural, namespaced in rows]


_ALL: list[KindInfo] = [
    *_table(
        "",
        "v1",
        [
            ("Pod", "pods", True),
            ("Event", "events", True),
            ("Service", "services", True),
            ("Endpoints", "endpoints", True),
            ("ConfigMap", "configmaps", True),
            ("Secret", "secrets", True),
            ("Node", "nodes", False),
            ("Namespace", "namespaces", False),
            ("PersistentVolumeClaim", "persistentvolumeclaims", True),
            ("PersistentVolume", "persistentvolumes", False),
            ("ServiceAccount", "serviceaccounts", True),
            ("ResourceQuota", "resourcequotas", True),
            ("LimitRange", "limitranges", True),
            ("ReplicationController", "replicationcontrollers", True),
        ],
    ),
    *_table(
        "apps",
        "v1",
        [
            ("Deployment", "deployments", True),
            ("ReplicaSet", "replicasets", True),
            ("StatefulSet", "statefulsets", True),
            ("DaemonSet", "daemonsets", True),
        ],
    ),
    *_table("batch", "v1", [("Job", "jobs", True), ("CronJob", "cronjobs", True)]),
    *_table(
        "networking.k8s.io",
        "v1",
        [
            ("Ingress", "ingresses", True),
            ("IngressClass", "ingressclasses", False),
            ("NetworkPolicy", "networkpolicies", True),
        ],
    ),
    *_table(
        "storage.k8s.io",
        "v1",
        [("StorageClass", "storageclasses", False), ("VolumeAttachment", "volumeattachments", False)],
    ),
    *_table(
        "admissionregistration.k8s.io",
        "v1",
        [
            ("MutatingWebhookConfiguration", "mutatingwebhookconfigurations", False),
            ("ValidatingWebhookConfiguration", "validatingwebhookconfigurations", False),
        ],
    ),
    *_table("autoscaling", "v2", [("HorizontalPodAutoscaler", "horizontalpodautoscalers", True)]),
    *_table("policy", "v1", [("PodDisruptionBudget", "poddisruptionbudgets", True)]),
    *_table(
        "rbac.authorization.k8s.io",
        "v1",
        [
            ("Role", "roles", True),
            ("RoleBinding", "rolebindings", True),
            ("ClusterRole", "clusterroles", False),
            ("ClusterRoleBinding", "clusterrolebindings", False),
        ],
    ),
    *_table("discovery.k8s.io", "v1", [("EndpointSlice", "endpointslices", True)]),
    *_table(
        "gateway.networking.k8s.io",
        "v1",
        [("GatewayClass", "gatewayclasses", False), ("Gateway", "gateways", True), ("HTTPRoute", "httproutes", True)],
    ),
    *_table(
        "operators.coreos.com",
        "v1alpha1",
        [
            ("CatalogSource", "catalogsources", True),
            ("ClusterServiceVersion", "clusterserviceversions", True),
            ("Subscription", "subscriptions", True),
            ("InstallPlan", "installplans", True),
        ],
    ),
    *_table("operators.coreos.com", "v1", [("OperatorGroup", "operatorgroups", True)]),
    *_table(
        "olm.operatorframework.io",
        "v1",
        [("ClusterCatalog", "clustercatalogs", False), ("ClusterExtension", "clusterextensions", False)],
    ),
    # Read only by the deprecated-API lint (`--lint`).
    *_table("apiextensions.k8s.io", "v1", [("CustomResourceDefinition", "customresourcedefinitions", False)]),
    *_table("scheduling.k8s.io", "v1", [("PriorityClass", "priorityclasses", False)]),
    *_table("node.k8s.io", "v1", [("RuntimeClass", "runtimeclasses", False)]),
    *_table(
        "flowcontrol.apiserver.k8s.io",
        "v1",
        [("FlowSchema", "flowschemas", False), ("PriorityLevelConfiguration", "prioritylevelconfigurations", False)],
    ),
    # Removed in Kubernetes 1.25: newer servers answer 404 and it is skipped quietly.
    *_table("policy", "v1beta1", [("PodSecurityPolicy", "podsecuritypolicies", False)]),
]

KINDS: dict[str, KindInfo] = {k.kind: k for k in _ALL}
"""Kind name -> KindInfo, in table order (core first)."""

BY_PLURAL: dict[str, KindInfo] = {k.plural: k for k in _ALL}


def resolve_kinds(names: Iterable[str]) -> tuple[list[KindInfo], list[str]]:
    """(known kinds in table order, one warning per unknown name). Plurals are accepted too."""
    wanted: set[str] = set()
    unknown: list[str] = []
    for name in names:
        info = KINDS.get(name) or BY_PLURAL.get(name.lower())
        if info is not None:
            wanted.add(info.kind)
        elif name not in unknown:
            unknown.append(name)
    warnings = [f"unknown kind {name!r}: not listed" for name in unknown]
    return [k for k in _ALL if k.kind in wanted], warnings
