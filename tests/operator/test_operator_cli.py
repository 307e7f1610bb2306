"""`kubesage migrate k8sgpt` and `kubesage operator` from the command line: output, notes, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from test_operator_units import K8SGPT

from kubesage.operator.models import KubeSageSpec

ROOT = Path(__file__).resolve().parents[2]


def _kubesage(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from kubesage.cli.app import main; main()", *args],
        capture_output=True, text=True, input=input, timeout=60, check=False,
    )  # fmt: skip


def test_migrate_writes_kubesage_yaml_and_lists_what_has_no_equivalent(tmp_path: Path) -> None:
    src = tmp_path / "k8sgpt.yaml"
    second = {**K8SGPT, "metadata": {"name": "second"}, "spec": {"ai": {"backend": "localai", "enabled": False}}}
    src.write_text(yaml.safe_dump_all([K8SGPT, second]))
    proc = _kubesage("migrate", "k8sgpt", str(src))
    assert proc.returncode == 0, proc.stderr
    docs = list(yaml.safe_load_all(proc.stdout))
    assert [d["metadata"]["name"] for d in docs] == ["k8sgpt-sample", "second"]
    for d in docs:
        KubeSageSpec.parse(d["spec"])
    assert "k8sgpt-sample: spec.remoteCache: no equivalent" in proc.stderr
    out = tmp_path / "out.yaml"
    assert _kubesage("migrate", "k8sgpt", "-", "-o", str(out), input=yaml.safe_dump(K8SGPT)).returncode == 0
    assert yaml.safe_load(out.read_text())["kind"] == "KubeSage"


def test_migrate_bad_input_is_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    for text, message in (
        ("kind: Deployment\n", "document 1: expected a K8sGPT object"),
        ("a: [unclosed\n", "invalid YAML"),
        ("", "no K8sGPT object found"),
    ):
        bad.write_text(text)
        proc = _kubesage("migrate", "k8sgpt", str(bad))
        assert proc.returncode != 0 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    proc = _kubesage("migrate", "k8sgpt", str(tmp_path / "missing.yaml"))
    assert proc.returncode != 0 and "cannot read" in proc.stderr


def test_operator_errors_are_one_line(tmp_path: Path) -> None:
    proc = _kubesage("operator", "--metrics-bind-address", "nonsense")
    assert proc.returncode != 0 and "invalid bind address 'nonsense'" in proc.stderr
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\n"
    )
    proc = _kubesage("operator", "--kubeconfig", str(kubeconfig), "--metrics-bind-address", "0")
    assert proc.returncode != 0 and "cannot reach the Kubernetes API" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    proc = _kubesage("operator", "--kubeconfig", str(kubeconfig), "-n", "Not_A_Namespace")
    assert proc.returncode != 0 and "invalid namespace" in proc.stderr


def test_example_kubesage_is_a_valid_spec() -> None:
    doc = yaml.safe_load((ROOT / "examples" / "kubesage.yaml").read_text())
    spec = KubeSageSpec.parse(doc["spec"])
    assert spec.ai.enabled and spec.sinks[0].secret is not None
