"""`kubesage eval` as users run it: exit codes, one-line errors, --baseline, --repeat."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from test_eval_llm import _small_benchmark

from kubesage.eval.baseline import compare


def _kubesage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kubesage.cli.app", *args], capture_output=True, text=True,
                          timeout=300, check=False)


def _report(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((path / "report.json").read_text(encoding="utf-8"))
    return data


def test_gate_failure_exits_1_naming_the_metric(tmp_path: Path) -> None:
    scen, questions = _small_benchmark(tmp_path)
    gate = tmp_path / "strict.toml"
    gate.write_text('[[gate]]\nmetric = "detection.recall"\nmax = -1\n\n[[gate]]\nmetric = "detection.found"\n'
                    "min = 1\n", encoding="utf-8")
    run = _kubesage("eval", "--scenarios", str(scen), "--questions", str(questions), "--gate", str(gate),
                    "--test-questions", str(questions), "-o", str(tmp_path / "out"))
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last == "Error: eval gate failed: detection.recall=1.000 (needs <= -1)"
    assert "Traceback" not in run.stderr
    assert "Detection" in run.stdout and "FAIL" in run.stdout  # the summary is still printed
    report = _report(tmp_path / "out")  # and the reports are still written
    assert report["gate"]["failed"] == ["detection.recall"]
    assert (tmp_path / "out" / "report.html").is_file()


def test_bad_input_is_one_line_error(tmp_path: Path) -> None:
    for args, message in (
        (["--scenarios", str(tmp_path / "missing")], "scenario directory not found"),
        (["--repeat", "0"], "--repeat must be at least 1"),
        (["--baseline", str(tmp_path / "nope.json")], "no such baseline report"),
        (["--gate", str(tmp_path / "nope.toml")], "no such gate file"),
    ):
        run = _kubesage("eval", *args, "-o", str(tmp_path / "o"))
        assert run.returncode == 1, args
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], (args, run.stderr)


def test_baseline_deltas_flag_regressions(tmp_path: Path) -> None:
    scen, questions = _small_benchmark(tmp_path)
    common = ["--scenarios", str(scen), "--questions", str(questions), "--gate", str(tmp_path / "g.toml")]
    (tmp_path / "g.toml").write_text("", encoding="utf-8")
    first = _kubesage("eval", *common, "-o", str(tmp_path / "base"))
    assert first.returncode == 0, first.stderr
    baseline = _report(tmp_path / "base")
    # Pretend the earlier run was better at retrieval and found one more thing.
    baseline["dev"]["retrieval"]["overall"]["mrr"] = min(1.0, baseline["dev"]["retrieval"]["overall"]["mrr"]) + 0.5
    baseline["detection"]["false_positives"] = 0
    (tmp_path / "base" / "report.json").write_text(json.dumps(baseline), encoding="utf-8")
    second = _kubesage("eval", *common, "--baseline", str(tmp_path / "base" / "report.json"),
                       "-o", str(tmp_path / "now"))
    assert second.returncode == 0, second.stderr
    assert "REGRESSION" in second.stdout and "dev.retrieval.overall.mrr" in second.stdout
    assert "regressions against the baseline: dev.retrieval.overall.mrr" in second.stderr
    report = _report(tmp_path / "now")
    assert "dev.retrieval.overall.mrr" in report["baseline"]["regressions"]
    assert not any(r.startswith("detection") for r in report["baseline"]["regressions"])


def test_compare_tolerances_by_metric_kind() -> None:
    def rep(**v: Any) -> dict[str, Any]:
        return {"detection": {"recall": v.get("recall", 1.0), "false_positives": v.get("fp", 0),
                              "by_category": {"dns": {"recall": v.get("dns", 1.0)}},
                              "items": [{"scenario": "s1", "missed": v.get("missed", [])}]},
                "latency": {"answer": {"p95_ms": v.get("p95", 10.0), "p50_ms": 1.0}},
                "usage": {"cost_usd": v.get("cost", 1.0), "llm_calls": 10}}

    same = compare(rep(recall=0.998), rep())  # within the 0.005 ratio tolerance
    assert same["regressions"] == []
    worse = compare(rep(recall=0.9, fp=1, dns=0.5, p95=100.0, cost=1.1, missed=["Pod a/b"]), rep())
    assert set(worse["regressions"]) == {"detection.recall", "detection.false_positives",
                                         "detection.by_category.dns.recall", "latency.answer.p95_ms"}
    assert worse["newly_missed"] == ["s1: Pod a/b"]  # cost +10% is within the 25% tolerance
    noise = compare(rep(p95=40.0), rep(p95=10.0))  # 4x but only 30 ms: below the latency floor
    assert noise["regressions"] == []
    better = compare(rep(), rep(recall=0.5, fp=3))
    assert better["regressions"] == [] and any(d["delta"] == 0.5 for d in better["deltas"])


def test_repeat_gives_pass_hat_k(tmp_path: Path) -> None:
    scen, questions = _small_benchmark(tmp_path)
    (tmp_path / "g.toml").write_text("", encoding="utf-8")
    run = _kubesage("eval", "--scenarios", str(scen), "--questions", str(questions), "--repeat", "3",
                    "--gate", str(tmp_path / "g.toml"), "-o", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr
    report = _report(tmp_path / "out")
    assert report["repeat"] == 3
    assert all(len(a["passes"]) == 3 for a in report["dev"]["answers"]["items"])
    # The offline kb backend is deterministic: Pass^3 equals pass@1.
    assert report["dev"]["answers"]["pass^k"] == report["dev"]["answers"]["pass@1"]
    assert report["latency"]["answer"]["n"] == 3 * (4 + 2 + 2)


def test_held_out_set_is_opt_in_pinned_and_gated(tmp_path: Path) -> None:
    scen, questions = _small_benchmark(tmp_path)
    digest = hashlib.sha256(questions.read_bytes()).hexdigest()
    gate = tmp_path / "eval.toml"
    gate.write_text(f'[test_set]\npath = "{questions.name}"\nsha256 = "{digest}"\n\n'
                    '[[gate]]\nmetric = "test.refusal.accuracy"\nmax = -1\n', encoding="utf-8")
    common = ["--scenarios", str(scen), "--questions", str(questions), "--gate", str(gate)]
    dev_only = _kubesage("eval", *common, "-o", str(tmp_path / "dev"))
    assert dev_only.returncode == 0, dev_only.stderr  # no --test: the gate is not applied ...
    assert "run with --test to apply it" in dev_only.stderr  # ... and it says so
    assert "test" not in _report(tmp_path / "dev") and "gate" not in _report(tmp_path / "dev")
    with_test = _kubesage("eval", *common, "--test", "-o", str(tmp_path / "test"))
    assert with_test.returncode == 1
    assert with_test.stderr.strip().splitlines()[-1].startswith("Error: eval gate failed: test.refusal.accuracy=")
    report = _report(tmp_path / "test")
    assert report["inputs"]["sets"]["test"]["sha256"] == digest
    assert set(report) >= {"dev", "test"} and "Dev and held-out test, side by side" in with_test.stdout
    questions.write_text(questions.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    changed = _kubesage("eval", *common, "--test", "-o", str(tmp_path / "changed"))
    assert changed.returncode == 1
    lines = changed.stderr.strip().splitlines()
    assert len(lines) == 1 and "differs from the pinned test set" in lines[0], changed.stderr
