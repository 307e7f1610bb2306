"""`kubesage snapshot save` against the fake API server: layout, secrets, logs, round trip, safety."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from fake_apiserver import FakeCluster, obj, pod, write_kubeconfig
from typer.testing import CliRunner

from kubesage.cli.app import app

SECRET_B64 = "czNjcjN0LXZhbHVl"  # "s3cr3t-value"
SECRET_PLAIN = "s3cr3t-value"


def _populate(cluster: FakeCluster) -> None:
    crash = {
        "name": "app",
        "restartCount": 4,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off restarting failed container"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}},
    }
    cluster.add(
        pod("web-1", "shop"),
        pod("worker-1", "shop", statuses=[crash], phase="Running"),
        obj(
            "Deployment",
            "web",
            "shop",
            spec={"replicas": 3, "selector": {"matchLabels": {"app": "web"}}},
            status={"replicas": 3, "readyReplicas": 1},
        ),
        obj("Service", "web", "shop", spec={"selector": {"app": "web"}, "ports": [{"port": 80}]}),
        obj("Node", "node-1", status={"conditions": [{"type": "Ready", "status": "True"}]}),
        obj("Namespace", "shop"),
        obj(
            "Secret",
            "db",
            "shop",
            type="Opaque",
            data={"password": SECRET_B64},
            metadata={
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                        {"stringData": {"password": SECRET_PLAIN}}
                    )
                }
            },
        ),
        obj("ConfigMap", "settings", "shop", data={"mode": "fast"}),
    )
    cluster.logs[("shop", "worker-1", "app", False)] = "starting\nfatal: cannot open db\n"
    cluster.logs[("shop", "worker-1", "app", True)] = "starting\npanic: boom\n"


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=True)


def _save(kubeconfig: str, dest: Path, *extra: str) -> Any:
    result = _invoke("snapshot", "save", "-o", str(dest), "--kubeconfig", kubeconfig, *extra)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def _error(result: Any) -> str:
    """The one `Error:` line of a failed command."""
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return str(lines[0][len("Error: ") :])


def test_layout(cluster: FakeCluster, kubeconfig: str, tmp_path: Path) -> None:
    _populate(cluster)
    dest = tmp_path / "snap"
    result = _save(kubeconfig, dest)
    assert result.exit_code == 0, result.output
    assert "Saved 8 objects" in result.output

    pods = yaml.safe_load((dest / "shop" / "pods.yaml").read_text())
    assert pods["kind"] == "List" and pods["apiVersion"] == "v1"
    assert [p["metadata"]["name"] for p in pods["items"]] == ["web-1", "worker-1"]
    assert all(p["kind"] == "Pod" and p["apiVersion"] == "v1" for p in pods["items"])
    deps = yaml.safe_load((dest / "shop" / "deployments.yaml").read_text())
    assert deps["items"][0]["apiVersion"] == "apps/v1"
    nodes = yaml.safe_load((dest / "_cluster" / "nodes.yaml").read_text())
    assert [n["metadata"]["name"] for n in nodes["items"]] == ["node-1"]
    # Listed but empty kinds are kept as empty typed lists; absent CRDs are not written at all.
    assert yaml.safe_load((dest / "_cluster" / "jobs.yaml").read_text()) == {
        "apiVersion": "batch/v1",
        "kind": "JobList",
        "metadata": {},
        "items": [],
    }
    assert not (dest / "_cluster" / "gateways.yaml").exists()

    manifest = yaml.safe_load((dest / "snapshot.yaml").read_text())
    assert manifest["kind"] == "KubesageSnapshot"
    assert manifest["context"] == "fake"
    assert manifest["server"]["version"] == "v1.31.2"
    assert "Pod" in manifest["listedKinds"] and "Gateway" not in manifest["listedKinds"]
    assert manifest["objects"] == 8 and manifest["logs"] == 2
    assert manifest["warnings"] == []
    assert not list(tmp_path.glob(".snap.*")), "temp dirs left behind"


def test_secrets_never_touch_disk(cluster: FakeCluster, kubeconfig: str, tmp_path: Path) -> None:
    _populate(cluster)
    dest = tmp_path / "snap"
    assert _save(kubeconfig, dest).exit_code == 0
    secrets = yaml.safe_load((dest / "shop" / "secrets.yaml").read_text())
    secret = secrets["items"][0]
    assert "data" not in secret and "stringData" not in secret
    assert secret["kubesageDataKeys"] == ["password"]
    assert "kubectl.kubernetes.io/last-applied-configuration" not in (secret["metadata"].get("annotations") or {})
    for path in dest.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            assert SECRET_B64.encode() not in blob and SECRET_PLAIN.encode() not in blob, path


def test_logs_of_failing_containers(cluster: FakeCluster, kubeconfig: str, tmp_path: Path) -> None:
    _populate(cluster)
    dest = tmp_path / "snap"
    assert _save(kubeconfig, dest).exit_code == 0
    logs = sorted(p.relative_to(dest).as_posix() for p in (dest / "logs").rglob("*.log"))
    assert logs == ["logs/shop/worker-1/app.log", "logs/shop/worker-1/app.previous.log"]
    assert (dest / "logs/shop/worker-1/app.previous.log").read_text() == "starting\npanic: boom\n"
    assert _save(kubeconfig, tmp_path / "nologs", "--no-logs").exit_code == 0
    assert not (tmp_path / "nologs" / "logs").exists()


def test_round_trip_through_analyze(cluster: FakeCluster, kubeconfig: str, tmp_path: Path) -> None:
    _populate(cluster)
    dest = tmp_path / "snap"
    assert _save(kubeconfig, dest).exit_code == 0
    live = _invoke("analyze", "--kubeconfig", kubeconfig, "-o", "json")
    files = _invoke("analyze", "--snapshot", str(dest), "-o", "json")
    assert live.exit_code == 0 and files.exit_code == 0, (live.output, files.output)
    live_doc, files_doc = json.loads(live.stdout), json.loads(files.stdout)
    assert live_doc["results"] == files_doc["results"]
    assert live_doc["problems"] == files_doc["problems"] and live_doc["status"] == files_doc["status"]
    # The broken deployment is found both ways (Deployment is a core analyzer).
    assert any(r["kind"] == "Deployment" and r["name"] == "shop/web" for r in files_doc["results"] or [])


def test_json_format_round_trips(cluster: FakeCluster, kubeconfig: str, tmp_path: Path) -> None:
    _populate(cluster)
    dest = tmp_path / "snap"
    assert _save(kubeconfig, dest, "--format", "json").exit_code == 0
    pods = json.loads((dest / "shop" / "pods.json").read_text())
    assert pods["kind"] == "List" and [p["metadata"]["name"] for p in pods["items"]] == ["web-1", "worker-1"]
    assert not list(dest.glob("*/*.yaml"))
    assert yaml.safe_load((dest / "snapshot.yaml").read_text())["kind"] == "KubesageSnapshot"
    live = _invoke("analyze", "--kubeconfig", kubeconfig, "-o", "json")
    files = _invoke("analyze", "--snapshot", str(dest), "-o", "json")
    assert json.loads(live.stdout)["results"] == json.loads(files.stdout)["results"]
    for path in dest.rglob("*"):
        if path.is_file():
            assert SECRET_B64.encode() not in path.read_bytes(), path


def test_namespace_and_kinds(cluster: FakeCluster, kubeconfig: str, tmp_path: Path) -> None:
    _populate(cluster)
    cluster.add(pod("other", "elsewhere"))
    dest = tmp_path / "snap"
    assert _save(kubeconfig, dest, "-n", "shop", "--kinds", "Pod,Node", "--no-logs").exit_code == 0
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.yaml")) == [
        "_cluster/nodes.yaml",
        "shop/pods.yaml",
        "snapshot.yaml",
    ]
    assert sorted(r.path for r in cluster.list_requests()) == ["/api/v1/namespaces/shop/pods", "/api/v1/nodes"]


def test_forbidden_kind_is_a_warning_in_output_and_manifest(
    cluster: FakeCluster, kubeconfig: str, tmp_path: Path
) -> None:
    _populate(cluster)
    cluster.forbidden.add("Secret")
    dest = tmp_path / "snap"
    result = _save(kubeconfig, dest, "--no-logs")
    assert result.exit_code == 0
    warning = "cannot list secrets (403 Forbidden): skipped; analyzers that need Secret treat it as unknown"
    assert warning in " ".join(result.output.split())
    assert yaml.safe_load((dest / "snapshot.yaml").read_text())["warnings"] == [warning]
    assert not (dest / "shop" / "secrets.yaml").exists()


def test_refuses_non_empty_dir(cluster: FakeCluster, kubeconfig: str, tmp_path: Path) -> None:
    _populate(cluster)
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "notes.txt").write_text("precious")
    assert _error(_save(kubeconfig, dest)) == (
        f"{dest} is not empty: choose a new directory, or --force to replace an earlier snapshot"
    )
    assert cluster.requests == [], "must refuse before talking to the cluster"
    # --force does not replace a directory that is not an earlier snapshot either.
    assert _error(_save(kubeconfig, dest, "--force")) == (
        f"{dest} is not empty and is not a kubesage snapshot: refusing to replace it"
    )
    assert (dest / "notes.txt").read_text() == "precious"
    assert sorted(p.name for p in dest.iterdir()) == ["notes.txt"]


def test_force_replaces_an_earlier_snapshot(cluster: FakeCluster, kubeconfig: str, tmp_path: Path) -> None:
    _populate(cluster)
    dest = tmp_path / "snap"
    assert _save(kubeconfig, dest, "--no-logs").exit_code == 0
    cluster.objects["Pod"] = [pod("new-pod", "shop")]
    assert "is not empty" in _error(_save(kubeconfig, dest, "--no-logs"))
    assert _save(kubeconfig, dest, "--no-logs", "--force").exit_code == 0
    pods = yaml.safe_load((dest / "shop" / "pods.yaml").read_text())
    assert [p["metadata"]["name"] for p in pods["items"]] == ["new-pod"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kubeconfig", "snap"], "temp dirs left behind"


def test_empty_existing_dir_is_used(cluster: FakeCluster, kubeconfig: str, tmp_path: Path) -> None:
    dest = tmp_path / "empty"
    dest.mkdir()
    assert _save(kubeconfig, dest, "--kinds", "Pod").exit_code == 0
    assert (dest / "snapshot.yaml").is_file()


def test_unreachable_cluster_writes_nothing(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kc = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{port}")
    dest = tmp_path / "snap"
    url = f"http://127.0.0.1:{port}"
    assert _error(_save(str(kc), dest)) == f"cannot reach the Kubernetes API at {url}: connection refused"
    assert not dest.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kc"]


@pytest.mark.parametrize("flag", ["--kubeconfig", "--kubecontext"])
def test_help_lists_source_flags(flag: str) -> None:
    result = _invoke("snapshot", "save", "--help")
    assert result.exit_code == 0 and flag in result.output
