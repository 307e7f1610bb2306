"""Each agent's TokenRequest credentials, judged by the real API server's RBAC authorizer."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from tests.remediate.conftest import deployment, install_agents

from kubesage.agents.client import Kube, KubeError
from kubesage.agents.coordinator import Coordinator

pytestmark = pytest.mark.real

APPLY = "application/apply-patch+yaml"


def status(
    kube: Kube, method: str, path: str, body: Any = None, content_type: str = "application/json", dry_run: bool = True
) -> int:
    query = [("dryRun", "All")] if dry_run and method != "GET" else []
    if content_type == APPLY:
        query.append(("fieldManager", "kubesage"))
    try:
        kube.request(method, path, query=query, body=body, content_type=content_type)
    except KubeError as err:
        return err.status
    return 200


@pytest.fixture
def agents(remediation_crd: Any, real_namespace: str, tmp_path: Path) -> Any:
    cluster = remediation_crd
    agents_ns = f"ks-{secrets.token_hex(3)}"
    other = f"o-{secrets.token_hex(3)}"
    cluster.kubectl("create", "namespace", agents_ns)
    cluster.kubectl("create", "namespace", other)
    admin = Kube(cluster.api_client(), "admin")
    for ns in (real_namespace, other):
        dep = deployment("web")
        dep["metadata"]["namespace"] = ns
        admin.request(
            "PATCH",
            f"/apis/apps/v1/namespaces/{ns}/deployments/web",
            query=[("fieldManager", "test")],
            body=dep,
            content_type=APPLY,
        )
        admin.create(
            f"/api/v1/namespaces/{ns}/secrets",
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "stringData": {"password": "hunter2"}},
        )
        admin.create(
            f"/api/v1/namespaces/{ns}/services",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "web"},
                "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
            },
        )
    coordinator = install_agents(cluster, agents_ns, [real_namespace], tmp_path)
    yield coordinator, real_namespace, other, agents_ns
    coordinator.close()
    for ns in (agents_ns, other):
        cluster.kubectl("delete", "namespace", ns, "--wait=false", check=False)


def test_every_agent_is_denied_outside_its_role(agents: Any) -> None:
    coordinator, ns, other, agents_ns = agents
    assert isinstance(coordinator, Coordinator)
    dep = f"/apis/apps/v1/namespaces/{ns}/deployments/web"
    merge = "application/merge-patch+json"
    rem = f"/apis/core.kubesage.dev/v1alpha1/namespaces/{agents_ns}/remediations"
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"generateName": "web."},
        "involvedObject": {"kind": "Deployment", "name": "web", "namespace": ns},
        "reason": "Test",
        "message": "m",
    }

    allowed: dict[str, list[tuple[str, str, Any, str]]] = {
        "reader": [
            ("GET", f"/api/v1/namespaces/{ns}/pods", None, ""),
            ("GET", dep, None, ""),
            ("GET", f"/api/v1/namespaces/{other}/services/web", None, ""),
        ],
        "scaler": [("PATCH", f"{dep}/scale", {"spec": {"replicas": 2}}, merge)],
        "fixer": [
            ("PATCH", dep, {"metadata": {"labels": {"x": "y"}}}, merge),
            ("PATCH", f"/api/v1/namespaces/{ns}/services/web", {"metadata": {"labels": {"x": "y"}}}, merge),
        ],
        "recorder": [("POST", f"/api/v1/namespaces/{ns}/events", event, ""), ("GET", rem, None, "")],
    }
    denied: dict[str, list[tuple[str, str, Any, str]]] = {
        "reader": [
            ("GET", f"/api/v1/namespaces/{ns}/secrets/db", None, ""),
            ("GET", f"/api/v1/namespaces/{ns}/secrets", None, ""),
            ("GET", "/api/v1/secrets", None, ""),
            ("PATCH", dep, {"spec": {"replicas": 0}}, merge),
            ("PATCH", f"{dep}/scale", {"spec": {"replicas": 0}}, merge),
            ("DELETE", f"/api/v1/namespaces/{ns}/pods/x", None, ""),
            ("POST", f"/api/v1/namespaces/{ns}/events", event, ""),
            ("DELETE", "/api/v1/namespaces/kube-system", None, ""),
        ],
        "scaler": [
            ("PATCH", dep, {"spec": {"replicas": 0}}, merge),
            ("PATCH", f"/apis/apps/v1/namespaces/{other}/deployments/web/scale", {"spec": {"replicas": 0}}, merge),
            (
                "PATCH",
                "/apis/apps/v1/namespaces/kube-system/deployments/coredns/scale",
                {"spec": {"replicas": 0}},
                merge,
            ),
            ("GET", f"/api/v1/namespaces/{ns}/secrets/db", None, ""),
            ("GET", dep, None, ""),
            ("DELETE", dep, None, ""),
        ],
        "fixer": [
            ("GET", f"/api/v1/namespaces/{ns}/secrets/db", None, ""),
            ("DELETE", dep, None, ""),
            ("PATCH", f"/apis/apps/v1/namespaces/{other}/deployments/web", {"spec": {"replicas": 0}}, merge),
            ("PATCH", f"/api/v1/namespaces/{other}/services/web", {"spec": {"selector": {"a": "b"}}}, merge),
            ("PATCH", f"{dep}/scale", {"spec": {"replicas": 0}}, merge),
            (
                "POST",
                f"/api/v1/namespaces/{ns}/pods",
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": "x"},
                    "spec": {"containers": [{"name": "c", "image": "i"}]},
                },
                "",
            ),
            ("PATCH", f"/api/v1/namespaces/{ns}/configmaps/x", {"data": {}}, merge),
            ("DELETE", "/api/v1/namespaces/kube-system", None, ""),
            (
                "POST",
                "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRoleBinding",
                    "metadata": {"name": "x"},
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole",
                        "name": "cluster-admin",
                    },
                    "subjects": [],
                },
                "",
            ),
        ],
        "recorder": [
            ("PATCH", dep, {"spec": {"replicas": 0}}, merge),
            ("GET", f"/api/v1/namespaces/{ns}/secrets/db", None, ""),
            ("POST", f"/api/v1/namespaces/{other}/events", event, ""),
            (
                "POST",
                f"/apis/core.kubesage.dev/v1alpha1/namespaces/{ns}/remediations",
                {
                    "apiVersion": "core.kubesage.dev/v1alpha1",
                    "kind": "Remediation",
                    "metadata": {"name": "x"},
                    "spec": {"action": "scale", "target": {"kind": "Deployment", "namespace": ns, "name": "web"}},
                },
                "",
            ),
            ("GET", f"/api/v1/namespaces/{ns}/pods", None, ""),
        ],
    }
    for agent in ("reader", "scaler", "fixer", "recorder"):
        kube = coordinator.agent(agent)
        for method, path, body, ctype in allowed[agent]:
            assert status(kube, method, path, body, ctype or "application/json") == 200, (agent, method, path)
        for method, path, body, ctype in denied[agent]:
            assert status(kube, method, path, body, ctype or "application/json") == 403, (agent, method, path)


def test_the_coordinator_can_only_mint_agent_tokens(agents: Any) -> None:
    coordinator, ns, _other, agents_ns = agents
    me = Kube(coordinator.base, "coordinator")
    token = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 600}}
    assert status(me, "GET", f"/api/v1/namespaces/{ns}/pods") == 403
    assert status(me, "GET", f"/api/v1/namespaces/{ns}/secrets/db") == 403
    assert (
        status(me, "POST", f"/api/v1/namespaces/{agents_ns}/serviceaccounts/default/token", token, dry_run=False) == 403
    )
    assert (
        status(me, "POST", f"/api/v1/namespaces/{agents_ns}/serviceaccounts/coordinator/token", token, dry_run=False)
        == 403
    )
    assert (
        status(
            me,
            "POST",
            f"/api/v1/namespaces/{agents_ns}/serviceaccounts/{coordinator.names.service_account('fixer')}/token",
            token,
            dry_run=False,
        )
        == 200
    )
