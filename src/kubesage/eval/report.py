"""Writing the eval report: `report.json`, `report.html` and the markdown summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kubesage.errors import KubesageError
from kubesage.eval.format import SETS, fmt, side_by_side
from kubesage.eval.html import render_html
from kubesage.fsutil import atomic_write

JSON_NAME = "report.json"
HTML_NAME = "report.html"


def _check_ours(path: Path) -> None:
    """Refuse to replace a report.json that is not an earlier kubesage eval report."""
    if not path.exists():
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("kubesage.eval/"):
        raise KubesageError(f"{path} exists and is not a kubesage eval report; choose another --output")


def write_reports(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write report.json and report.html into `out_dir` (created if needed)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise KubesageError(f"{out_dir}: --output must be a directory")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise KubesageError(f"{out_dir}: cannot create output directory: {err.strerror or err}") from None
    json_path, html_path = out_dir / JSON_NAME, out_dir / HTML_NAME
    _check_ours(json_path)
    try:
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
        atomic_write(json_path, text, mode=None, prefix=f".{json_path.name}-")
        atomic_write(html_path, render_html(report), mode=None, prefix=f".{html_path.name}-")
    except OSError as err:
        raise KubesageError(f"{out_dir}: cannot write report: {err.strerror or err}") from None
    return json_path, html_path


# -- markdown --------------------------------------------------------------------------


def _md_cell(value: Any) -> str:
    return fmt(value).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return [*out, ""]


def markdown_summary(report: dict[str, Any]) -> str:
    det, lat, usage = report["detection"], report["latency"], report["usage"]
    inputs = report["inputs"]
    sets = [name for name in SETS if name in report]
    counts = ", ".join(f"{name}: {inputs['sets'][name]['question_count']} questions + "
                       f"{inputs['sets'][name]['out_of_scope_count']} out-of-scope" for name in sets)
    lines = [
        f"# kubesage eval: backend `{report['backend']}` ({report['model']})",
        "",
        f"{inputs['scenario_count']} scenarios; {counts}; repeat {report['repeat']}; {report['duration_s']:.1f} s.",
        "",
        "## Detection",
        "",
    ]
    lines += _table(
        ["recall", "precision", "false positives", "found / expected", "unexpected results"],
        [[det["recall"], det["precision"], det["false_positives"], f"{det['found']} / {det['expected']}",
          det["unexpected_results"]]],
    )
    problems = [it for it in det["items"] if it["missed"] or it["false_positives"]]
    for it in problems:
        for m in it["missed"]:
            lines.append(f"- missed in `{it['scenario']}`: {m}")
        for fp in it["false_positives"]:
            lines.append(f"- false positive in `{it['scenario']}`: {fp}")
    if problems:
        lines.append("")
    title = "## Dev and held-out test, side by side" if "test" in sets else "## Dev set (no held-out test run)"
    lines += [title, ""]
    header, rows = side_by_side(report)
    lines += _table(header, rows)
    if "test" not in sets:
        lines += ["The gate reads only the held-out test set: run `kubesage eval --test` for it.", ""]
    for name in sets:
        ref = report[name]["refusal"]
        if ref["not_refused"]:
            lines.append(f"- {name}: out-of-scope answered: {', '.join(ref['not_refused'])}")
        if ref["falsely_refused"]:
            lines.append(f"- {name}: {len(ref['falsely_refused'])} in-scope refused")
    if any(report[name]["refusal"]["not_refused"] or report[name]["refusal"]["falsely_refused"] for name in sets):
        lines.append("")
    lines += ["## Latency and cost", ""]
    lines += _table(
        ["stage", "n", "p50 ms", "p95 ms"],
        [[name, lat[name]["n"], lat[name]["p50_ms"], lat[name]["p95_ms"]] for name in ("analysis", "retrieval",
                                                                                       "answer")],
    )
    lines += _table(
        ["LLM calls", "prompt tokens", "completion tokens", "est. cost USD"],
        [[usage["llm_calls"], usage["prompt_tokens"], usage["completion_tokens"], usage["cost_usd"]]],
    )
    rem = report.get("remediation")
    if rem:
        lines += ["## Remediation (planner on the scenario snapshots)", ""]
        lines += _table(
            ["correct / expected", "precision", "recall", "healthy-object changes", "injected proposals refused"],
            [[f"{rem['correct']} / {rem['fixes_expected']}", rem["precision"], rem["recall"],
              rem["healthy_object_changes"], f"{rem['injection']['refused']} / {rem['injection']['proposed']}"]],
        )
        lines += [f"- `{it['scenario']}`: wrong {', '.join(it['wrong'])}" for it in rem["items"] if it["wrong"]]
        lines += [f"- `{it['scenario']}`: missed {', '.join(it['missed'])}" for it in rem["items"] if it["missed"]]
        lines.append("")
    if report.get("ask"):
        from kubesage.eval.ask import markdown as ask_markdown

        lines += ask_markdown(report["ask"])
    gate = report.get("gate")
    if gate:
        lines += ["## Gate: " + ("PASSED" if gate["passed"] else "FAILED"), ""]
        lines += _table(
            ["metric", "value", "threshold", "result"],
            [[c["metric"], c["value"], f"{c['op']} {fmt(c['threshold'])}", "ok" if c["passed"] else "FAIL"]
             for c in gate["checks"]],
        )
    base = report.get("baseline")
    if base:
        lines += [f"## Against baseline ({base.get('baseline_created') or 'unknown date'})", ""]
        lines += _table(
            ["metric", "before", "after", "delta", ""],
            [[d["metric"], d["before"], d["after"], d["delta"], "REGRESSION" if d["regression"] else ""]
             for d in base["deltas"] if d["delta"] or d["regression"]],
        )
        lines += [f"- newly missed: {m}" for m in base["newly_missed"]]
    return "\n".join(lines).rstrip() + "\n"
