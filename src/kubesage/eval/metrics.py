"""Pure metric functions: detection, retrieval, answer quality, latency, consistency, cost.

Everything here is deterministic and works on plain values, so each metric can be
checked against a hand-computed example (tests/eval/test_metrics.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from kubesage.eval.scenarios import Expectation
from kubesage.eval.text import AnswerPoint, content_tokens, point_matched, sentences

# -- answers ---------------------------------------------------------------------------


def coverage(points: Sequence[AnswerPoint], answer: str) -> float:
    """Share of answer points the answer contains (1.0 for no points)."""
    if not points:
        return 1.0
    return sum(point_matched(p, answer) for p in points) / len(points)


_ANSWER_LABELS = frozenset({"error", "solution", "verify", "sources", "source", "cause", "causes", "fix"})


def groundedness(answer: str, evidence: str, support: float = 0.6) -> float | None:
    """Share of answer sentences whose content tokens are mostly (>= `support`) present in
    the evidence: the text of the cited and retrieved documents. The question is never
    evidence, so an answer that repeats it is not grounded by doing so.

    Sentences with fewer than 2 content tokens (headings, bullets) are not judged; None when
    no sentence is judged (e.g. a refusal)."""
    return groundedness_in(answer, set(content_tokens(evidence)), support)


def groundedness_in(answer: str, evidence_tokens: set[str] | frozenset[str], support: float = 0.6) -> float | None:
    """`groundedness` against the evidence's content tokens, computed once by the caller."""
    judged = supported = 0
    for sentence in sentences(answer):
        # Step numbers and the answer's own labels ("Solution: 1.") are layout, not claims.
        toks = [t for t in content_tokens(sentence) if not t.isdigit() and t not in _ANSWER_LABELS]
        if len(toks) < 2:
            continue
        judged += 1
        if sum(t in evidence_tokens for t in toks) / len(toks) >= support:
            supported += 1
    return supported / judged if judged else None


def citation_correct(
    cited: Sequence[str],
    retrieved: Iterable[str],
    doc_reasons: dict[str, frozenset[str]],
    expected: Iterable[str],
    runbooks: Iterable[str] = (),
) -> bool:
    """Cited documents are a non-empty subset of the retrieved ones, and at least one cited
    document carries an expected reason or is one of the expected runbooks."""
    if not cited:
        return False
    retrieved_set = set(retrieved)
    if not set(cited) <= retrieved_set:
        return False
    want = set(expected)
    if any(doc_reasons.get(doc, frozenset()) & want for doc in cited):
        return True
    return first_runbook_rank(cited, runbooks) is not None


# -- retrieval -------------------------------------------------------------------------


def first_relevant_rank(hit_reasons: Sequence[Iterable[str]], expected: Iterable[str]) -> int | None:
    """1-based rank of the first hit whose reasons intersect `expected`, or None."""
    want = set(expected)
    for i, reasons in enumerate(hit_reasons, start=1):
        if want & set(reasons):
            return i
    return None


def first_runbook_rank(doc_ids: Sequence[str], runbooks: Iterable[str]) -> int | None:
    """1-based rank of the first hit that is one of `runbooks` (doc id, or its last path segment)."""
    want = set(runbooks)
    for i, doc_id in enumerate(doc_ids, start=1):
        if doc_id in want or doc_id.rsplit("/", 1)[-1] in want:
            return i
    return None


def reason_detection(detected: Sequence[Sequence[str]], expected: Sequence[Iterable[str]]) -> dict[str, float | int]:
    """How well the reason detector reads the questions: the share where it named any reason, where
    its first reason is an expected one (top1), and where any of its reasons is (any)."""
    n = len(detected)
    if not n:
        return {"n": 0, "named": 0.0, "top1": 0.0, "any": 0.0}
    pairs = [(list(d), set(e)) for d, e in zip(detected, expected, strict=True)]
    return {
        "n": n,
        "named": sum(bool(d) for d, _ in pairs) / n,
        "top1": sum(bool(d) and d[0] in e for d, e in pairs) / n,
        "any": sum(bool(set(d) & e) for d, e in pairs) / n,
    }


def retrieval_summary(ranks: Sequence[int | None]) -> dict[str, float | int]:
    """hit@1, hit@3, hit@5 and MRR over first-relevant ranks (None = no relevant hit)."""
    n = len(ranks)
    if not n:
        return {"n": 0, "hit@1": 0.0, "hit@3": 0.0, "hit@5": 0.0, "mrr": 0.0}
    return {
        "n": n,
        "hit@1": sum(1 for r in ranks if r is not None and r <= 1) / n,
        "hit@3": sum(1 for r in ranks if r is not None and r <= 3) / n,
        "hit@5": sum(1 for r in ranks if r is not None and r <= 5) / n,
        "mrr": sum(1.0 / r for r in ranks if r) / n,
    }


# -- detection -------------------------------------------------------------------------


class Finding(Protocol):
    """What detection needs from a Result."""

    @property
    def kind(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def texts(self) -> list[str]: ...


def name_matches(expected: str, actual: str) -> bool:
    """Exact, a sub-object of it (the Log analyzer's `ns/pod/container` for `ns/pod`), or,
    for an expected name without a namespace, the last path segment (webhook results are
    named `<config namespace>/<webhook>`)."""
    if actual == expected or actual.startswith(expected + "/"):
        return True
    return "/" not in expected and actual.rsplit("/", 1)[-1] == expected


def finding_matches(exp: Expectation, finding: Finding) -> bool:
    if finding.kind != exp.kind or not name_matches(exp.name, finding.name):
        return False
    return not exp.text_contains or any(exp.text_contains in t for t in finding.texts)


@dataclass
class DetectionOutcome:
    found: list[Expectation] = field(default_factory=list)
    missed: list[Expectation] = field(default_factory=list)
    false_positives: list[Expectation] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    """Results on objects the scenario does not mention at all (`kind name`)."""
    relevant_results: int = 0
    total_results: int = 0


def score_detection(
    findings: Sequence[Finding],
    must_find: Sequence[Expectation],
    may_find: Sequence[Expectation],
    must_not_find: Sequence[Expectation],
) -> DetectionOutcome:
    out = DetectionOutcome(total_results=len(findings))
    for exp in must_find:
        (out.found if any(finding_matches(exp, f) for f in findings) else out.missed).append(exp)
    for exp in must_not_find:
        if any(finding_matches(exp, f) for f in findings):
            out.false_positives.append(exp)
    relevant = [Expectation(e.kind, e.name) for e in (*must_find, *may_find)]
    healthy = [Expectation(e.kind, e.name) for e in must_not_find]
    for f in findings:
        if any(finding_matches(e, f) for e in relevant):
            out.relevant_results += 1
        elif not any(finding_matches(e, f) for e in healthy):
            out.unexpected.append(f"{f.kind} {f.name}")
    return out


def detection_summary(outcomes: Sequence[DetectionOutcome]) -> dict[str, float | int]:
    """Micro-averaged recall (expected findings found) and precision (results that are
    about the incident), and the count of flagged healthy objects."""
    expected = sum(len(o.found) + len(o.missed) for o in outcomes)
    found = sum(len(o.found) for o in outcomes)
    total = sum(o.total_results for o in outcomes)
    relevant = sum(o.relevant_results for o in outcomes)
    return {
        "expected": expected,
        "found": found,
        "recall": found / expected if expected else 1.0,
        "results": total,
        "relevant_results": relevant,
        "precision": relevant / total if total else 1.0,
        "false_positives": sum(len(o.false_positives) for o in outcomes),
        "unexpected_results": sum(len(o.unexpected) for o in outcomes),
    }


# -- latency, consistency, cost -------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100), 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def latency_summary(seconds: Sequence[float]) -> dict[str, float | int]:
    return {
        "n": len(seconds),
        "p50_ms": round(percentile(seconds, 50) * 1000, 3),
        "p95_ms": round(percentile(seconds, 95) * 1000, 3),
        "max_ms": round(max(seconds, default=0.0) * 1000, 3),
        "mean_ms": round(sum(seconds) / len(seconds) * 1000, 3) if seconds else 0.0,
    }


def pass_hat_k(runs: Sequence[Sequence[bool]]) -> float:
    """Pass^k: share of items that passed in every one of their k runs."""
    if not runs:
        return 0.0
    return sum(1 for r in runs if r and all(r)) / len(runs)


def pass_at_1(runs: Sequence[Sequence[bool]]) -> float:
    """Mean single-run pass rate over items and runs."""
    flat = [x for r in runs for x in r]
    return sum(flat) / len(flat) if flat else 0.0


def estimate_cost(prompt_tokens: int, completion_tokens: int, input_per_m: float, output_per_m: float) -> float:
    """USD for a token count at per-1M-token prices."""
    return prompt_tokens / 1e6 * input_per_m + completion_tokens / 1e6 * output_per_m


def mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None
