"""kubectl itself can talk to the fake API server: it serves discovery the way kubectl reads it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from fake_apiserver import FakeApiServer, FakeCluster, obj, pod, write_kubeconfig

from real_cluster import cluster_tool, unavailable


def _kubectl(kc: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = cluster_tool.bin_dir() / "kubectl"
    if not binary.is_file():
        unavailable("kubectl", f"not built in {cluster_tool.bin_dir()} (run `make cluster-build`)")
    return subprocess.run([str(binary), f"--kubeconfig={kc}", *args], capture_output=True, text=True, timeout=60)


def test_kubectl_lists_through_the_fakes_discovery(tmp_path: Path) -> None:
    server = FakeApiServer(FakeCluster(token=None)).start()  # kubectl sends no bearer token over plain http
    try:
        server.cluster.add(pod("web-1", "team-a"), obj("Deployment", "web", "team-a", spec={"replicas": 1}))
        kc = write_kubeconfig(tmp_path / "kc", server.url)
        pods = _kubectl(kc, "get", "pods", "-A", "-o", "name")
        assert pods.returncode == 0, pods.stderr
        assert pods.stdout.split() == ["pod/web-1"]
        deps = _kubectl(kc, "get", "deployments", "-n", "team-a", "-o", "jsonpath={.items[*].metadata.name}")
        assert deps.returncode == 0 and deps.stdout == "web", deps.stderr
        resources = _kubectl(kc, "api-resources", "--api-group=apps", "-o", "name")
        assert resources.returncode == 0, resources.stderr
        assert set(resources.stdout.split()) == {
            "daemonsets.apps",
            "deployments.apps",
            "replicasets.apps",
            "statefulsets.apps",
        }
        # Absent CRD groups are absent from discovery too.
        gw = _kubectl(kc, "get", "gateways.gateway.networking.k8s.io", "-A")
        assert gw.returncode != 0 and "doesn't have a resource type" in gw.stderr
    finally:
        server.stop()
