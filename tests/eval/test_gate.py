"""The CI gate: the full offline eval with the `kb` backend must meet every eval.toml threshold.

This is what makes `make test` fail on a regression in detection, retrieval, answers or refusals.
"""

from __future__ import annotations

from typing import Any

from eval_paths import GATE

from kubesage.eval.gate import load_gate


def test_gate_thresholds_hold(full_report: dict[str, Any]) -> None:
    gate = full_report["gate"]
    failed = [f"{c['metric']}={c['value']} (needs {c['op']} {c['threshold']})" for c in gate["checks"]
              if not c["passed"]]
    assert not failed, "eval gate failed: " + "; ".join(failed)


def test_gate_covers_the_done_criteria() -> None:
    metrics = {t.metric for t in load_gate(GATE).thresholds}
    assert {"detection.recall", "detection.false_positives", "retrieval.by_language.en.hit@3",
            "retrieval.by_language.zh.hit@3", "refusal.accuracy", "duration_s"} <= metrics


def test_offline_eval_runs_under_two_minutes(full_report: dict[str, Any]) -> None:
    assert full_report["duration_s"] < 120
