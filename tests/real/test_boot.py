"""The real cluster itself: versions, components, scheduling through kwok, RBAC, discovery."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from kubesage.cluster.live import connect
from real_cluster import RealCluster

pytestmark = pytest.mark.real


def test_server_reports_the_pinned_release(real_cluster: RealCluster) -> None:
    live = connect(str(real_cluster.kubeconfig))
    try:
        assert live.check() == "v1.36.3"
    finally:
        live.close()
    client = json.loads(real_cluster.kubectl("version", "-o", "json").stdout)
    assert client["clientVersion"]["gitVersion"] == "v1.36.3"
    assert client["serverVersion"]["gitVersion"] == "v1.36.3"


def test_boots_within_budget(real_cluster: RealCluster) -> None:
    print(f"real cluster boot: {real_cluster.boot_seconds:.1f}s")  # quoted in docs/sources.md
    assert real_cluster.boot_seconds < 60


def test_kwok_nodes_are_ready(real_cluster: RealCluster) -> None:
    nodes = json.loads(real_cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"]
    ready = {
        n["metadata"]["name"]: next(c["status"] for c in n["status"]["conditions"] if c["type"] == "Ready")
        for n in nodes
    }
    assert ready == {"kwok-node-0": "True", "kwok-node-1": "True", "kwok-node-2": "True"}


def test_deployment_is_rolled_out_by_controllers_scheduler_and_kwok(
    real_cluster: RealCluster, real_namespace: str
) -> None:
    real_cluster.kubectl("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "-n", real_namespace)
    real_cluster.kubectl("rollout", "status", "deployment/web", "-n", real_namespace, "--timeout=60s")
    pods = json.loads(real_cluster.kubectl("get", "pods", "-n", real_namespace, "-o", "json").stdout)["items"]
    assert len(pods) == 2
    assert all(p["status"]["phase"] == "Running" and p["spec"]["nodeName"].startswith("kwok-node-") for p in pods)
    # Owner chain set by the deployment and replicaset controllers.
    owners = {p["metadata"]["ownerReferences"][0]["kind"] for p in pods}
    assert owners == {"ReplicaSet"}
    # The serviceaccount controller made `default`; the root CA publisher made kube-root-ca.crt.
    real_cluster.kubectl("get", "serviceaccount", "default", "-n", real_namespace)
    real_cluster.kubectl("get", "configmap", "kube-root-ca.crt", "-n", real_namespace)


def test_rbac_denies_what_a_role_leaves_out(real_cluster: RealCluster, real_namespace: str, tmp_path: Path) -> None:
    kc = real_cluster.sa_kubeconfig(real_namespace, "reader", tmp_path / "kc")
    real_cluster.kubectl("create", "role", "pods-only", "--verb=get,list", "--resource=pods", "-n", real_namespace)
    real_cluster.kubectl(
        "create",
        "rolebinding",
        "reader",
        "--role=pods-only",
        f"--serviceaccount={real_namespace}:reader",
        "-n",
        real_namespace,
    )
    deadline = time.monotonic() + 10
    while True:  # RBAC caches refresh quickly, but not instantly
        ok = real_cluster.kubectl("get", "pods", "-n", real_namespace, kubeconfig=kc, check=False)
        if ok.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert ok.returncode == 0, ok.stderr
    denied = real_cluster.kubectl("get", "secrets", "-n", real_namespace, kubeconfig=kc, check=False)
    assert denied.returncode != 0
    assert "forbidden" in denied.stderr.lower()


def test_manifest_tools_are_built(real_cluster: RealCluster, tmp_path: Path) -> None:
    """helm and kubeconform come from the same recipe; kube-linter cannot (the Go proxy refuses it)."""
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  k: v\n"
    )
    helm = subprocess.run(
        [str(real_cluster.bin_dir / "helm"), "template", "rel", str(chart)], capture_output=True, text=True, timeout=60
    )
    assert helm.returncode == 0, helm.stderr
    assert "name: rel-cm" in helm.stdout
    # The rendered manifest applies on the real server (server-side dry run through admission).
    dry = real_cluster.kubectl("apply", "--dry-run=server", "-n", "default", "-f", "-", input=helm.stdout)
    assert "rel-cm" in dry.stdout
    version = subprocess.run(
        [str(real_cluster.bin_dir / "kubeconform"), "-v"], capture_output=True, text=True, timeout=60
    )
    assert version.stdout.strip() == "v0.8.0"
