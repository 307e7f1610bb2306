"""Calibrate the RAG refusal threshold on the DEV question sets only, by k-fold cross-validation.

    python benchmarks/calibrate_rag.py [--folds 5] [--kb DIR] [--set FILE ...] [--json OUT]

Reads only dev sets (never the eval's held-out test set): tests/rag/questions.yaml,
tests/rag/questions_paraphrase.yaml and benchmarks/questions-dev.yaml. Each question is retrieved
once against the starter runbooks (BM25, no dense vectors) and its best confidence and top-3 hit
recorded. It prints:

- per slice (language x style): hit@1, hit@3, refusals of in-scope questions at the default threshold;
- the curve: at each threshold, false refusals (in-scope answered "I don't know") against wrong
  answers (out-of-scope answered);
- k-fold: in each fold the threshold that minimises errors on the other folds (false refusals +
  2 x wrong answers, ties to the midpoint of the best interval), and its errors on the held-out fold.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEV_SETS = (
    ROOT / "tests" / "rag" / "questions.yaml",
    ROOT / "tests" / "rag" / "questions_paraphrase.yaml",
    ROOT / "benchmarks" / "questions-dev.yaml",
)
WRONG_ANSWER_COST = 2.0  # answering out of scope is worse than a false "I don't know"


@dataclass(frozen=True)
class Item:
    source: str
    text: str
    lang: str
    style: str
    reasons: tuple[str, ...]  # empty: out of scope


@dataclass(frozen=True)
class Scored:
    item: Item
    confidence: float
    hit1: bool
    hit3: bool
    reason1: bool  # the reason detector's first reason is an expected one


def load_items(paths: list[Path]) -> list[Item]:
    import yaml

    items: list[Item] = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        name = path.name
        for q in data.get("questions", []):
            text = q.get("q") or q.get("text")
            oos = bool(q.get("out_of_scope"))
            style = q.get("style") or ("error" if name == "questions.yaml" else "eval")
            items.append(Item(name, text, q.get("lang", "en"), style, () if oos else tuple(q.get("reasons", ()))))
        for q in data.get("out_of_scope", []):
            items.append(Item(name, q.get("q") or q.get("text"), q.get("lang", "en"), q.get("style", "oos"), ()))
    return items


def score(items: list[Item], kb_dir: Path | None) -> tuple[list[Scored], list[float]]:
    from kubesage.rag.reasons import detect_reasons
    from kubesage.rag.retrieve import Retriever
    from kubesage.rag.starter import knowledge_dir
    from kubesage.rag.store import KnowledgeBase

    if kb_dir is None:
        src = knowledge_dir()
        if src is None:
            raise SystemExit("knowledge/ runbooks not found")
        kb_dir = Path(tempfile.mkdtemp(prefix="kubesage-calibrate-")) / "kb"
        KnowledgeBase(kb_dir).ingest([src])
    kb = KnowledgeBase(kb_dir)
    covered = {r for meta in kb.manifest()["docs"].values() for r in meta.get("reasons", [])}
    retriever = Retriever(kb, dense=False, cache_size=0)
    retriever.search("warm up", 3)
    out: list[Scored] = []
    times: list[float] = []
    for item in items:
        if item.reasons and not set(item.reasons) & covered:
            continue
        t0 = time.perf_counter()
        result = retriever.search(item.text, 3)
        times.append((time.perf_counter() - t0) * 1000)
        hits = result.hits[:3]
        wanted = set(item.reasons)
        hit1 = bool(hits) and bool(set(hits[0].reasons) & wanted)
        hit3 = any(set(h.reasons) & wanted for h in hits)
        detected = detect_reasons(item.text)
        out.append(Scored(item, result.confidence, hit1, hit3, bool(detected) and detected[0] in wanted))
    return out, times


def errors_at(scored: list[Scored], threshold: float) -> tuple[int, int]:
    """(false refusals, wrong answers) at `threshold`."""
    false_refusals = sum(1 for s in scored if s.item.reasons and s.confidence < threshold)
    wrong = sum(1 for s in scored if not s.item.reasons and s.confidence >= threshold)
    return false_refusals, wrong


def best_threshold(scored: list[Scored]) -> float:
    """The threshold with the lowest cost; among equal costs, the middle of the widest best interval."""
    grid = [round(i * 0.01, 2) for i in range(1, 100)]
    costs = [errors_at(scored, t)[0] + WRONG_ANSWER_COST * errors_at(scored, t)[1] for t in grid]
    low = min(costs)
    runs: list[list[float]] = []
    for t, c in zip(grid, costs, strict=True):
        if c == low:
            if runs and round(t - runs[-1][-1], 2) == 0.01:
                runs[-1].append(t)
            else:
                runs.append([t])
    widest = max(runs, key=len)
    return round((widest[0] + widest[-1]) / 2, 2)


def kfold(scored: list[Scored], folds: int, seed: int = 13) -> list[dict[str, Any]]:
    order = list(range(len(scored)))
    random.Random(seed).shuffle(order)
    rows = []
    for f in range(folds):
        held = [scored[i] for n, i in enumerate(order) if n % folds == f]
        train = [scored[i] for n, i in enumerate(order) if n % folds != f]
        t = best_threshold(train)
        fr, wrong = errors_at(held, t)
        inside = sum(1 for s in held if s.item.reasons)
        outside = len(held) - inside
        rows.append({"fold": f + 1, "threshold": t, "false_refusals": fr, "in_scope": inside,
                     "wrong_answers": wrong, "out_of_scope": outside})  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    from kubesage.rag.retrieve import DEFAULT_THRESHOLD

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--kb", type=Path, default=None, help="a built KB (default: the starter runbooks)")
    parser.add_argument("--set", type=Path, action="append", help="dev question file (repeatable)")
    parser.add_argument("--json", type=Path, default=None, help="write per-question results here")
    parser.add_argument("--misses", action="store_true", help="list refused in-scope and answered out-of-scope")
    args = parser.parse_args(argv)
    paths = args.set or list(DEV_SETS)
    for path in paths:
        if "test" in path.name:
            print(f"{path}: refusing to calibrate on a test set", file=sys.stderr)
            return 2
    scored, times = score(load_items([p for p in paths if p.exists()]), args.kb)
    t = DEFAULT_THRESHOLD
    print(f"== RAG calibration on DEV sets: {', '.join(p.name for p in paths)} ({len(scored)} questions)")
    print(f"query latency: p50 {statistics.median(times):.2f} ms, max {max(times):.2f} ms")
    print(f"\nslice (threshold {t}): n, hit@1, hit@3, refused in scope, reason detector top-1 / answered out of scope")
    slices: dict[tuple[str, str], list[Scored]] = {}
    for s in scored:
        kind = s.item.style if s.item.reasons else f"oos:{s.item.style}"
        slices.setdefault((s.item.lang, kind), []).append(s)
    for (lang, kind), group in sorted(slices.items()):
        n = len(group)
        if group[0].item.reasons:
            fr = sum(s.confidence < t for s in group)
            print(f"  {lang} {kind:14} {n:4}  hit@1 {sum(s.hit1 for s in group) / n:.3f}  "
                  f"hit@3 {sum(s.hit3 for s in group) / n:.3f}  refused {fr}/{n}  "
                  f"reason top-1 {sum(s.reason1 for s in group) / n:.3f}")  # fmt: skip
        else:
            print(f"  {lang} {kind:14} {n:4}  answered {sum(s.confidence >= t for s in group)}/{n}")
    inside = [s for s in scored if s.item.reasons]
    outside = [s for s in scored if not s.item.reasons]
    print(f"\nin scope: min confidence {min(s.confidence for s in inside):.3f}; "
          f"out of scope: max confidence {max(s.confidence for s in outside):.3f}")  # fmt: skip
    print(f"\nthreshold  false refusals (of {len(inside)})  wrong answers (of {len(outside)})")
    for i in range(10, 61, 2):
        th = i / 100
        fr, wrong = errors_at(scored, th)
        mark = "  <- default" if abs(th - t) < 0.005 else ""
        print(f"  {th:.2f}     {fr:4} ({fr / len(inside):.3f})       {wrong:4} ({wrong / len(outside):.3f}){mark}")
    rows = kfold(scored, args.folds)
    print(f"\n{args.folds}-fold cross-validation (threshold chosen on the other folds):")
    for r in rows:
        print(f"  fold {r['fold']}: threshold {r['threshold']:.2f}  false refusals {r['false_refusals']}/"
              f"{r['in_scope']}  wrong answers {r['wrong_answers']}/{r['out_of_scope']}")  # fmt: skip
    fr = sum(r["false_refusals"] for r in rows)
    wrong = sum(r["wrong_answers"] for r in rows)
    chosen = statistics.median(r["threshold"] for r in rows)
    print(f"  held-out total: false refusals {fr}/{len(inside)} ({fr / len(inside):.3f}), "
          f"wrong answers {wrong}/{len(outside)} ({wrong / len(outside):.3f}); median threshold {chosen:.2f}")
    if args.misses:
        print("\nrefused in scope:")
        for s in sorted(inside, key=lambda s: s.confidence):
            if s.confidence < t:
                print(f"  {s.confidence:.3f} hit3={int(s.hit3)} [{s.item.lang} {s.item.style}] {s.item.text}")
        print("answered out of scope / top confidences:")
        for s in sorted(outside, key=lambda s: -s.confidence)[:8]:
            print(f"  {s.confidence:.3f} [{s.item.lang}] {s.item.text}")
        print("top-3 misses:")
        for s in inside:
            if not s.hit3:
                print(f"  [{s.item.lang} {s.item.style}] {s.item.text}")
    if args.json:
        args.json.write_text(json.dumps([{"text": s.item.text, "lang": s.item.lang, "style": s.item.style,
                                          "in_scope": bool(s.item.reasons), "confidence": round(s.confidence, 4),
                                          "hit1": s.hit1, "hit3": s.hit3, "reason1": s.reason1} for s in scored],
                                        ensure_ascii=False, indent=1))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
