"""`kubesage mcp --allow-write` on the real cluster: submit_remediation goes through the remediation
pipeline with the agents' credentials, and under an approve-mode policy waits for a human."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_harness import stdio_params
from tests.remediate.conftest import CRD, _untaint_nodes, install_agents

from kubesage.agents.client import Kube


def _apply(kube: Kube, namespace: str, obj: dict[str, Any], path: str) -> None:
    obj["metadata"]["namespace"] = namespace
    kube.request("PATCH", path, query=[("fieldManager", "test"), ("force", "true")], body=obj,
                 content_type="application/apply-patch+yaml")  # fmt: skip


@pytest.mark.real
def test_submit_remediation_waits_for_human_approval(real_cluster: Any, real_namespace: str, tmp_path: Path) -> None:
    _untaint_nodes(real_cluster)
    real_cluster.kubectl("apply", "--server-side", "-f", str(CRD))
    real_cluster.kubectl("wait", "--for=condition=Established", "crd/remediations.core.kubesage.dev", "--timeout=30s")
    agents_ns = f"ks-{secrets.token_hex(3)}"
    real_cluster.kubectl("create", "namespace", agents_ns)
    coordinator = install_agents(real_cluster, agents_ns, [real_namespace], tmp_path)
    admin = Kube(real_cluster.api_client(), "admin")
    ns = real_namespace
    try:
        labels = {"app": "web"}
        _apply(admin, ns, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                           "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                                    "template": {"metadata": {"labels": labels},
                                                 "spec": {"containers": [{"name": "app", "image": "r.local/web:1"}]}}}},
               f"/apis/apps/v1/namespaces/{ns}/deployments/web")  # fmt: skip
        _apply(admin, ns, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                           "spec": {"selector": {"app": "wbe"}, "ports": [{"port": 80, "targetPort": 8080}]}},
               f"/api/v1/namespaces/{ns}/services/web")  # fmt: skip
        real_cluster.kubectl("wait", "--for=condition=Available", "deployment/web", "-n", ns, "--timeout=60s")

        async def main() -> dict[str, Any]:
            params = stdio_params(
                tmp_path, "--kubeconfig", str(real_cluster.kubeconfig), "--refresh", "0", "--allow-write",
                "--agents-namespace", agents_ns, "--agents-prefix", f"{agents_ns}-agent-",
                "--record-namespace", agents_ns,
            )  # fmt: skip
            async with Client(params) as client:
                tools = {t.name: t for t in (await client.list_tools()).tools}
                planned = await client.call_tool("remediation_plan", {"namespace": ns})
                text = planned.content[0].text
                pid = next(line.split(":")[0].removeprefix("- ") for line in text.splitlines()
                           if "fix-service-selector" in line and line.startswith("- "))  # fmt: skip
                submitted = await client.call_tool("submit_remediation", {"id": pid, "namespace": ns})
                missing = await client.call_tool("submit_remediation", {"id": "no-such-proposal", "namespace": ns})
                return {"tools": tools, "plan": text, "submitted": submitted, "missing": missing}

        out = anyio.run(main)
    finally:
        coordinator.close()
    write = out["tools"]["submit_remediation"]
    assert write.annotations.read_only_hint is False and write.annotations.destructive_hint is True
    submitted = out["submitted"].content[0].text
    assert out["submitted"].is_error is False, submitted
    assert "AwaitingApproval" in submitted and "kubesage remediate approve" in submitted
    assert out["missing"].is_error and "no current proposal" in out["missing"].content[0].text
    # Nothing changed: the Service still has its typo until a human approves.
    service = admin.request("GET", f"/api/v1/namespaces/{ns}/services/web")
    assert service["spec"]["selector"] == {"app": "wbe"}
    records = admin.request("GET", f"/apis/core.kubesage.dev/v1alpha1/namespaces/{agents_ns}/remediations")
    assert [r["status"]["phase"] for r in records["items"]] == ["AwaitingApproval"]
    real_cluster.kubectl("delete", "namespace", agents_ns, "--wait=false", check=False)
