"""Runs the benchmark: detection over the scenarios, retrieval over the question set, then
answers, citations, groundedness and refusals through a backend; returns the report dict.

The pipeline is the product's own: `load_snapshot` + `analyze_snapshot` for detection, the
knowledge base's `Retriever` for retrieval, and the `kb` backend (or the RAG answerer with
an upstream LLM for `--backend NAME`) for answers. Nothing here talks to a cluster.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kubesage.eval import metrics
from kubesage.eval.scenarios import AnswerPoint, Question, Scenario, find_vocabulary, load_questions, load_scenarios
from kubesage.llm.base import Backend, Completion, CompletionRequest

if TYPE_CHECKING:
    from kubesage.config import Config
    from kubesage.eval.judge import Judge

SCHEMA = "kubesage.eval/v1"
RETRIEVAL_DEPTH = 5
ANSWER_TEXT_LIMIT = 2000
LANGUAGE_NAMES = {"en": "english", "zh": "traditional chinese"}


class Progress(Protocol):
    def phase(self, name: str, total: int) -> None: ...

    def step(self) -> None: ...


class NullProgress:
    def phase(self, name: str, total: int) -> None:
        return None

    def step(self) -> None:
        return None


@dataclass
class EvalOptions:
    scenarios_dir: Path
    questions_file: Path
    backend: str = "kb"
    judge: str = ""
    repeat: int = 1
    kb_path: str | None = None
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)
    """USD per 1M (input, output) tokens by model name (longest prefix wins)."""


@dataclass
class Usage:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latencies: list[float] = field(default_factory=list)


class Metered:
    """A Backend wrapper that counts calls, tokens and latency."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.usage = Usage()

    def complete(self, request: CompletionRequest) -> Completion:
        start = time.perf_counter()
        result = self.inner.complete(request)
        self.usage.latencies.append(time.perf_counter() - start)
        self.usage.calls += 1
        self.usage.prompt_tokens += result.prompt_tokens
        self.usage.completion_tokens += result.completion_tokens
        return result


# -- knowledge base ------------------------------------------------------------------------


class KnowledgeBase:
    """The retriever the backend uses, plus document text and reasons by doc id."""

    def __init__(self, retriever: Any) -> None:
        self.retriever = retriever
        self._docs: dict[str, tuple[str, frozenset[str]]] | None = None

    @classmethod
    def open(cls, config: Config, kb_path: str | None) -> KnowledgeBase:
        from kubesage.rag.retrieve import Retriever
        from kubesage.rag.starter import open_kb, settings

        s = settings(config, kb_path)
        return cls(Retriever(open_kb(s), threshold=s.threshold, dense=None if s.embeddings else False))

    def search(self, query: str, k: int = RETRIEVAL_DEPTH) -> list[Any]:
        return list(self.retriever.search(query, k).hits)

    def _load(self) -> dict[str, tuple[str, frozenset[str]]]:
        if self._docs is None:
            texts: dict[str, list[str]] = {}
            reasons: dict[str, set[str]] = {}
            for chunk in self.retriever.index().chunks:
                texts.setdefault(chunk.doc_id, []).append(f"{chunk.title}\n{chunk.section}\n{chunk.text}")
                reasons.setdefault(chunk.doc_id, set()).update(chunk.reasons)
            self._docs = {d: ("\n".join(t), frozenset(reasons[d])) for d, t in texts.items()}
        return self._docs

    def doc_text(self, doc_id: str) -> str:
        return self._load().get(doc_id, ("", frozenset()))[0]

    def doc_reasons(self, doc_id: str) -> frozenset[str]:
        return self._load().get(doc_id, ("", frozenset()))[1]


def answer_backend(name: str, config: Config, kb_path: str | None) -> tuple[Backend, Metered | None]:
    """(the answer pipeline, the metered upstream LLM or None for the offline `kb`)."""
    from kubesage.llm.kb import KBBackend

    if not name or name.lower() == "kb":
        return KBBackend.from_config(None, config, kb_path=kb_path), None
    from kubesage.llm.registry import load_backend

    upstream = Metered(load_backend(config, name))
    return KBBackend.from_config(None, config, kb_path=kb_path, upstream=upstream), upstream


# -- phases --------------------------------------------------------------------------------


def _detect(scenarios: Sequence[Scenario], progress: Progress) -> tuple[dict[str, Any], dict[str, list[str]]]:
    from kubesage.analysis import AnalyzeRequest, analyze_snapshot
    from kubesage.analyzers.registry import default_names
    from kubesage.cluster.files import load_snapshot
    from kubesage.eval.scenarios import EXPECTED_FILE

    progress.phase("detection", len(scenarios))
    outcomes: list[metrics.DetectionOutcome] = []
    items: list[dict[str, Any]] = []
    latencies: list[float] = []
    evidence: dict[str, list[str]] = {}
    by_category: dict[str, list[metrics.DetectionOutcome]] = {}
    defaults = default_names()
    for sc in scenarios:
        start = time.perf_counter()
        snap = load_snapshot([sc.path], exclude=(EXPECTED_FILE,))
        filters = [*defaults, *(f for f in sc.filters if f not in defaults)] if sc.filters else []
        analysis = analyze_snapshot(snap, AnalyzeRequest(filters=filters))
        latencies.append(time.perf_counter() - start)
        outcome = metrics.score_detection(analysis.results, sc.must_find, sc.may_find, sc.must_not_find)
        outcomes.append(outcome)
        by_category.setdefault(sc.category, []).append(outcome)
        texts = [t for r in analysis.results for t in r.texts if any(metrics.finding_matches(e, r) for e in
                                                                     sc.must_find)]
        evidence[sc.slug] = list(dict.fromkeys(texts))
        items.append({
            "scenario": sc.slug,
            "category": sc.category,
            "found": [e.label() for e in outcome.found],
            "missed": [e.label() for e in outcome.missed],
            "false_positives": [e.label() for e in outcome.false_positives],
            "unexpected": outcome.unexpected,
            "results": outcome.total_results,
            "warnings": list(analysis.errors),
            "latency_ms": round(latencies[-1] * 1000, 3),
        })
        progress.step()
    section: dict[str, Any] = dict(metrics.detection_summary(outcomes))
    section["scenarios"] = len(scenarios)
    section["by_category"] = {cat: metrics.detection_summary(outs) for cat, outs in sorted(by_category.items())}
    section["items"] = items
    section["latency"] = metrics.latency_summary(latencies)
    return section, evidence


def _retrieve(kb: KnowledgeBase, questions: Sequence[Question], progress: Progress) -> dict[str, Any]:
    progress.phase("retrieval", len(questions))
    ranks: dict[str, list[int | None]] = {}
    misses: list[dict[str, Any]] = []
    latencies: list[float] = []
    for q in questions:
        start = time.perf_counter()
        hits = kb.search(q.text, RETRIEVAL_DEPTH)
        latencies.append(time.perf_counter() - start)
        rank = metrics.first_relevant_rank([h.reasons for h in hits], q.reasons)
        ranks.setdefault(q.lang, []).append(rank)
        if rank is None or rank > 3:
            misses.append({"id": q.id, "lang": q.lang, "text": q.text, "expected": list(q.reasons), "rank": rank,
                           "top": [{"doc_id": h.doc_id, "reasons": list(h.reasons)} for h in hits[:3]]})
        progress.step()
    all_ranks = [r for rs in ranks.values() for r in rs]
    return {
        "depth": RETRIEVAL_DEPTH,
        "overall": metrics.retrieval_summary(all_ranks),
        "by_language": {lang: metrics.retrieval_summary(rs) for lang, rs in sorted(ranks.items())},
        "misses": misses,
        "latency": metrics.latency_summary(latencies),
    }


@dataclass
class _AnswerRun:
    coverage: float
    points: list[bool]
    refused: bool
    citation_ok: bool
    grounded: float | None
    text: str
    cited: list[str]
    latency: float


def _strip_sources(text: str) -> str:
    head, sep, _ = text.partition("\nSources:\n")
    return head if sep else text


def _ask(backend: Backend, kb: KnowledgeBase, message: str, lang: str, reasons: Sequence[str],
         points: Sequence[AnswerPoint], judge: Judge | None, question: str) -> _AnswerRun:
    request = CompletionRequest(prompt=message, language=LANGUAGE_NAMES[lang], message=message)
    start = time.perf_counter()
    result = backend.complete(request)
    latency = time.perf_counter() - start
    body = _strip_sources(result.text)
    cited = [s.doc_id or s.source for s in result.sources]
    retrieved = kb.search(message, RETRIEVAL_DEPTH)
    retrieved_ids = [h.doc_id for h in retrieved]
    doc_reasons = {d: kb.doc_reasons(d) for d in {*cited, *retrieved_ids}}
    evidence = "\n".join([message, *(kb.doc_text(d) for d in dict.fromkeys([*cited, *retrieved_ids[:3]]))])
    if judge is not None and points and not result.refused:
        matched = judge.points(question, body, points)
    else:
        matched = [metrics.point_matched(p, body) for p in points]
    return _AnswerRun(
        coverage=sum(matched) / len(matched) if matched else 1.0,
        points=matched,
        refused=result.refused,
        citation_ok=not result.refused and metrics.citation_correct(cited, retrieved_ids, doc_reasons, reasons),
        grounded=None if result.refused else metrics.groundedness(body, evidence),
        text=result.text[:ANSWER_TEXT_LIMIT],
        cited=cited,
        latency=latency,
    )


def _scenario_message(sc: Scenario, lang: str, evidence: list[str]) -> str:
    findings = " ".join(evidence[:3])
    return f"{sc.question_for(lang)}\n{findings}".strip()


def _answers(
    backend: Backend,
    kb: KnowledgeBase,
    scenarios: Sequence[Scenario],
    evidence: dict[str, list[str]],
    questions: Sequence[Question],
    out_of_scope: Sequence[Question],
    repeat: int,
    judge: Judge | None,
    progress: Progress,
) -> tuple[dict[str, Any], dict[str, Any], list[float]]:
    langs = ("en", "zh")
    total = repeat * (len(scenarios) * len(langs) + len(questions) + len(out_of_scope))
    progress.phase("answers", total)
    answer_runs: dict[tuple[str, str], list[_AnswerRun]] = {}
    in_scope_refusals: dict[str, list[bool]] = {}
    oos_runs: dict[str, list[bool]] = {}
    latencies: list[float] = []
    for _ in range(repeat):
        for sc in scenarios:
            for lang in langs:
                run = _ask(backend, kb, _scenario_message(sc, lang, evidence.get(sc.slug, [])), lang, sc.reasons,
                           sc.answer_points, judge, sc.question_for(lang))
                answer_runs.setdefault((sc.slug, lang), []).append(run)
                latencies.append(run.latency)
                progress.step()
        for asked, refusals in ((questions, in_scope_refusals), (out_of_scope, oos_runs)):
            for q in asked:
                start = time.perf_counter()
                request = CompletionRequest(prompt=q.text, language=LANGUAGE_NAMES[q.lang], message=q.text)
                res = backend.complete(request)
                latencies.append(time.perf_counter() - start)
                refusals.setdefault(q.id, []).append(res.refused)
                progress.step()

    def summary(keys: list[tuple[str, str]]) -> dict[str, Any]:
        runs = [r for k in keys for r in answer_runs[k]]
        return {
            "n": len(keys),
            "coverage": metrics.mean(r.coverage for r in runs) or 0.0,
            "citation_correctness": metrics.mean(float(r.citation_ok) for r in runs) or 0.0,
            "groundedness": metrics.mean(r.grounded for r in runs),
            "refused": sum(r.refused for r in runs),
        }

    keys = list(answer_runs)
    answers: dict[str, Any] = summary(keys)
    answers["method"] = "judge" if judge is not None else "match"
    answers["by_language"] = {lang: summary([k for k in keys if k[1] == lang]) for lang in langs}
    passes = [[r.coverage >= 1.0 and not r.refused for r in answer_runs[k]] for k in keys]
    answers["pass@1"] = metrics.pass_at_1(passes)
    answers["pass^k"] = metrics.pass_hat_k(passes)
    answers["items"] = [
        {"scenario": slug, "lang": lang, "coverage": runs[0].coverage, "points": runs[0].points,
         "refused": runs[0].refused, "citation_ok": runs[0].citation_ok, "groundedness": runs[0].grounded,
         "cited": runs[0].cited, "passes": [r.coverage >= 1.0 and not r.refused for r in runs],
         "answer": runs[0].text}
        for (slug, lang), runs in answer_runs.items()
    ]
    scenario_refusals = [r.refused for runs in answer_runs.values() for r in runs]
    in_scope_flat = [x for rs in in_scope_refusals.values() for x in rs] + scenario_refusals
    oos_flat = [x for rs in oos_runs.values() for x in rs]
    refusal: dict[str, Any] = {
        "out_of_scope": len(out_of_scope),
        "in_scope": len(questions) + len(keys),
        "accuracy": sum(oos_flat) / len(oos_flat) if oos_flat else 1.0,
        "false_refusal_rate": sum(in_scope_flat) / len(in_scope_flat) if in_scope_flat else 0.0,
        "pass^k": metrics.pass_hat_k(list(oos_runs.values())),
        "not_refused": [q.id for q in out_of_scope if not all(oos_runs[q.id])],
        "falsely_refused": sorted(
            [qid for qid, rs in in_scope_refusals.items() if any(rs)]
            + [f"{slug}:{lang}" for (slug, lang), runs in answer_runs.items() if any(r.refused for r in runs)]
        ),
    }
    return answers, refusal, latencies


def _price(prices: dict[str, tuple[float, float]], model: str) -> tuple[float, float] | None:
    best = max((m for m in prices if model == m or model.startswith(m)), key=len, default=None)
    return prices[best] if best is not None else None


def _usage_section(name: str, model: str, usage: Usage | None, prices: dict[str, tuple[float, float]]
                   ) -> dict[str, Any]:
    if usage is None:
        return {"backend": name, "model": model, "llm_calls": 0, "prompt_tokens": 0, "completion_tokens": 0,
                "cost_usd": 0.0}
    price = _price(prices, model)
    cost = None if price is None else metrics.estimate_cost(usage.prompt_tokens, usage.completion_tokens, *price)
    return {"backend": name, "model": model, "llm_calls": usage.calls, "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens, "cost_usd": None if cost is None else round(cost, 6)}


def run_eval(options: EvalOptions, config: Config | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """The full offline evaluation; returns the report (see docs/eval.md for its schema)."""
    from kubesage.config import Config as ConfigModel
    from kubesage.errors import KubesageError

    if options.repeat < 1:
        raise KubesageError(f"--repeat must be at least 1, got {options.repeat}")
    config = config if config is not None else ConfigModel()
    progress = progress or NullProgress()
    started = time.perf_counter()
    vocabulary = find_vocabulary(options.scenarios_dir)
    scenarios = load_scenarios(options.scenarios_dir, vocabulary)
    questions = load_questions(options.questions_file, vocabulary)

    detection, evidence = _detect(scenarios, progress)
    kb = KnowledgeBase.open(config, options.kb_path)
    retrieval = _retrieve(kb, questions.in_scope, progress)

    backend, upstream = answer_backend(options.backend, config, options.kb_path)
    judge: Judge | None = None
    judge_meter: Metered | None = None
    if options.judge:
        from kubesage.eval.judge import Judge
        from kubesage.llm.registry import load_backend

        judge_meter = Metered(load_backend(config, options.judge))
        judge = Judge(judge_meter)
    answers, refusal, answer_latency = _answers(backend, kb, scenarios, evidence, questions.in_scope,
                                                questions.out_of_scope, options.repeat, judge, progress)
    usage = _usage_section(options.backend or "kb", backend.model, upstream.usage if upstream else None,
                           options.prices)
    if judge_meter is not None:
        usage["judge"] = _usage_section(options.judge, judge_meter.model, judge_meter.usage, options.prices)
    return {
        "schema": SCHEMA,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": round(time.perf_counter() - started, 3),
        "backend": options.backend or "kb",
        "model": backend.model,
        "judge": options.judge or None,
        "repeat": options.repeat,
        "inputs": {"scenarios": str(options.scenarios_dir), "questions": str(options.questions_file),
                   "scenario_count": len(scenarios), "question_count": len(questions.in_scope),
                   "out_of_scope_count": len(questions.out_of_scope)},
        "detection": detection,
        "retrieval": retrieval,
        "answers": answers,
        "refusal": refusal,
        "latency": {
            "analysis": detection.pop("latency"),
            "retrieval": retrieval.pop("latency"),
            "answer": metrics.latency_summary(answer_latency),
            "answer_histogram": histogram(answer_latency),
        },
        "usage": usage,
    }


def histogram(seconds: Sequence[float], bins: int = 12) -> list[dict[str, float | int]]:
    """Equal-width latency buckets in ms: [{lo_ms, hi_ms, count}]."""
    if not seconds:
        return []
    ms = [s * 1000 for s in seconds]
    lo, hi = min(ms), max(ms)
    width = (hi - lo) / bins or 1.0
    counts = [0] * bins
    for v in ms:
        counts[min(int((v - lo) / width), bins - 1)] += 1
    return [{"lo_ms": round(lo + i * width, 3), "hi_ms": round(lo + (i + 1) * width, 3), "count": c}
            for i, c in enumerate(counts)]

