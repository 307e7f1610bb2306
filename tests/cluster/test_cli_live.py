"""`kubesage analyze --kubeconfig` end to end against the fake API server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from fake_apiserver import FakeCluster, obj, pod, write_kubeconfig
from typer.testing import CliRunner

from kubesage.analysis import AnalyzeRequest, plan
from kubesage.cli.app import app
from kubesage.cluster.kinds import KINDS

KUBESAGE = Path(sys.executable).with_name("kubesage")


def _broken(cluster: FakeCluster) -> None:
    cluster.add(
        obj("Deployment", "web", "shop", spec={"replicas": 3}, status={"replicas": 3, "readyReplicas": 1}),
        obj("Deployment", "api", "pay", spec={"replicas": 1}, status={"replicas": 1, "readyReplicas": 1}),
        pod("web-1", "shop"),
    )


def test_analyze_live_json(cluster: FakeCluster, kubeconfig: str) -> None:
    _broken(cluster)
    result = CliRunner().invoke(app, ["analyze", "--kubeconfig", kubeconfig, "-f", "Deployment", "-o", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["status"] == "ProblemDetected" and doc["problems"] == 1
    assert [(r["kind"], r["name"]) for r in doc["results"]] == [("Deployment", "shop/web")]
    text = doc["results"][0]["error"][0]["Text"]
    assert text == "Deployment shop/web has 3 replicas but 1 are available with status running"
    # Only the kinds the chosen analyzer reads are listed, each once.
    assert [r.path for r in cluster.list_requests()] == ["/apis/apps/v1/deployments"]


def test_analyze_live_lists_each_needed_kind_once(cluster: FakeCluster, kubeconfig: str) -> None:
    _broken(cluster)
    result = CliRunner().invoke(app, ["analyze", "--kubeconfig", kubeconfig, "-o", "json"])
    assert result.exit_code == 0, result.output
    _, _, kinds = plan(AnalyzeRequest())
    paths = [r.path for r in cluster.list_requests()]
    assert sorted(paths) == sorted(KINDS[k].list_path() for k in kinds if k in KINDS)
    assert len(paths) == len(set(paths))


def test_analyze_live_namespace_and_forbidden(cluster: FakeCluster, kubeconfig: str) -> None:
    _broken(cluster)
    cluster.forbidden.add("Deployment")
    result = CliRunner().invoke(
        app, ["analyze", "--kubeconfig", kubeconfig, "-n", "shop", "-f", "Deployment,Pod", "-o", "json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["errors"] == [
        "cannot list deployments (403 Forbidden): skipped; analyzers that need Deployment treat it as unknown"
    ]
    assert "/api/v1/namespaces/shop/pods" in [r.path for r in cluster.list_requests()]


def test_unreachable_cluster_exits_1_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kc = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{port}")
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    proc = subprocess.run(
        [str(KUBESAGE), "analyze", "--kubeconfig", str(kc)], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    url = f"http://127.0.0.1:{port}"
    assert proc.stderr.strip() == f"Error: cannot reach the Kubernetes API at {url}: connection refused"


def test_analyze_live_log_filter_fetches_logs(cluster: FakeCluster, kubeconfig: str) -> None:
    cluster.add(pod("worker-1", "jobs"), pod("quiet-1", "jobs"))
    cluster.logs[("jobs", "worker-1", "app", False)] = "starting\nERROR: cannot connect to db:5432\nretrying"
    cluster.logs[("jobs", "quiet-1", "app", False)] = "all good\n"
    result = CliRunner().invoke(app, ["analyze", "--kubeconfig", kubeconfig, "-f", "Log", "-o", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [(r["kind"], r["name"]) for r in doc["results"]] == [("Pod", "jobs/worker-1/app")]
    assert doc["results"][0]["error"][0]["Text"] == "ERROR: cannot connect to db:5432"
    # Logs are read only because Log was selected; other analyses make no log calls.
    assert any(r.path.endswith("/log") for r in cluster.requests)
