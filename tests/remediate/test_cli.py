"""`kubesage remediate` on snapshots: read-only plans with patches and kubectl commands; clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo-cluster"


def kubesage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kubesage.cli.app", *args], capture_output=True, text=True, timeout=120
    )


def test_plan_on_a_snapshot_prints_patches_and_kubectl_commands() -> None:
    proc = kubesage("remediate", "plan", "--snapshot", str(DEMO), "-n", "shop")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "fix-service-selector Service/shop/frontend" in out
    assert "kubectl apply --server-side --field-manager=kubesage --force-conflicts -f -" in out
    assert "kubectl -n shop patch deployment checkout --type=json" in out
    assert "kubectl -n shop delete pod image-resizer-jhc9mmrjc6-rhbtr --wait=false" in out
    assert "+    app: frontend" in out


def test_plan_json_and_action_filter() -> None:
    proc = kubesage("remediate", "plan", "--snapshot", str(DEMO), "-o", "json", "-a", "raise-memory-limit")
    assert proc.returncode == 0, proc.stderr
    docs = json.loads(proc.stdout)["proposals"]
    allowed = [d for d in docs if d["decision"]["allowed"]]
    assert [d["action"] for d in allowed] == ["raise-memory-limit"]
    assert allowed[0]["kubectl"].startswith("kubectl apply --server-side")
    refused = [d for d in docs if not d["decision"]["allowed"]]
    assert refused and all("is not allowed by policy" in " ".join(d["decision"]["reasons"]) for d in refused)


def test_plan_with_a_policy_file(tmp_path: Path) -> None:
    pol = tmp_path / "policy.yaml"
    pol.write_text(
        "apiVersion: core.kubesage.dev/v1alpha1\nkind: KubeSage\nmetadata: {name: k}\nspec:\n  remediation:\n"
        "    enabled: true\n    mode: approve\n    actions: [fix-service-selector]\n    namespaces: [payments]\n"
    )
    proc = kubesage("remediate", "plan", "--snapshot", str(DEMO), "--policy", str(pol), "-o", "json")
    assert proc.returncode == 0, proc.stderr
    docs = json.loads(proc.stdout)["proposals"]
    assert docs and not any(d["decision"]["allowed"] for d in docs)


def test_bad_input_is_one_line_and_non_zero(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("mode: yolo\n")
    for args, message in (
        (("--policy", str(bad)), "mode 'yolo'"),
        (("--policy", str(tmp_path / "missing.yaml")), "cannot read policy"),
        (("-a", "nuke"), "unknown action 'nuke'"),
        (("-o", "xml"), "unknown output format"),
    ):
        proc = kubesage("remediate", "plan", "--snapshot", str(DEMO), *args)
        assert proc.returncode != 0
        assert message in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_writes_need_a_cluster_and_say_so(tmp_path: Path) -> None:
    proc = kubesage("remediate", "apply", "--kubeconfig", str(tmp_path / "nope"))
    assert proc.returncode != 0 and "no such file" in proc.stderr and "Traceback" not in proc.stderr


def test_plan_with_an_llm_lists_its_typed_choices_and_refusals(tmp_path: Path) -> None:
    from tests.llm.wire import serve
    from tests.remediate.injection import obedient_answer, responder

    answer = obedient_answer("shop", ["frontend"], "checkout")
    with serve(responder(answer)) as srv:
        cfg = tmp_path / "config.yaml"
        cfg.write_text(f"ai:\n  providers:\n    - name: localai\n      baseurl: {srv.url}/v1\n      model: m\n")
        proc = kubesage(
            "--config", str(cfg), "remediate", "plan", "--snapshot", str(DEMO), "--llm", "localai", "-o", "json"
        )
    assert proc.returncode == 0, proc.stderr
    docs = json.loads(proc.stdout)["proposals"]
    llm = [d for d in docs if d["source"] == "llm:localai"]
    assert len(llm) == len(answer["proposals"])
    assert not any(d["decision"]["allowed"] for d in llm)
    assert any(d["decision"]["allowed"] for d in docs if d["source"] == "rule")
