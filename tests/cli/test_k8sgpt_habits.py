"""Issue 13 §5: k8sgpt's CLI habits — global --kubeconfig/--kubecontext, `filter`, -d/--with-doc,
-r/--custom-headers, `kubectl sage` in help; and `serve` saying "serving on" only once it listens."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from llm.wire import Recorded, openai_answer, serve

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo-cluster"
BIN = Path(sys.executable).parent


def _run(*args: str, env: dict[str, str] | None = None, exe: str = "kubesage") -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / exe), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})  # fmt: skip


def test_global_kubeconfig_before_the_subcommand(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-kubeconfig"
    result = _run("--kubeconfig", str(missing), "analyze", "-f", "Pod")
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert str(missing) in line and "Traceback" not in result.stderr


def test_global_kubecontext_before_the_subcommand(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "a",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "a", "context": {"cluster": "c", "user": "u"}}],
    }))  # fmt: skip
    result = _run("--kubeconfig", str(kubeconfig), "--kubecontext", "nope", "analyze", "-f", "Pod")
    assert result.returncode == 1 and "nope" in result.stderr
    # The subcommand's own flag wins over the global one.
    own = _run("--kubecontext", "nope", "analyze", "--kubeconfig", str(kubeconfig), "--context", "also-nope")
    assert own.returncode == 1 and "also-nope" in own.stderr


def test_filter_is_an_alias_of_filters() -> None:
    plural = _run("filters", "list")
    singular = _run("filter", "list")
    assert plural.returncode == singular.returncode == 0
    assert singular.stdout == plural.stdout and "Active:" in singular.stdout


def test_kubectl_plugin_help_says_kubectl_sage() -> None:
    result = _run("--help", exe="kubectl-sage")
    assert result.returncode == 0 and "Usage: kubectl sage " in result.stdout and "kubectl-sage" not in result.stdout
    sub = _run("analyze", "--help", exe="kubectl-sage")
    assert "Usage: kubectl sage analyze" in sub.stdout
    assert "Usage: kubesage " in _run("--help").stdout


def test_custom_headers_reach_the_ai_backend(tmp_path: Path) -> None:
    seen: list[Recorded] = []

    def answer(rec: Recorded) -> Any:
        seen.append(rec)
        return openai_answer("Error: x.\nSolution: 1. y.")

    with serve(answer) as fake:
        config = tmp_path / "config.yaml"
        config.write_text(json.dumps({"ai": {"providers": [{"name": "localai", "baseurl": f"{fake.url}/v1",
                                                             "model": "m"}]}}))  # fmt: skip
        result = _run("--config", str(config), "analyze", "--snapshot", str(DEMO), "-f", "Deployment", "--explain",
                      "-b", "localai", "--no-cache", "-o", "json", "-r", "X-Gateway-Key:k-123,X-Team: sre",
                      "--custom-headers", "X-Trace:on")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert seen and all(r.headers.get("x-gateway-key") == "k-123" for r in seen)
    assert seen[0].headers.get("x-team") == "sre" and seen[0].headers.get("x-trace") == "on"


def test_bad_custom_header_is_one_line() -> None:
    result = _run("analyze", "--snapshot", str(DEMO), "--explain", "-r", "no-colon-here")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: invalid --custom-headers entry 'no-colon-here': expected Key:Value"
    ]


def test_with_doc_on_a_snapshot_is_a_warning_not_a_failure() -> None:
    result = _run("analyze", "--snapshot", str(DEMO), "-f", "Deployment", "-d", "-o", "json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert any(e.startswith("[KubernetesDoc]") and "--snapshot" in e for e in data["errors"])
    assert data["problems"] > 0


BROKEN = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {no-such-node: "true"}
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: v1
kind: Service
metadata: {name: lonely}
spec:
  selector: {app: nobody}
  ports: [{port: 80}]
"""


@pytest.mark.real
def test_with_doc_from_the_real_api_server(real_cluster: Any) -> None:
    import secrets

    import yaml
    from kubernetes import client

    api = real_cluster.api_client()
    real_namespace = f"t-doc-{secrets.token_hex(3)}"
    client.CoreV1Api(api).create_namespace({"metadata": {"name": real_namespace}})
    deployment, service = yaml.safe_load_all(BROKEN)
    client.AppsV1Api(api).create_namespaced_deployment(real_namespace, deployment)
    client.CoreV1Api(api).create_namespaced_service(real_namespace, service)
    args = ("--kubeconfig", str(real_cluster.kubeconfig), "analyze", "-n", real_namespace, "-f", "Deployment,Service")
    deadline = time.monotonic() + 60
    while True:  # until the controllers have created the pods and the Endpoints
        result = _run(*args, "-d", "-o", "json")
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        docs = {r["kind"]: f["KubernetesDoc"] for r in data["results"] for f in r["error"]}
        if len(docs) == 2 or time.monotonic() > deadline:
            break
        time.sleep(1)
    # The API server's own descriptions of spec.replicas and spec.selector.
    assert "Number of desired pods" in docs["Deployment"], data
    assert "Route service traffic to pods with label keys and values matching this selector" in docs["Service"]
    assert not [e for e in data["errors"] or [] if "KubernetesDoc" in e]
    text = _run(*args, "--with-doc")
    assert "Kubernetes Doc: Number of desired pods" in text.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_says_serving_on_only_once_listening(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.Popen([str(BIN / "kubesage"), "serve", "--port", str(port), "--workers", "1"],
                            env=env, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith(f"kubesage serving on http://127.0.0.1:{port} ")
        # The moment the line is out, the port answers (no retry loop needed).
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(15)


def test_serve_on_a_taken_port_never_says_serving_on(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run("serve", "--port", str(port), "--workers", "1", env={"XDG_DATA_HOME": str(tmp_path / "d")})
    assert result.returncode == 1
    assert "serving on" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last == f"Error: could not listen on 127.0.0.1:{port} (address in use, or not an address of this host)"


def test_serve_on_all_interfaces_without_token_warns(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("KUBESAGE_SERVE_TOKEN", None)
    proc = subprocess.Popen([str(BIN / "kubesage"), "serve", "--host", "0.0.0.0", "--port", str(port), "--workers",
                             "1"], env=env, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stderr is not None
        first, second = proc.stderr.readline(), proc.stderr.readline()
        assert first.startswith("Warning: --host 0.0.0.0 without --token") and "docs/security.md" in first
        assert second.startswith(f"kubesage serving on http://0.0.0.0:{port} ")
    finally:
        proc.terminate()
        proc.wait(15)
