"""The live source against the real API server: the live tests of tests/cluster, on real answers.

The fake API server (tests/cluster/fake_apiserver.py) stays only for faults a real server does
not produce on demand: 429, 5xx, an expired `continue` token, a connection cut mid-list.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubesage.cli.app import app
from kubesage.cluster.live import load_live
from kubesage.cluster.snapshot import secret_keys
from kubesage.errors import SourceError
from real_cluster import RealCluster

pytestmark = pytest.mark.real


def _apply(cluster: RealCluster, *items: dict[str, object]) -> None:
    cluster.kubectl(
        "apply",
        "--server-side",
        "-f",
        "-",
        input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(items)}),
    )


def _cm(name: str, ns: str, **labels: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "data": {"k": "v"},
    }


def _analyze(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["analyze", *args])
    return result.exit_code, result.stdout, result.stderr


def test_pagination_follows_continue_on_the_real_server(real_cluster: RealCluster, real_namespace: str) -> None:
    _apply(real_cluster, *(_cm(f"cm-{i:04d}", real_namespace) for i in range(1234)))
    since = real_cluster.audit_offset()
    snap = load_live(["ConfigMap"], kubeconfig=str(real_cluster.kubeconfig), namespace=real_namespace, progress=False)
    names = {o["metadata"]["name"] for o in snap.objects("ConfigMap")}
    assert {f"cm-{i:04d}" for i in range(1234)} <= names  # plus kube-root-ca.crt
    lists = [e for e in real_cluster.audit_events(since) if e["verb"] == "list"]
    assert len(lists) == 3  # 500 + 500 + 235
    assert sum("continue=" in e["requestURI"] for e in lists) == 2


def test_forbidden_kind_warns_once_with_a_real_role(
    real_cluster: RealCluster, real_namespace: str, tmp_path: Path
) -> None:
    real_cluster.kubectl(
        "create", "role", "no-secrets", "--verb=list", "--resource=pods,services,configmaps", "-n", real_namespace
    )
    real_cluster.kubectl(
        "create",
        "rolebinding",
        "viewer",
        "--role=no-secrets",
        f"--serviceaccount={real_namespace}:viewer",
        "-n",
        real_namespace,
    )
    kc = real_cluster.sa_kubeconfig(real_namespace, "viewer", tmp_path / "kc")
    _apply(real_cluster, _cm("app", real_namespace))
    deadline = time.monotonic() + 10
    while True:
        snap = load_live(["Pod", "Secret", "ConfigMap"], kubeconfig=str(kc), namespace=real_namespace, progress=False)
        if snap.has_kind("ConfigMap") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert snap.warnings == [
        "cannot list secrets (403 Forbidden): skipped; analyzers that need Secret treat it as unknown"
    ]
    assert not snap.has_kind("Secret") and snap.has_kind("Pod") and snap.has_kind("ConfigMap")
    assert snap.get("ConfigMap", real_namespace, "app") is not None


def test_absent_crds_are_skipped_quietly_and_installed_ones_listed(real_cluster: RealCluster) -> None:
    snap = load_live(
        ["Pod", "Gateway", "HTTPRoute", "ClusterServiceVersion"],
        kubeconfig=str(real_cluster.kubeconfig),
        progress=False,
    )
    assert snap.warnings == []
    assert snap.has_kind("Pod") and not snap.has_kind("Gateway") and not snap.has_kind("ClusterServiceVersion")


def test_namespace_and_selector(real_cluster: RealCluster, real_namespace: str) -> None:
    _apply(
        real_cluster,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "lost", "namespace": real_namespace, "labels": {"team": "a"}},
            "spec": {"selector": {"app": "nothing-matches"}, "ports": [{"port": 80}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "other", "namespace": real_namespace, "labels": {"team": "b"}},
            "spec": {"selector": {"app": "nothing-either"}, "ports": [{"port": 80}]},
        },
    )
    kc = str(real_cluster.kubeconfig)
    deadline = time.monotonic() + 20
    while True:  # the endpoints controller writes the (empty) Endpoints shortly after the Service
        code, out, err = _analyze("--kubeconfig", kc, "-n", real_namespace, "-f", "Service", "-o", "json")
        doc = json.loads(out)
        if len(doc["results"]) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert code == 0, err
    assert [r["name"] for r in doc["results"]] == [f"{real_namespace}/lost", f"{real_namespace}/other"]
    code, out, _ = _analyze("--kubeconfig", kc, "-n", real_namespace, "-f", "Service", "-L", "team=a", "-o", "json")
    assert [r["name"] for r in json.loads(out)["results"]] == [f"{real_namespace}/lost"]
    assert all(r["name"].startswith(f"{real_namespace}/") for r in doc["results"])


def test_secret_values_never_reach_the_snapshot(real_cluster: RealCluster, real_namespace: str) -> None:
    manifest = real_cluster.kubectl(
        "create", "secret", "generic", "db", "--from-literal=password=hunter2", "--dry-run=client", "-o", "json"
    ).stdout
    # Client-side apply: the last-applied-configuration annotation repeats the value.
    real_cluster.kubectl("apply", "-n", real_namespace, "-f", "-", input=manifest)
    snap = load_live(["Secret"], kubeconfig=str(real_cluster.kubeconfig), namespace=real_namespace, progress=False)
    secret = snap.get("Secret", real_namespace, "db")
    assert secret is not None and "data" not in secret
    assert secret_keys(secret) == ["password"]
    assert "managedFields" not in secret["metadata"]
    assert "kubectl.kubernetes.io/last-applied-configuration" not in (secret["metadata"].get("annotations") or {})
    blob = json.dumps([snap.objects(k) for k in snap.kinds()])
    assert "hunter2" not in blob and "aHVudGVyMg" not in blob


def test_kubeconfig_with_token_and_with_client_certificates(
    real_cluster: RealCluster, real_namespace: str, tmp_path: Path
) -> None:
    real_cluster.kubectl(
        "create",
        "rolebinding",
        "view",
        "--clusterrole=view",
        f"--serviceaccount={real_namespace}:tok",
        "-n",
        real_namespace,
    )
    token_kc = real_cluster.sa_kubeconfig(real_namespace, "tok", tmp_path / "token-kc")
    assert "token" in token_kc.read_text() and "client-certificate" not in token_kc.read_text()
    assert "client-certificate" in real_cluster.kubeconfig.read_text()
    for kc in (token_kc, real_cluster.kubeconfig):
        deadline = time.monotonic() + 10
        while True:
            snap = load_live(["Pod", "ConfigMap"], kubeconfig=str(kc), namespace=real_namespace, progress=False)
            if not snap.warnings or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert snap.warnings == [] and snap.get("ConfigMap", real_namespace, "kube-root-ca.crt") is not None


def test_bad_token_is_rejected_with_one_line(real_cluster: RealCluster, tmp_path: Path) -> None:
    from real_cluster import cluster_tool

    kc = cluster_tool.write_kubeconfig(
        tmp_path / "kc", real_cluster.server, real_cluster.ca_file, user="x", token="wrong"
    )
    with pytest.raises(SourceError, match=r"rejected the credentials \(401 Unauthorized\)$"):
        load_live(["Pod"], kubeconfig=str(kc), progress=False)


def test_kubectl_and_kubesage_agree_on_the_server(real_cluster: RealCluster) -> None:
    snap = load_live(["Node"], kubeconfig=str(real_cluster.kubeconfig), progress=False)
    names = real_cluster.kubectl("get", "nodes", "-o", "name").stdout.split()
    assert sorted(f"node/{o['metadata']['name']}" for o in snap.objects("Node")) == sorted(names)
