"""report.json schema, the HTML page, secrets and untrusted text in the reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kubesage.errors import KubesageError
from kubesage.eval.html import render_html
from kubesage.eval.report import markdown_summary, write_reports

NUM = (int, float)
# dotted path -> type(s) every report carries
_PER_SET: dict[str, Any] = {
    "retrieval.depth": int, "retrieval.overall.hit@1": NUM, "retrieval.overall.hit@3": NUM,
    "retrieval.overall.mrr": NUM, "retrieval.by_language.en.hit@3": NUM, "retrieval.by_language.zh.hit@3": NUM,
    "retrieval.by_style": dict, "retrieval.misses": list,
    "answers.coverage": NUM, "answers.citation_correctness": NUM, "answers.groundedness": NUM,
    "answers.method": str, "answers.pass@1": NUM, "answers.pass^k": NUM, "answers.by_language.en.coverage": NUM,
    "answers.by_language.zh.coverage": NUM, "answers.by_style": dict, "answers.items": list,
    "refusal.accuracy": NUM, "refusal.false_refusal_rate": NUM, "refusal.out_of_scope": int,
    "refusal.by_language.zh.false_refusal_rate": NUM, "refusal.not_refused": list, "refusal.falsely_refused": list,
}
SCHEMA: dict[str, Any] = {
    "schema": str, "created": str, "duration_s": NUM, "backend": str, "model": str, "repeat": int,
    "inputs.scenario_count": int, "inputs.sets.dev.question_count": int, "inputs.sets.dev.out_of_scope_count": int,
    "inputs.sets.test.question_count": int, "inputs.sets.test.sha256": str,
    "detection.recall": NUM, "detection.precision": NUM, "detection.false_positives": int,
    "detection.expected": int, "detection.found": int, "detection.by_category": dict, "detection.items": list,
    **{f"{name}.{path}": typ for name in ("dev", "test") for path, typ in _PER_SET.items()},
    "test.retrieval.runbook.hit@3": NUM, "test.retrieval.reason_detection.top1": NUM,
    "test.answers.within_length_budget": NUM,
    "sanity.echo.dev.coverage": NUM, "sanity.echo.test.coverage": NUM, "sanity.echo.test.groundedness": NUM,
    "sanity.echo.test.pass@1": NUM,
    "latency.analysis.p50_ms": NUM, "latency.analysis.p95_ms": NUM, "latency.retrieval.p95_ms": NUM,
    "latency.answer.p50_ms": NUM, "latency.answer.p95_ms": NUM, "latency.answer_histogram": list,
    "usage.llm_calls": int, "usage.prompt_tokens": int, "usage.completion_tokens": int, "usage.cost_usd": NUM,
    "gate.passed": bool, "gate.checks": list, "gate.failed": list,
}


def _get(report: dict[str, Any], path: str) -> Any:
    node: Any = report
    for key in path.split("."):
        assert isinstance(node, dict) and key in node, f"missing {path}"
        node = node[key]
    return node


def test_report_json_schema(full_report: dict[str, Any]) -> None:
    for path, typ in SCHEMA.items():
        value = _get(full_report, path)
        assert isinstance(value, typ) and not (typ is int and isinstance(value, bool)), (path, value)
    assert full_report["schema"] == "kubesage.eval/v2"
    assert full_report["backend"] == "kb" and full_report["usage"]["cost_usd"] == 0.0
    for cat in full_report["detection"]["by_category"].values():
        assert set(cat) >= {"recall", "precision", "found", "expected", "false_positives"}
    item = full_report["detection"]["items"][0]
    assert set(item) >= {"scenario", "category", "found", "missed", "false_positives", "unexpected", "latency_ms"}
    answer = full_report["dev"]["answers"]["items"][0]
    assert set(answer) >= {"id", "lang", "style", "coverage", "points", "citation_ok", "groundedness", "cited",
                           "answer"}
    inputs = full_report["inputs"]
    # dev: each scenario in both languages, then every in-scope dev question; test: its questions only.
    assert len(full_report["dev"]["answers"]["items"]) == (2 * inputs["scenario_count"]
                                                            + inputs["sets"]["dev"]["question_count"])
    assert len(full_report["test"]["answers"]["items"]) == inputs["sets"]["test"]["question_count"]
    assert not any(a["style"] == "scenario" for a in full_report["test"]["answers"]["items"])
    assert sum(b["count"] for b in full_report["latency"]["answer_histogram"]) == full_report["latency"]["answer"]["n"]
    json.dumps(full_report)  # serialisable as is


def test_written_reports_never_contain_secret_values(full_report: dict[str, Any], tmp_path: Path) -> None:
    json_path, html_path = write_reports(full_report, tmp_path / "out")
    # Base64 values of scenario 10's Secret and their decoded form.
    for canary in ("Q0FOQVJZLXMzY3IzdC1kYi1wYXNz", "CANARY-s3cr3t-db-pass", "Y3JtX2FwcA=="):
        assert canary not in json_path.read_text(encoding="utf-8")
        assert canary not in html_path.read_text(encoding="utf-8")
        assert canary not in markdown_summary(full_report)


def test_html_is_self_contained_with_charts(full_report: dict[str, Any]) -> None:
    page = render_html(full_report)
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") >= 3
    # Nothing is loaded from anywhere: no scripts, links, sources or CSS imports.
    for forbidden in ("<script", "<link", " src=", " href=", "@import", "url("):
        assert forbidden not in page, forbidden
    for cat in full_report["detection"]["by_category"]:
        assert f">{cat}<" in page
    assert "hit@3" in page and "answer latency" in page
    assert "Dev and held-out test, side by side" in page and "echo baseline" in page


def test_html_has_the_ask_section(full_report: dict[str, Any]) -> None:
    from kubesage.eval.format import fmt

    ask = full_report["ask"]
    assert ask["questions"] >= 25 and set(ask["by_language"]) == {"en", "zh"}
    page = render_html(full_report)
    section = page[page.index("<h2>Ask (free-form questions"):page.index("<h2>Latency and usage</h2>")]
    assert "deterministic scoring" in section
    for header in ("pass rate", "fact recall", "false claims", "refused", "steps / question",
                   "tool calls / question", "tokens / question"):
        assert f"<th>{header}</th>" in section, header
    # One summary row for all questions and one per language, with the report's figures.
    for name, s in [("all", ask), *ask["by_language"].items()]:
        row = (f"<tr><td>{name}</td><td class=\"num\">{s['questions']}</td>"
               f"<td class=\"num\">{fmt(s['pass_rate'])}</td><td class=\"num\">{fmt(s['fact_recall'])}</td>"
               f"<td class=\"num\">{s['false_claims']}</td><td class=\"num\">{s['refused']}</td>"
               f"<td class=\"num\">{fmt(s['mean_steps'])}</td>")
        assert row in section, name
    # Then one row per question with its steps, tool calls and tokens.
    assert section.count("<tr><td>") == 1 + len(ask["by_language"]) + len(ask["items"])
    for item in ask["items"]:
        assert f"<tr><td>{item['id']}</td><td>{item['lang']}</td>" in section
        verdict = "pass" if item["passed"] else "fail"
        assert f"{item['id']}</td><td>{item['lang']}</td><td><span class=\"{'ok' if item['passed'] else 'bad'}\">" \
               f"{verdict}</span></td><td>{item['facts_found']} / {item['facts']}</td>" in section


def test_html_ask_section_escapes_and_reports_failures(full_report: dict[str, Any]) -> None:
    report = json.loads(json.dumps(full_report))
    item = report["ask"]["items"][0]
    item.update(passed=False, missed=["cause: <script>x</script>"], claimed=["<img src=x>"])
    page = render_html(report)
    assert "<script>x" not in page and "<img src=x>" not in page
    assert "missed cause: &lt;script&gt;x&lt;/script&gt;<br>claimed &lt;img src=x&gt;" in page
    report["ask"] = {"questions": 0, "backend": "kb", "judge": False}
    assert "no questions" in render_html(report)


def test_summary_puts_dev_and_test_side_by_side(full_report: dict[str, Any]) -> None:
    md = markdown_summary(full_report)
    assert "## Dev and held-out test, side by side" in md
    assert "| metric | dev | test |" in md
    coverage_row = next(line for line in md.splitlines() if line.startswith("| answer coverage |"))
    dev, test = (float(x) for x in coverage_row.strip("|").split("|")[1:3])
    assert dev == pytest.approx(full_report["dev"]["answers"]["coverage"], abs=1e-3)
    assert test == pytest.approx(full_report["test"]["answers"]["coverage"], abs=1e-3)
    assert "| echo baseline: coverage |" in md


def test_untrusted_text_is_escaped(full_report: dict[str, Any]) -> None:
    report = json.loads(json.dumps(full_report))
    evil = '<img src=x onerror=alert(1)><script>alert("x")</script>'
    report["test"]["answers"]["items"][0]["answer"] = evil
    report["detection"]["items"][0]["missed"] = [evil]
    page = render_html(report)
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;" in page
    md = markdown_summary(report)
    assert "| " in md


def test_output_dir_rules(full_report: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "r"
    write_reports(full_report, out)
    write_reports(full_report, out)  # our own report is replaced
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "report.json").write_text('{"my": "data"}', encoding="utf-8")
    with pytest.raises(KubesageError, match="not a kubesage eval report"):
        write_reports(full_report, foreign)
    assert (foreign / "report.json").read_text(encoding="utf-8") == '{"my": "data"}'
    a_file = tmp_path / "file"
    a_file.write_text("x", encoding="utf-8")
    with pytest.raises(KubesageError, match="must be a directory"):
        write_reports(full_report, a_file)
