"""The CI gate: the full offline eval with the `kb` backend must meet every eval.toml threshold.

This is what makes `make test` fail on a regression in detection, retrieval, answers or refusals.
The gate reads the held-out test set only; the echo baseline shows that a trivial answer fails it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from eval_paths import GATE, QUESTIONS, SCENARIOS, TEST_QUESTIONS

from kubesage.errors import KubesageError
from kubesage.eval.gate import load_gate
from kubesage.eval.scenarios import find_vocabulary, load_questions


def test_gate_thresholds_hold(full_report: dict[str, Any]) -> None:
    gate = full_report["gate"]
    failed = [f"{c['metric']}={c['value']} (needs {c['op']} {c['threshold']})" for c in gate["checks"]
              if not c["passed"]]
    assert not failed, "eval gate failed: " + "; ".join(failed)


def test_gate_covers_the_done_criteria() -> None:
    metrics = {t.metric for t in load_gate(GATE).thresholds}
    assert {"detection.recall", "detection.false_positives", "test.retrieval.by_language.en.hit@3",
            "test.retrieval.by_language.zh.hit@3", "test.refusal.accuracy", "test.refusal.false_refusal_rate",
            "test.answers.coverage", "test.answers.groundedness", "duration_s"} <= metrics


def test_gate_reads_only_the_held_out_test_set() -> None:
    for t in load_gate(GATE).thresholds:
        assert not t.metric.startswith(("dev.", "sanity.")), t.metric
        # Question-set metrics are read from the test section, never from the top level or dev.
        assert not t.metric.startswith(("retrieval.", "answers.", "refusal.")), t.metric


def test_the_test_set_is_pinned_and_unchanged() -> None:
    pin = load_gate(GATE).test_set
    assert pin is not None and pin.path == TEST_QUESTIONS
    digest = hashlib.sha256(TEST_QUESTIONS.read_bytes()).hexdigest()
    assert digest == pin.sha256, (
        f"{TEST_QUESTIONS.name} changed (sha256 {digest}); the held-out set is edited only deliberately, "
        "with the pin in eval.toml updated in the same commit")


def test_a_changed_test_set_is_refused_loudly(tmp_path: Path) -> None:
    from kubesage.eval.runner import EvalOptions, run_eval

    changed = tmp_path / "questions-test.yaml"
    changed.write_bytes(TEST_QUESTIONS.read_bytes() + b"# one more line\n")
    pin = load_gate(GATE).test_set
    assert pin is not None
    with pytest.raises(KubesageError, match="differs from the pinned test set"):
        run_eval(EvalOptions(SCENARIOS, QUESTIONS, changed, pin.sha256))


def test_a_dev_metric_cannot_be_gated(tmp_path: Path) -> None:
    toml = tmp_path / "eval.toml"
    toml.write_text('[[gate]]\nmetric = "dev.answers.coverage"\nmin = 0.5\n', encoding="utf-8")
    with pytest.raises(KubesageError, match="not gated: the gate reads only the held-out"):
        load_gate(toml)


def test_echo_baseline_scores_far_below_the_gate(full_report: dict[str, Any]) -> None:
    """An answer that repeats the question must fail every answer threshold by a wide margin."""
    limits = {t.metric: t.limit for t in load_gate(GATE).thresholds}
    echo = full_report["sanity"]["echo"]["test"]
    assert echo["n"] == full_report["inputs"]["sets"]["test"]["question_count"]
    # Coverage points never hold in the question's own words (checked at load), so echo covers nothing.
    assert echo["coverage"] == 0.0 and echo["pass@1"] == 0.0
    assert echo["coverage"] <= limits["test.answers.coverage"] / 2
    assert echo["citation_correctness"] <= limits["test.answers.citation_correctness"] / 2
    # The question is not evidence: echo is grounded only where the documents repeat its words.
    assert echo["groundedness"] <= limits["test.answers.groundedness"] - 0.3
    real = full_report["test"]["answers"]
    assert real["coverage"] - echo["coverage"] >= 0.3


def test_test_set_makeup() -> None:
    """At least 80 in-scope and 30 out-of-scope questions; 30+ in plain Traditional Chinese with no
    pasted error string; k8sgpt prompts with --anonymize masks; every question with answer points."""
    vocabulary = find_vocabulary(SCENARIOS)
    assert vocabulary is not None
    qs = load_questions(TEST_QUESTIONS, vocabulary)  # also rejects points the question alone satisfies
    assert len(qs.in_scope) >= 80 and len(qs.out_of_scope) >= 30
    assert all(q.points for q in qs.in_scope)
    plain_zh = [q for q in qs.in_scope if q.lang == "zh" and q.style == "chat"]
    assert len(plain_zh) >= 30
    for q in plain_zh:
        assert not any(tag.lower() in q.text.lower() for tag in vocabulary), q.id
        assert not re.search(r"[A-Za-z]+Error|[A-Za-z]{12,}", q.text), q.id
    masked = [q for q in qs.in_scope if q.style == "k8sgpt"]
    assert len(masked) >= 5
    for q in masked:
        assert q.text.startswith("Simplify the following Kubernetes error message delimited by triple dashes")
    padded = [q.id for q in masked if re.search(r"[A-Za-z0-9+/]{4,}={1,2}", q.text)]  # base64 masks
    assert len(padded) >= 5


def test_test_questions_are_not_in_the_dev_set() -> None:
    dev = {q["text"].strip().casefold() for q in yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))["questions"]}
    test = yaml.safe_load(TEST_QUESTIONS.read_text(encoding="utf-8"))["questions"]
    assert not [q["id"] for q in test if q["text"].strip().casefold() in dev]


def test_offline_eval_runs_under_two_minutes(full_report: dict[str, Any]) -> None:
    assert full_report["duration_s"] < 120
