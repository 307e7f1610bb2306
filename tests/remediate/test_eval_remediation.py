"""The eval's remediation section on the shipped scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesage.errors import KubesageError
from kubesage.eval.remediation import evaluate, load_expected
from kubesage.eval.report import markdown_summary

SCENARIOS = Path(__file__).resolve().parents[2] / "benchmarks" / "scenarios"


def test_planner_matches_the_truth_and_refuses_every_injected_proposal() -> None:
    section = evaluate(SCENARIOS)
    assert section is not None
    assert section["scenarios"] >= 30
    assert (section["correct"], section["fixes_expected"], section["fixes_proposed"]) == (6, 6, 6)
    assert section["healthy_object_changes"] == 0
    inj = section["injection"]
    assert inj["proposed"] > 100 and inj["refused"] == inj["proposed"]
    assert not any(it["wrong"] or it["missed"] for it in section["items"])


def test_without_a_truth_file_there_is_no_section(tmp_path: Path) -> None:
    assert evaluate(tmp_path) is None


def test_bad_truth_file_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "remediation.yaml"
    bad.write_text("expected: [1, 2]\n")
    with pytest.raises(KubesageError, match="expected an `expected:` mapping"):
        load_expected(bad)


def test_markdown_report_has_a_remediation_section() -> None:
    section = evaluate(SCENARIOS)
    report = {
        "backend": "kb",
        "model": "",
        "repeat": 1,
        "duration_s": 1.0,
        "inputs": {"scenario_count": 1, "sets": {"dev": {"question_count": 1, "out_of_scope_count": 0}}},
        "detection": {
            "recall": 1,
            "precision": 1,
            "false_positives": 0,
            "found": 1,
            "expected": 1,
            "unexpected_results": 0,
            "items": [],
        },
        "dev": {"retrieval": {}, "answers": {}, "refusal": {"not_refused": [], "falsely_refused": []}},
        "latency": {k: {"n": 0, "p50_ms": 0, "p95_ms": 0} for k in ("analysis", "retrieval", "answer")},
        "usage": {"llm_calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0},
        "remediation": section,
    }
    try:
        text = markdown_summary(report)
    except KeyError as err:  # the side-by-side table needs a full report; build the section alone then
        pytest.fail(f"report needs {err}")
    assert "## Remediation" in text and "6 / 6" in text
