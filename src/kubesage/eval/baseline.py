"""`--baseline report.json`: metric deltas against an earlier run, with regressions flagged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kubesage.errors import KubesageError
from kubesage.eval.gate import metric_value

# kind: "ratio" (0..1, absolute tolerance), "count" (any increase/decrease), "latency"/"cost" (relative).
_PER_SET: tuple[tuple[str, int, str], ...] = (
    ("retrieval.overall.hit@1", 1, "ratio"),
    ("retrieval.overall.hit@3", 1, "ratio"),
    ("retrieval.overall.mrr", 1, "ratio"),
    ("retrieval.by_language.en.hit@3", 1, "ratio"),
    ("retrieval.by_language.zh.hit@3", 1, "ratio"),
    ("answers.coverage", 1, "ratio"),
    ("answers.citation_correctness", 1, "ratio"),
    ("answers.groundedness", 1, "ratio"),
    ("answers.pass^k", 1, "ratio"),
    ("refusal.accuracy", 1, "ratio"),
    ("refusal.false_refusal_rate", -1, "ratio"),
)
TRACKED: tuple[tuple[str, int, str], ...] = (
    ("detection.recall", 1, "ratio"),
    ("detection.precision", 1, "ratio"),
    ("detection.false_positives", -1, "count"),
    *((f"{name}.{metric}", direction, kind) for name in ("dev", "test") for metric, direction, kind in _PER_SET),
    ("latency.answer.p50_ms", -1, "latency"),
    ("latency.answer.p95_ms", -1, "latency"),
    ("latency.analysis.p95_ms", -1, "latency"),
    ("usage.llm_calls", -1, "count"),
    ("usage.cost_usd", -1, "cost"),
)
"""(dotted metric, +1 when higher is better / -1 when lower is better, kind); a metric absent from
either report (e.g. `test.` when one run had no --test) is skipped."""
RATIO_TOLERANCE = 0.005
RELATIVE_TOLERANCE = 0.25
LATENCY_FLOOR_MS = 50.0
"""Latency changes smaller than this are noise, whatever the ratio."""


def load_baseline(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KubesageError(f"{path}: no such baseline report") from None
    except (OSError, UnicodeDecodeError) as err:
        raise KubesageError(f"{path}: cannot read baseline: {err}") from None
    except json.JSONDecodeError as err:
        raise KubesageError(f"{path}:{err.lineno}: invalid JSON in baseline: {err.msg}") from None
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("kubesage.eval/"):
        raise KubesageError(f"{path}: not a kubesage eval report.json")
    return data


def _regressed(before: float, after: float, direction: int, kind: str) -> bool:
    worse = (before - after) * direction  # > 0 when `after` is worse
    if worse <= 0:
        return False
    if kind == "ratio":
        return worse > RATIO_TOLERANCE
    if kind == "count":
        return True
    if kind == "latency" and worse < LATENCY_FLOOR_MS:
        return False
    return worse > abs(before) * RELATIVE_TOLERANCE


def compare(report: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """{deltas: [{metric, before, after, delta, regression}], regressions: [...], newly_missed: [...]}."""
    deltas: list[dict[str, Any]] = []
    for metric, direction, kind in TRACKED:
        before, after = metric_value(baseline, metric), metric_value(report, metric)
        if not _numeric(before) or not _numeric(after):
            continue
        deltas.append({
            "metric": metric,
            "before": before,
            "after": after,
            "delta": round(after - before, 6),
            "regression": _regressed(float(before), float(after), direction, kind),
        })
    for cat, now in (metric_value(report, "detection.by_category") or {}).items():
        then = (metric_value(baseline, "detection.by_category") or {}).get(cat)
        if isinstance(then, dict) and _numeric(then.get("recall")) and _numeric(now.get("recall")):
            b, a = float(then["recall"]), float(now["recall"])
            if a != b:
                deltas.append({"metric": f"detection.by_category.{cat}.recall", "before": b, "after": a,
                               "delta": round(a - b, 6), "regression": _regressed(b, a, 1, "ratio")})
    return {
        "baseline_created": baseline.get("created"),
        "deltas": deltas,
        "regressions": [d["metric"] for d in deltas if d["regression"]],
        "newly_missed": sorted(_missed(report) - _missed(baseline)),
        "newly_found": sorted(_missed(baseline) - _missed(report)),
    }


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _missed(report: dict[str, Any]) -> set[str]:
    items = metric_value(report, "detection.items") or []
    return {f"{it['scenario']}: {m}" for it in items if isinstance(it, dict) for m in it.get("missed") or ()}
