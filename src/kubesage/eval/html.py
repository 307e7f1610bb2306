"""The self-contained `report.html`: inline CSS and inline SVG charts drawn here, no scripts,
no external resources. Every value from the report is escaped: scenario and answer text
may quote cluster data."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from kubesage.eval.format import SETS, dig, fmt, side_by_side

_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"Noto Sans TC","Noto Sans CJK TC",sans-serif;margin:24px;
color:#1f2328;background:#fff;max-width:1200px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;
padding-bottom:4px}.muted{color:#59636e;font-size:13px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}.card{border:1px solid #d0d7de;border-radius:6px;
padding:8px 12px;min-width:130px}.card b{display:block;font-size:20px}.card span{font-size:12px;color:#59636e}
.ok{color:#1a7f37}.bad{color:#cf222e}table{border-collapse:collapse;font-size:13px;margin:6px 0 12px}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}
td.num{text-align:right;font-variant-numeric:tabular-nums}.charts{display:flex;flex-wrap:wrap;gap:24px}
figure{margin:0}figcaption{font-size:13px;color:#59636e;margin-bottom:4px}
pre{white-space:pre-wrap;font-size:12px;margin:0;max-height:9em;overflow:auto}
"""
_GREEN, _RED, _BLUE, _ORANGE, _GREY = "#2da44e", "#cf222e", "#0969da", "#bc4c00", "#8c959f"
_SERIES = (_BLUE, _GREEN, _ORANGE)


def _e(value: Any) -> str:
    return escape(fmt(value) if not isinstance(value, str) else value, quote=True)


def bar_chart(rows: Sequence[tuple[str, float, str]], width: int = 520, threshold: float | None = None) -> str:
    """Horizontal bars for values in 0..1: (label, value, annotation)."""
    label_w, bar_h, gap = 130, 18, 6
    plot_w = width - label_w - 70
    height = len(rows) * (bar_h + gap) + 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for i, (label, value, note) in enumerate(rows):
        y = i * (bar_h + gap) + 4
        w = max(0.0, min(value, 1.0)) * plot_w
        color = _GREEN if threshold is None or value >= threshold else _RED
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" font-size="12" text-anchor="end">{_e(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{plot_w}" height="{bar_h}" fill="#f6f8fa"/>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>')
        parts.append(f'<text x="{label_w + plot_w + 6}" y="{y + 13}" font-size="12">{_e(note)}</text>')
    if threshold is not None:
        x = label_w + threshold * plot_w
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 20}" stroke="{_GREY}" '
                     'stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" font-size="11" text-anchor="middle" fill="{_GREY}">'
                     f"{threshold:g}</text>")
    parts.append("</svg>")
    return "".join(parts)


def grouped_bars(groups: Sequence[tuple[str, Sequence[tuple[str, float]]]], height: int = 220) -> str:
    """Vertical grouped bars for values in 0..1: [(group, [(series, value)])]."""
    series = [name for name, _ in groups[0][1]] if groups else []
    bar_w, inner, outer, top, bottom, left = 34, 4, 36, 16, 40, 34
    group_w = len(series) * (bar_w + inner)
    width = left + len(groups) * (group_w + outer) + 10
    plot_h = height - top - bottom
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{max(width, 260)}" height="{height + 20}" role="img">']
    for tick in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width}" y2="{y:.1f}" stroke="#eaeef2"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{tick:g}</text>')
    for g, (group, values) in enumerate(groups):
        gx = left + 8 + g * (group_w + outer)
        for s, (_, value) in enumerate(values):
            h = max(0.0, min(value, 1.0)) * plot_h
            x = gx + s * (bar_w + inner)
            parts.append(f'<rect x="{x}" y="{top + plot_h - h:.1f}" width="{bar_w}" height="{h:.1f}" '
                         f'fill="{_SERIES[s % len(_SERIES)]}"/>')
            parts.append(f'<text x="{x + bar_w / 2}" y="{top + plot_h - h - 3:.1f}" font-size="10" '
                         f'text-anchor="middle">{value:.2f}</text>')
        parts.append(f'<text x="{gx + group_w / 2}" y="{top + plot_h + 16}" font-size="12" text-anchor="middle">'
                     f"{_e(group)}</text>")
    for s, name in enumerate(series):
        x = left + s * 90
        parts.append(f'<rect x="{x}" y="{height + 4}" width="10" height="10" fill="{_SERIES[s % len(_SERIES)]}"/>')
        parts.append(f'<text x="{x + 14}" y="{height + 13}" font-size="11">{_e(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram_chart(buckets: Sequence[dict[str, Any]], width: int = 520, height: int = 200) -> str:
    """Latency histogram from runner.histogram() buckets."""
    if not buckets:
        return '<p class="muted">no samples</p>'
    top, bottom, left = 12, 34, 34
    plot_w, plot_h = width - left - 10, height - top - bottom
    peak = max(b["count"] for b in buckets) or 1
    bw = plot_w / len(buckets)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    parts.append(f'<text x="{left - 4}" y="{top + 8}" font-size="11" text-anchor="end">{peak}</text>')
    for i, b in enumerate(buckets):
        h = b["count"] / peak * plot_h
        x = left + i * bw
        parts.append(f'<rect x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bw - 2:.1f}" height="{h:.1f}" '
                     f'fill="{_BLUE}"><title>{_e(b["lo_ms"])}-{_e(b["hi_ms"])} ms: {b["count"]}</title></rect>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{_GREY}"/>')
    for b, anchor, x in ((buckets[0], "start", left), (buckets[-1], "end", left + plot_w)):
        label = b["lo_ms"] if anchor == "start" else b["hi_ms"]
        parts.append(f'<text x="{x}" y="{top + plot_h + 14}" font-size="11" text-anchor="{anchor}">'
                     f"{label:.2f} ms</text>")
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 4}" font-size="11" text-anchor="middle">'
                 "answer latency (ms)</text></svg>")
    return "".join(parts)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="num"' if i in numeric else ""
            cells.append(f"<td{cls}>{cell if isinstance(cell, _Raw) else _e(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class _Raw(str):
    """Markup we built ourselves (already escaped)."""


def _card(label: str, value: Any, good: bool | None = None) -> str:
    cls = "" if good is None else (' class="ok"' if good else ' class="bad"')
    return f'<div class="card"><b{cls}>{_e(value)}</b><span>{_e(label)}</span></div>'


def _set_sections(name: str, section: dict[str, Any]) -> list[str]:
    ret, ans, ref = section["retrieval"], section["answers"], section["refusal"]
    label = "held-out test" if name == "test" else name
    out = [f"<h2>Retrieval misses, {_e(label)} ({len(ret['misses'])})</h2>" + _table(
        ["id", "lang", "question", "expected", "rank", "top documents"],
        [[m["id"], m["lang"], m["text"], ", ".join(m["expected"]), m["rank"],
          ", ".join(t["doc_id"] for t in m["top"])] for m in ret["misses"]])]
    out.append(f"<h2>Answers, {_e(label)}</h2>" + _table(
        ["id", "lang", "style", "coverage", "citation ok", "grounded", "refused", "answer"],
        [[a["id"], a["lang"], a["style"], a["coverage"], a["citation_ok"], a["groundedness"], a["refused"],
          _Raw(f"<pre>{_e(a['answer'])}</pre>")] for a in ans["items"]], numeric=(3, 5)))
    out.append(f"<h2>Refusals, {_e(label)}</h2>" + _table(
        ["out-of-scope", "accuracy", "not refused", "false-refusal rate", "falsely refused"],
        [[ref["out_of_scope"], ref["accuracy"], ", ".join(ref["not_refused"]) or "none",
          ref["false_refusal_rate"], ", ".join(ref["falsely_refused"]) or "none"]]))
    return out


def _lines(texts: Sequence[str]) -> _Raw:
    return _Raw("<br>".join(_e(t) for t in texts))


def _ask_section(ask: dict[str, Any]) -> str:
    scoring = "graded by the judge" if ask.get("judge") else "deterministic scoring"
    head = f"<h2>Ask (free-form questions, backend {_e(ask.get('backend') or 'kb')}, {scoring})</h2>"
    if not ask.get("questions"):
        return head + '<p class="muted">no questions</p>'
    rows = [("all", ask), *ask.get("by_language", {}).items()]
    summary = _table(
        ["set", "questions", "pass rate", "fact recall", "false claims", "refused", "steps / question",
         "tool calls / question", "tokens / question"],
        [[name, s["questions"], s["pass_rate"], s["fact_recall"], s["false_claims"], s["refused"], s["mean_steps"],
          s["mean_tool_calls"], s["mean_tokens"]] for name, s in rows], numeric=tuple(range(1, 9)))
    items = _table(
        ["id", "lang", "result", "facts found", "false claims", "refused", "steps", "tool calls", "tokens",
         "missed / claimed"],
        [[i["id"], i["lang"], _Raw('<span class="ok">pass</span>' if i["passed"] else '<span class="bad">fail</span>'),
          f"{i['facts_found']} / {i['facts']}", len(i["claimed"]), i["refused"], i["steps"], i["tool_calls"],
          i["tokens"], _lines([f"missed {m}" for m in i["missed"]] + [f"claimed {c}" for c in i["claimed"]])]
         for i in ask.get("items", [])], numeric=(4, 6, 7, 8))
    return head + summary + items


def render_html(report: dict[str, Any]) -> str:
    det, lat, usage, gate = report["detection"], report["latency"], report["usage"], report.get("gate")
    sets = [name for name in SETS if name in report]
    main = sets[-1]  # the held-out test set when it ran
    status = ""
    if gate:
        failed = ", ".join(gate["failed"])
        status = ('<p class="ok"><b>Gate passed</b></p>' if gate["passed"] else
                  f'<p class="bad"><b>Gate failed:</b> {_e(failed)}</p>')
    elif main != "test":
        status = '<p class="muted">Dev set only: the gate reads the held-out test set (<code>--test</code>).</p>'
    ret, ans, ref = report[main]["retrieval"], report[main]["answers"], report[main]["refusal"]
    echo = dig(report, f"sanity.echo.{main}") or {}
    cards = "".join([
        _card("detection recall", det["recall"], det["recall"] >= 0.95),
        _card("false positives", det["false_positives"], det["false_positives"] == 0),
        _card("precision", det["precision"]),
        *(_card(f"{main} hit@3 ({lang})", s["hit@3"]) for lang, s in ret["by_language"].items()),
        _card(f"{main} refusal accuracy", ref["accuracy"]),
        _card(f"{main} false refusals", ref["false_refusal_rate"]),
        _card(f"{main} answer coverage", ans["coverage"]),
        _card(f"echo baseline coverage ({main})", echo.get("coverage")),
        _card("p95 answer ms", lat["answer"]["p95_ms"]),
        _card("est. cost USD", usage["cost_usd"]),
    ])
    cat_rows = [(cat, s["recall"], f"{s['found']}/{s['expected']}") for cat, s in det["by_category"].items()]
    langs = sorted({lang for name in sets for lang in report[name]["retrieval"]["by_language"]})
    lang_groups = [(lang, [(name, dig(report[name], f"retrieval.by_language.{lang}.hit@3") or 0.0) for name in sets])
                   for lang in langs]
    answer_groups = [(label, [*((name, dig(report[name], f"answers.{key}") or 0.0) for name in sets),
                              (f"echo ({main})", echo.get(key) or 0.0)])
                     for label, key in (("coverage", "coverage"), ("citations", "citation_correctness"),
                                        ("grounded", "groundedness"), ("pass@1", "pass@1"))]
    charts = (
        f'<div class="charts"><figure><figcaption>Detection recall by category</figcaption>'
        f"{bar_chart(cat_rows, threshold=0.95)}</figure>"
        f"<figure><figcaption>Retrieval hit@3 by language, {' vs '.join(sets)}</figcaption>"
        f"{grouped_bars(lang_groups)}</figure>"
        f"<figure><figcaption>Answers: {' vs '.join(sets)} vs the echo baseline</figcaption>"
        f"{grouped_bars(answer_groups)}</figure>"
        f"<figure><figcaption>Answer latency</figcaption>{histogram_chart(lat['answer_histogram'])}"
        "</figure></div>"
    )
    header, rows = side_by_side(report)
    sections = [f"<h2>Overview</h2>{status}<div class=\"cards\">{cards}</div>{charts}",
                "<h2>Dev and held-out test, side by side</h2>"
                + _table(header, rows, numeric=tuple(range(1, len(header))))]
    if gate:
        sections.append("<h2>Gate (eval.toml)</h2>" + _table(
            ["metric", "value", "threshold", "result"],
            [[c["metric"], c["value"], f"{c['op']} {fmt(c['threshold'])}",
              _Raw('<span class="ok">ok</span>' if c["passed"] else '<span class="bad">FAIL</span>')]
             for c in gate["checks"]], numeric=(1,)))
    base = report.get("baseline")
    if base:
        sections.append(f"<h2>Against baseline ({_e(base.get('baseline_created') or 'unknown')})</h2>" + _table(
            ["metric", "before", "after", "delta", ""],
            [[d["metric"], d["before"], d["after"], d["delta"],
              _Raw('<span class="bad">regression</span>' if d["regression"] else "")] for d in base["deltas"]],
            numeric=(1, 2, 3)))
    sections.append("<h2>Detection by scenario</h2>" + _table(
        ["scenario", "category", "results", "found", "missed", "false positives", "unexpected"],
        [[it["scenario"], it["category"], it["results"], len(it["found"]),
          _Raw("<br>".join(_e(m) for m in it["missed"])), _Raw("<br>".join(_e(m) for m in it["false_positives"])),
          _Raw("<br>".join(_e(m) for m in it["unexpected"]))] for it in det["items"]], numeric=(2, 3)))
    for name in sets:
        sections += _set_sections(name, report[name])
    rem = report.get("remediation")
    if rem:
        sections.append("<h2>Remediation (planner on the scenario snapshots)</h2>" + _table(
            ["correct / expected", "precision", "recall", "healthy-object changes", "injected proposals refused"],
            [[f"{rem['correct']} / {rem['fixes_expected']}", rem["precision"], rem["recall"],
              rem["healthy_object_changes"], f"{rem['injection']['refused']} / {rem['injection']['proposed']}"]],
            numeric=(1, 2, 3)) + _table(
            ["scenario", "proposed", "expected", "wrong", "missed"],
            [[it["scenario"], _Raw("<br>".join(_e(x) for x in it["proposed"])),
              _Raw("<br>".join(_e(x) for x in it["expected"])), _Raw("<br>".join(_e(x) for x in it["wrong"])),
              _Raw("<br>".join(_e(x) for x in it["missed"]))]
             for it in rem["items"] if it["proposed"] or it["expected"]]))
    ask = report.get("ask")
    if ask:
        sections.append(_ask_section(ask))
    sections.append("<h2>Latency and usage</h2>" + _table(
        ["stage", "n", "p50 ms", "p95 ms", "max ms"],
        [[k, lat[k]["n"], lat[k]["p50_ms"], lat[k]["p95_ms"], lat[k]["max_ms"]] for k in ("analysis", "retrieval",
                                                                                           "answer")],
        numeric=(1, 2, 3, 4)) + _table(
        ["backend", "model", "LLM calls", "prompt tokens", "completion tokens", "est. cost USD"],
        [[usage["backend"], usage["model"], usage["llm_calls"], usage["prompt_tokens"], usage["completion_tokens"],
          usage["cost_usd"]]], numeric=(2, 3, 4, 5)))
    title = f"kubesage eval: {report['backend']} ({report['model']})"
    counts = " · ".join(f"{name}: {report['inputs']['sets'][name]['question_count']} questions, "
                        f"{report['inputs']['sets'][name]['out_of_scope_count']} out-of-scope" for name in sets)
    meta = (f"{report['created']} · {report['inputs']['scenario_count']} scenarios · {counts} "
            f"· repeat {report['repeat']} · {report['duration_s']:.1f} s")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f'<h1>{_e(title)}</h1><p class="muted">{_e(meta)}</p>{"".join(sections)}</body></html>\n'
    )
