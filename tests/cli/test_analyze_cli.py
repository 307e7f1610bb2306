"""`kubesage analyze` end to end: flags, selection rules, JSON schema, error exits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kubesage.cli.app import app

runner = CliRunner()

BROKEN = [
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"replicas": 3},
        "status": {"replicas": 3, "readyReplicas": 1},
    },
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "pay", "labels": {"app": "api"}},
        "spec": {"replicas": 2},
        "status": {"replicas": 2, "readyReplicas": 0},
    },
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "ok", "namespace": "shop"},
        "spec": {"replicas": 1},
        "status": {"replicas": 1, "readyReplicas": 1},
    },
]


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all(BROKEN), encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_schema_and_key_order(snap: Path) -> None:
    code, out, _ = run("analyze", "--snapshot", str(snap), "-f", "Deployment", "-o", "json")
    assert code == 0
    doc = json.loads(out)
    assert list(doc) == ["provider", "errors", "status", "problems", "results"]
    assert doc["provider"] == "" and doc["errors"] is None
    assert doc["status"] == "ProblemDetected" and doc["problems"] == 2
    assert [r["name"] for r in doc["results"]] == ["pay/api", "shop/web"]
    result = doc["results"][0]
    assert list(result) == ["kind", "name", "error", "details", "parentObject"]
    assert list(result["error"][0]) == ["Text", "KubernetesDoc", "Sensitive"]
    assert list(result["error"][0]["Sensitive"][0]) == ["Unmasked", "Masked"]
    assert result["error"][0]["Text"] == "Deployment pay/api has 2 replicas but 0 are available with status running"


def test_json_is_reproducible_and_go_escaped(tmp_path: Path) -> None:
    dep = dict(BROKEN[0])
    dep["status"] = {
        "replicas": 3,
        "readyReplicas": 3,
        "conditions": [{"type": "Progressing", "status": "False", "reason": "X", "message": "a <b> & c"}],
    }
    path = tmp_path / "d.yaml"
    path.write_text(yaml.safe_dump(dep), encoding="utf-8")
    first = run("analyze", "--snapshot", str(path), "-o", "json", "-f", "Deployment")[1]
    second = run("analyze", "--snapshot", str(path), "-o", "json", "-f", "Deployment")[1]
    assert first == second
    assert "a \\u003cb\\u003e \\u0026 c" in first


def test_namespace_and_selector(snap: Path) -> None:
    out = run("analyze", "--snapshot", str(snap), "-f", "Deployment", "-n", "shop", "-o", "json")[1]
    assert [r["name"] for r in json.loads(out)["results"]] == ["shop/web"]
    out = run("analyze", "--snapshot", str(snap), "-f", "Deployment", "-L", "app in (api)", "-o", "json")[1]
    assert [r["name"] for r in json.loads(out)["results"]] == ["pay/api"]
    out = run("analyze", "--snapshot", str(snap), "-f", "Deployment", "-L", "app!=api,app", "-o", "json")[1]
    assert [r["name"] for r in json.loads(out)["results"]] == ["shop/web"]


def test_filters_comma_and_repeated(snap: Path) -> None:
    out = run("analyze", "--snapshot", str(snap), "-f", "Deployment,Deployment", "-f", "Nope", "-o", "json")[1]
    doc = json.loads(out)
    assert doc["errors"] == ['"Nope" filter does not exist. Please run k8sgpt filters list.']
    assert doc["problems"] == 2


def test_no_problems_text(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(yaml.safe_dump(BROKEN[2]), encoding="utf-8")
    code, out, _ = run("analyze", "--snapshot", str(path), "-f", "Deployment")
    assert code == 0
    assert out == "AI Provider: AI not used; --explain not set\n\nNo problems detected\n\n"


def test_text_layout(snap: Path) -> None:
    out = run("analyze", "--snapshot", str(snap), "-f", "Deployment", "-n", "shop")[1]
    assert out == (
        "AI Provider: AI not used; --explain not set\n\n"
        "0: Deployment shop/web()\n"
        "- Error: Deployment shop/web has 3 replicas but 1 are available with status running\n"
        "\n\n"
    )


def test_with_stat(snap: Path) -> None:
    code, out, _ = run("analyze", "--snapshot", str(snap), "-f", "Deployment", "-s")
    assert code == 0
    assert "The stats mode allows for debugging" in out
    assert "- Analyzer Deployment took " in out
    code, out, err = run("analyze", "--snapshot", str(snap), "-f", "Deployment", "-s", "-o", "json")
    json.loads(out)  # stats must not corrupt the JSON document
    assert "- Analyzer Deployment took " in err


def _names(out: str) -> list[str]:
    return [r["name"] for r in json.loads(out)["results"] or []]


def test_active_filters_then_flags(snap: Path) -> None:
    # The active set starts as the default set, so Deployment is already in it.
    assert run("filters", "add", "Deployment")[0] == 1
    assert run("filters", "remove", "Deployment")[0] == 0
    assert run("filters", "remove", "Deployment")[0] == 1
    assert _names(run("analyze", "--snapshot", str(snap), "-o", "json")[1]) == []
    # --filter wins over the active filters.
    assert _names(run("analyze", "--snapshot", str(snap), "-f", "Deployment", "-o", "json")[1]) == [
        "pay/api",
        "shop/web",
    ]
    assert run("filters", "add", "Deployment")[0] == 0
    assert run("filters", "add", "NoSuchThing")[0] == 1
    code, out, _ = run("filters", "list")
    assert code == 0 and "> Deployment" in out
    assert _names(run("analyze", "--snapshot", str(snap), "-o", "json")[1]) == ["pay/api", "shop/web"]


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("kind: Pod\nmetadata:\n  name: [unclosed\n", ":4"),
        ("kind: Pod\n\tbad: tab\n", ":2"),
    ],
)
def test_malformed_yaml_is_one_line_error(tmp_path: Path, content: str, where: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    code, _, err = run("analyze", "--snapshot", str(path))
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert f"{path}{where}" in lines[0]


def test_malformed_json_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "kind": "Pod",\n  "metadata": {,}\n}\n', encoding="utf-8")
    code, _, err = run("analyze", "--snapshot", str(path))
    assert code == 1 and f"{path}:3: invalid JSON" in err


def test_missing_snapshot_path(tmp_path: Path) -> None:
    code, _, err = run("analyze", "--snapshot", str(tmp_path / "nope"))
    assert code == 1 and "no such file or directory" in err


def test_bad_selector(snap: Path) -> None:
    code, _, err = run("analyze", "--snapshot", str(snap), "-L", "a in (b", "-f", "Deployment")
    assert code == 1 and "invalid label selector" in err


def test_malformed_config_is_one_line_error(snap: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("active_filters: [unclosed\n", encoding="utf-8")
    code, _, err = run("--config", str(cfg), "analyze", "--snapshot", str(snap))
    assert code == 1 and str(cfg) in err and "invalid config YAML" in err


def test_console_script_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("a: [\n", encoding="utf-8")
    exe = Path(sys.executable).with_name("kubesage")
    proc = subprocess.run([str(exe), "analyze", "--snapshot", str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("Error: ")


def test_kubectl_plugin_entry_point() -> None:
    exe = Path(sys.executable).with_name("kubectl-sage")
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "analyze" in proc.stdout


def test_version() -> None:
    from kubesage import __version__

    assert run("version")[1] == f"kubesage {__version__}\n"
    assert run("--version")[1] == f"kubesage {__version__}\n"


def test_one_result_per_object_across_analyzers() -> None:
    from kubesage.analysis import AnalyzeRequest, analyze_snapshot
    from kubesage.cluster.files import load_snapshot

    demo = Path(__file__).resolve().parents[2] / "examples" / "demo-cluster"
    analysis = analyze_snapshot(load_snapshot([demo]), AnalyzeRequest(lint=True))
    keys = [(r.kind, r.name) for r in analysis.results]
    assert len(keys) == len(set(keys))
    probe = next(r for r in analysis.results if r.name.startswith("payments/payments-api-") and r.kind == "Pod")
    # k8sgpt's Pod text first, then what kubesage's own analyzers add about the same pod.
    assert [f.analyzer for f in probe.error][:2] == ["Pod", "Probe"]
