"""Value formatting shared by the markdown summary (report.py) and the HTML page (html.py).

Below both, so neither imports the other for it."""

from __future__ import annotations

from typing import Any

SETS = ("dev", "test")
"""Question sets in report order: dev (tuned on) first, the held-out test set second."""


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def dig(report: dict[str, Any], path: str) -> Any:
    """The value at a dotted path (keys may contain `@`, `^`), or None when absent."""
    node: Any = report
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


SIDE_BY_SIDE: tuple[tuple[str, str], ...] = (
    ("retrieval hit@3 (en)", "retrieval.by_language.en.hit@3"),
    ("retrieval hit@3 (zh)", "retrieval.by_language.zh.hit@3"),
    ("retrieval MRR", "retrieval.overall.mrr"),
    ("runbook hit@3", "retrieval.runbook.hit@3"),
    ("reason detector right (top 1)", "retrieval.reason_detection.top1"),
    ("answer coverage", "answers.coverage"),
    ("citation correctness", "answers.citation_correctness"),
    ("groundedness", "answers.groundedness"),
    ("pass@1", "answers.pass@1"),
    ("within length budget", "answers.within_length_budget"),
    ("refusal accuracy", "refusal.accuracy"),
    ("false refusals", "refusal.false_refusal_rate"),
    ("false refusals (en)", "refusal.by_language.en.false_refusal_rate"),
    ("false refusals (zh)", "refusal.by_language.zh.false_refusal_rate"),
)
"""(label, path inside a set section) of the dev-versus-test table."""

ECHO_ROWS: tuple[tuple[str, str], ...] = (
    ("coverage", "coverage"),
    ("citation correctness", "citation_correctness"),
    ("groundedness", "groundedness"),
    ("pass@1", "pass@1"),
)


def side_by_side(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """(header, rows) of the dev-versus-test table, plus the echo sanity baseline's rows."""
    sets = [s for s in SETS if s in report]
    header = ["metric", *sets]
    rows: list[list[Any]] = [[label, *(dig(report[s], path) for s in sets)] for label, path in SIDE_BY_SIDE]
    echo = report.get("sanity", {}).get("echo", {})
    rows += [[f"echo baseline: {label}", *(dig(echo.get(s, {}), key) for s in sets)] for label, key in ECHO_ROWS]
    return header, rows
