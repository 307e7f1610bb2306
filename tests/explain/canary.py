"""A snapshot planted with canary names everywhere a name can hide, and results that quote them."""

from __future__ import annotations

from typing import Any

from kubesage.cluster.snapshot import ClusterSnapshot
from kubesage.results import Analysis, Failure, Result, sensitive

NS = "cnry-ns-alpha"
POD = "cnry-web-7f9c8d6b5-x2x9z"
DEPLOY = "cnry-web"
LABEL = "cnry-team-label"
IMAGE = "cnry-reg.example.io/cnry-org/cnry-app"
CONTAINER = "cnry-ctr"
SECRET = "cnry-secret-ref"
NODE = "cnry-node-1"
HOST = "cnry.shop.example.com"
SVC = "cnry-svc"
CM = "cnry-cm"
IP = "10.99.88.77"
CANARIES = [NS, POD, DEPLOY, LABEL, IMAGE, CONTAINER, SECRET, NODE, HOST, SVC, CM, IP, "cnry"]


def objects() -> list[dict[str, Any]]:
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": DEPLOY, "namespace": NS, "labels": {"team": LABEL}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"team": LABEL}}},
            "status": {"replicas": 2, "readyReplicas": 0},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": POD,
                "namespace": NS,
                "labels": {"team": LABEL},
                "uid": "11111111-2222-3333-4444-555555555555",
            },
            "spec": {
                "nodeName": NODE,
                "containers": [
                    {"name": CONTAINER, "image": f"{IMAGE}:1.0", "envFrom": [{"configMapRef": {"name": CM}}]}
                ],
                "volumes": [{"name": "cnry-vol", "secret": {"secretName": SECRET}}],
            },
            "status": {
                "phase": "Pending",
                "podIP": IP,
                "containerStatuses": [
                    {
                        "name": CONTAINER,
                        "ready": False,
                        "image": f"{IMAGE}:1.0",
                        "state": {
                            "waiting": {
                                "reason": "ImagePullBackOff",
                                "message": f'Back-off pulling image "{IMAGE}:1.0"',
                            }
                        },
                    }
                ],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": SVC, "namespace": NS},
            "spec": {"selector": {"team": LABEL}},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "cnry-ing", "namespace": NS},
            "spec": {"rules": [{"host": HOST, "http": {"paths": [{"backend": {"service": {"name": SVC}}}]}}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{POD}.17a1b2c3", "namespace": NS},
            "involvedObject": {"kind": "Pod", "name": POD, "namespace": NS},
            "reason": "FailedMount",
            "message": f'MountVolume.SetUp failed for volume "cnry-vol" : secret "{SECRET}" not found',
        },
    ]


def snapshot() -> ClusterSnapshot:
    snap = ClusterSnapshot()
    snap.add_all(objects())
    snap.add_log(NS, POD, CONTAINER, f"ERROR dial tcp {IP}:5432: connection refused host={HOST}")
    return snap


def analysis() -> Analysis:
    """Results as the analyzers write them: event, condition and log texts quoted verbatim."""
    return Analysis(
        results=[
            Result(
                "Pod",
                f"{NS}/{POD}",
                [
                    Failure(f'Back-off pulling image "{IMAGE}:1.0"', []),
                    Failure(f'MountVolume.SetUp failed for volume "cnry-vol" : secret "{SECRET}" not found', []),
                ],
                parent_object=f"Deployment/{DEPLOY}",
            ),
            Result(
                "Pod",
                f"{NS}/{POD}/{CONTAINER}",
                [Failure(f"2026-01-01T00:00:00Z ERROR dial tcp {IP}:5432: connection refused host={HOST} cm={CM}", [])],
            ),
            Result(
                "Deployment",
                f"{NS}/{DEPLOY}",
                [
                    Failure(
                        f"Deployment {NS}/{DEPLOY} has 2 replicas but 0 are available with status running",
                        sensitive(NS, DEPLOY),
                    ),
                    Failure(f"0/3 nodes are available: pod {POD} cannot be scheduled on {NODE}", []),
                ],
            ),
            Result("Service", f"{NS}/{SVC}", [Failure(f"Service has no endpoints, expected label team={LABEL}", [])]),
            Result(
                "HorizontalPodAutoscaler",
                f"{NS}/cnry-hpa",
                [
                    Failure(
                        "HorizontalPodAutoscaler uses Deployment/cnry-ghost as ScaleTargetRef which does not exist.",
                        sensitive("cnry-ghost"),
                    )
                ],
            ),
        ]
    )


# -- edge cases: identifiers that hide outside plain object names -----------------------------

EDGE_NS = "cnry-edge"
EDGE_POD = "cnry-api-5d8f7-qq4zt"
EDGE_CONTAINER = "cnry-api"
IPV6 = "fd12:3456:789a:1::42"
IPV6_FULL = "2001:0db8:85a3:0000:0000:8a2e:0370:7334"
TAINT_KEY = "cnry-taint.example.net/dedicated"
TAINT_VALUE = "cnry-gpu-pool"
DIGEST = "sha256:" + "ab12cd34" * 8
NODE_UPPER = NODE.upper()
ENV_VALUE = "cnry-tenant-4711"
ZONE = "cnry-corp.internal"
ENV_URL = f"postgres://app@cnry-db.{ZONE}:5432/orders"
EDGE_CANARIES = [
    EDGE_NS, EDGE_POD, EDGE_CONTAINER, IPV6, IPV6_FULL, TAINT_KEY, TAINT_VALUE, DIGEST, NODE_UPPER,
    ENV_VALUE, ZONE, f"cnry-db.{ZONE}", f"redis.{ZONE}", "cnry",
]  # fmt: skip


def edge_objects() -> list[dict[str, Any]]:
    return [
        *objects(),
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": NODE},
            "spec": {"taints": [{"key": TAINT_KEY, "value": TAINT_VALUE, "effect": "NoSchedule"}]},
            "status": {"addresses": [{"type": "InternalIP", "address": IPV6}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": EDGE_POD, "namespace": EDGE_NS},
            "spec": {
                "dnsConfig": {"searches": [ZONE]},
                "containers": [
                    {
                        "name": EDGE_CONTAINER,
                        "image": f"{IMAGE}@{DIGEST}",
                        "env": [{"name": "TENANT", "value": ENV_VALUE}, {"name": "DB_URL", "value": ENV_URL}],
                    }
                ],
            },
            "status": {"phase": "Pending", "podIPs": [{"ip": IPV6}]},
        },
    ]


def edge_snapshot() -> ClusterSnapshot:
    snap = ClusterSnapshot()
    snap.add_all(edge_objects())
    return snap


def edge_analysis() -> Analysis:
    """Failure texts as kubelet, the scheduler and applications write them, quoting the edge identifiers."""
    return Analysis(
        results=[
            Result(
                "Pod",
                f"{EDGE_NS}/{EDGE_POD}",
                [
                    Failure(
                        "0/3 nodes are available: 3 node(s) had untolerated taint "
                        f"{{{TAINT_KEY}: {TAINT_VALUE}}}. preemption: 0/3 nodes are available.",
                        [],
                    ),
                    Failure(f'Failed to pull image "{IMAGE}@{DIGEST}": not found', []),
                ],
            ),
            Result(
                "Pod",
                f"{EDGE_NS}/{EDGE_POD}/{EDGE_CONTAINER}",
                [
                    Failure(f"ERROR connect to [{IPV6}]:5432 failed; upstream {IPV6_FULL} down on {NODE_UPPER}", []),
                    Failure(f"ERROR lookup redis.{ZONE} on 10.96.0.10:53: no such host tenant={ENV_VALUE}", []),
                    Failure(f"ERROR cannot open {ENV_URL}: connection refused", []),
                ],
            ),
        ]
    )
