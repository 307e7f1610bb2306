"""Runs the benchmark: detection over the scenarios, then for each question set (dev, and the
held-out test set when asked) retrieval, answers, citations, groundedness and refusals through a
backend, plus the echo sanity baseline; returns the report dict.

The pipeline is the product's own: `load_snapshot` + `analyze_snapshot` for detection, the
knowledge base's `Retriever` for retrieval, and the `kb` backend (or the RAG answerer with
an upstream LLM for `--backend NAME`) for answers. Nothing here talks to a cluster.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kubesage.eval import metrics
from kubesage.eval.scenarios import Question, QuestionSet, Scenario, find_vocabulary, load_questions, load_scenarios
from kubesage.eval.text import AnswerPoint, content_tokens, point_matched
from kubesage.llm.base import Backend, Completion, CompletionRequest

if TYPE_CHECKING:
    from kubesage.config import Config
    from kubesage.eval.judge import Judge

SCHEMA = "kubesage.eval/v2"
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
    """The dev question set: tune on it freely."""
    test_questions_file: Path | None = None
    """The held-out test set (None: dev only). Never tune on it."""
    test_sha256: str | None = None
    """The pinned sha256 of the test set (eval.toml `[test_set]`); a different file is an error."""
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


class RetrievalCorpus:
    """The eval's view of the knowledge base: the retriever the backend uses, plus document
    text and reasons by doc id (for citations and groundedness)."""

    def __init__(self, retriever: Any) -> None:
        self.retriever = retriever
        self._docs: dict[str, tuple[str, frozenset[str]]] | None = None
        self._searches: dict[tuple[str, int], list[Any]] = {}
        self._tokens: dict[str, frozenset[str]] = {}

    @classmethod
    def open(cls, config: Config, kb_path: str | None) -> RetrievalCorpus:
        from kubesage.rag.retrieve import Retriever
        from kubesage.rag.starter import open_kb, settings

        s = settings(config, kb_path)
        return cls(Retriever(open_kb(s), threshold=s.threshold, dense=None if s.embeddings else False))

    def search(self, query: str, k: int = RETRIEVAL_DEPTH) -> list[Any]:
        """Top-k hits (memoised: retrieval and answer scoring ask for the same queries)."""
        key = (query, k)
        if key not in self._searches:
            self._searches[key] = list(self.retriever.search(query, k).hits)
        return self._searches[key]

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

    def doc_tokens(self, doc_id: str) -> frozenset[str]:
        if doc_id not in self._tokens:
            self._tokens[doc_id] = frozenset(content_tokens(self.doc_text(doc_id)))
        return self._tokens[doc_id]


def answer_backend(name: str, config: Config, kb_path: str | None) -> tuple[Backend, Metered | None]:
    """(the answer pipeline, the metered upstream LLM or None for the offline `kb`)."""
    from kubesage.llm.kb import KBBackend

    if not name or name.lower() == "kb":
        return KBBackend.from_config(None, config, kb_path=kb_path), None
    from kubesage.llm.registry import load_backend

    upstream = Metered(load_backend(config, name))
    return KBBackend.from_config(None, config, kb_path=kb_path, upstream=upstream), upstream


# -- requests ------------------------------------------------------------------------------

_BUDGET = re.compile(r"no more than (\d+) characters")


def question_request(q: Question) -> CompletionRequest:
    """What a client sends for `q`: a k8sgpt prompt goes as customrest sends it (the filled
    template as `prompt`, the failure text as `message`); anything else is the message itself."""
    if q.style == "k8sgpt":
        from kubesage.rag.answer import k8sgpt_parts

        parts = k8sgpt_parts(q.text)
        if parts:
            return CompletionRequest(prompt=q.text, language=parts[0].strip(), message=parts[1].strip())
    return CompletionRequest(prompt=q.text, language=LANGUAGE_NAMES[q.lang], message=q.text)


def length_budget(text: str) -> int | None:
    """The answer-length budget a prompt sets ("no more than 280 characters"), or None."""
    found = _BUDGET.search(text)
    return int(found[1]) if found else None


class EchoBackend:
    """The sanity baseline: answers with the question itself, cites nothing, never refuses."""

    name = "echo"
    model = "echo"

    def complete(self, request: CompletionRequest) -> Completion:
        return Completion(text=request.prompt)


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


def _retrieve(corpus: RetrievalCorpus, questions: Sequence[Question], progress: Progress
              ) -> tuple[dict[str, Any], list[float]]:
    from kubesage.rag.reasons import detect_reasons

    progress.phase("retrieval", len(questions))
    detected: list[list[str]] = []
    ranks: dict[str, list[int | None]] = {}
    styles: dict[str, list[int | None]] = {}
    runbook_ranks: list[int | None] = []
    misses: list[dict[str, Any]] = []
    latencies: list[float] = []
    for q in questions:
        start = time.perf_counter()
        query = question_request(q).message
        hits = corpus.search(query, RETRIEVAL_DEPTH)
        latencies.append(time.perf_counter() - start)
        detected.append(detect_reasons(query))
        rank = metrics.first_relevant_rank([h.reasons for h in hits], q.reasons)
        ranks.setdefault(q.lang, []).append(rank)
        styles.setdefault(q.style or "unset", []).append(rank)
        if q.runbooks:
            runbook_ranks.append(metrics.first_runbook_rank([h.doc_id for h in hits], q.runbooks))
        if rank is None or rank > 3:
            misses.append({"id": q.id, "lang": q.lang, "text": q.text, "expected": list(q.reasons), "rank": rank,
                           "top": [{"doc_id": h.doc_id, "reasons": list(h.reasons)} for h in hits[:3]]})
        progress.step()
    all_ranks = [r for rs in ranks.values() for r in rs]
    return {
        "depth": RETRIEVAL_DEPTH,
        "overall": metrics.retrieval_summary(all_ranks),
        "by_language": {lang: metrics.retrieval_summary(rs) for lang, rs in sorted(ranks.items())},
        "by_style": {style: metrics.retrieval_summary(rs) for style, rs in sorted(styles.items())},
        "runbook": metrics.retrieval_summary(runbook_ranks) if runbook_ranks else None,
        "reason_detection": metrics.reason_detection(detected, [q.reasons for q in questions]),
        "misses": misses,
    }, latencies


@dataclass(frozen=True)
class _Item:
    """One thing to answer: a scenario prompt (dev only) or an in-scope question."""

    id: str
    lang: str
    style: str
    request: CompletionRequest
    reasons: tuple[str, ...]
    runbooks: tuple[str, ...]
    points: tuple[AnswerPoint, ...]
    question: str
    """The question as the user asked it (for the judge)."""


@dataclass
class _AnswerRun:
    coverage: float | None
    points: list[bool]
    refused: bool
    citation_ok: bool
    grounded: float | None
    within_budget: bool | None
    text: str
    cited: list[str]
    latency: float

    @property
    def passed(self) -> bool:
        return self.coverage is not None and self.coverage >= 1.0 and not self.refused


def _strip_sources(text: str) -> str:
    head, sep, _ = text.partition("\nSources:\n")
    return head if sep else text


def _ask(backend: Backend, corpus: RetrievalCorpus, item: _Item, judge: Judge | None) -> _AnswerRun:
    start = time.perf_counter()
    result = backend.complete(item.request)
    latency = time.perf_counter() - start
    body = _strip_sources(result.text)
    cited = [s.doc_id or s.source for s in result.sources]
    retrieved_ids = [h.doc_id for h in corpus.search(item.request.message or item.request.prompt, RETRIEVAL_DEPTH)]
    doc_reasons = {d: corpus.doc_reasons(d) for d in {*cited, *retrieved_ids}}
    # The evidence is documents only: the question never grounds an answer that repeats it.
    evidence: set[str] = set()
    for doc in dict.fromkeys([*cited, *retrieved_ids[:3]]):
        evidence |= corpus.doc_tokens(doc)
    if not item.points:
        matched: list[bool] = []
    elif judge is not None and not result.refused:
        matched = judge.points(item.question, body, item.points)
    else:
        matched = [point_matched(p, body) for p in item.points]
    budget = length_budget(item.request.prompt)
    return _AnswerRun(
        coverage=sum(matched) / len(matched) if matched else None,
        points=matched,
        refused=result.refused,
        citation_ok=not result.refused and metrics.citation_correct(cited, retrieved_ids, doc_reasons, item.reasons,
                                                                    item.runbooks),
        grounded=None if result.refused else metrics.groundedness_in(body, evidence),
        within_budget=None if budget is None or result.refused else len(body.strip()) <= budget,
        text=result.text[:ANSWER_TEXT_LIMIT],
        cited=cited,
        latency=latency,
    )


def _scenario_items(scenarios: Sequence[Scenario], evidence: dict[str, list[str]]) -> list[_Item]:
    items: list[_Item] = []
    for sc in scenarios:
        for lang in ("en", "zh"):
            findings = " ".join(evidence.get(sc.slug, [])[:3])
            message = f"{sc.question_for(lang)}\n{findings}".strip()
            request = CompletionRequest(prompt=message, language=LANGUAGE_NAMES[lang], message=message)
            items.append(_Item(f"{sc.slug}:{lang}", lang, "scenario", request, sc.reasons, (), sc.answer_points,
                               sc.question_for(lang)))
    return items


def _question_items(questions: Sequence[Question]) -> list[_Item]:
    return [_Item(q.id, q.lang, q.style or "unset", question_request(q), q.reasons, q.runbooks, q.points, q.text)
            for q in questions]


def _answer_summary(runs: Sequence[_AnswerRun]) -> dict[str, Any]:
    scored = [r for r in runs if r.coverage is not None]
    budgeted = [r for r in runs if r.within_budget is not None]
    return {
        "n": len(runs),
        "scored": len(scored),
        "coverage": metrics.mean(r.coverage for r in scored),
        "citation_correctness": metrics.mean(float(r.citation_ok) for r in runs),
        "groundedness": metrics.mean(r.grounded for r in runs),
        "refused": sum(r.refused for r in runs),
        "within_length_budget": metrics.mean(float(bool(r.within_budget)) for r in budgeted),
    }


def _answers_section(items: Sequence[_Item], runs: dict[str, list[_AnswerRun]], method: str) -> dict[str, Any]:
    def summary(selected: Sequence[_Item]) -> dict[str, Any]:
        return _answer_summary([r for it in selected for r in runs[it.id]])

    section = summary(items)
    section["method"] = method
    section["by_language"] = {lang: summary([it for it in items if it.lang == lang])
                              for lang in sorted({it.lang for it in items})}
    section["by_style"] = {style: summary([it for it in items if it.style == style])
                           for style in sorted({it.style for it in items})}
    passes = [[r.passed for r in runs[it.id]] for it in items if it.points]
    section["pass@1"] = metrics.pass_at_1(passes)
    section["pass^k"] = metrics.pass_hat_k(passes)
    section["items"] = [
        {"id": it.id, "lang": it.lang, "style": it.style, "coverage": rs[0].coverage, "points": rs[0].points,
         "refused": rs[0].refused, "citation_ok": rs[0].citation_ok, "groundedness": rs[0].grounded,
         "within_length_budget": rs[0].within_budget, "cited": rs[0].cited, "passes": [r.passed for r in rs],
         "answer": rs[0].text}
        for it in items for rs in (runs[it.id],)
    ]
    return section


def _refusal_section(items: Sequence[_Item], runs: dict[str, list[_AnswerRun]], out_of_scope: Sequence[Question],
                     oos_runs: dict[str, list[bool]]) -> dict[str, Any]:
    def rates(in_scope: Sequence[_Item], oos: Sequence[Question]) -> dict[str, Any]:
        in_flat = [r.refused for it in in_scope for r in runs[it.id]]
        oos_flat = [x for q in oos for x in oos_runs[q.id]]
        return {
            "in_scope": len(in_scope),
            "out_of_scope": len(oos),
            "accuracy": sum(oos_flat) / len(oos_flat) if oos_flat else None,
            "false_refusal_rate": sum(in_flat) / len(in_flat) if in_flat else None,
        }

    section = rates(items, out_of_scope)
    langs = sorted({it.lang for it in items} | {q.lang for q in out_of_scope})
    section["by_language"] = {lang: rates([it for it in items if it.lang == lang],
                                          [q for q in out_of_scope if q.lang == lang]) for lang in langs}
    section["by_style"] = {style: rates([it for it in items if it.style == style], [])
                           for style in sorted({it.style for it in items})}
    section["pass^k"] = metrics.pass_hat_k([oos_runs[q.id] for q in out_of_scope])
    section["not_refused"] = [q.id for q in out_of_scope if not all(oos_runs[q.id])]
    section["falsely_refused"] = sorted(it.id for it in items if any(r.refused for r in runs[it.id]))
    return section


@dataclass
class _SetResult:
    retrieval: dict[str, Any]
    answers: dict[str, Any]
    refusal: dict[str, Any]
    echo: dict[str, Any]
    latencies: list[float]
    retrieval_latencies: list[float]


def _run_set(name: str, backend: Backend, corpus: RetrievalCorpus, items: Sequence[_Item], questions: QuestionSet,
             repeat: int, judge: Judge | None, progress: Progress) -> _SetResult:
    retrieval, retrieval_latencies = _retrieve(corpus, questions.in_scope, progress)
    progress.phase(f"answers ({name})", repeat * (len(items) + len(questions.out_of_scope)))
    runs: dict[str, list[_AnswerRun]] = {}
    oos_runs: dict[str, list[bool]] = {}
    latencies: list[float] = []
    for _ in range(repeat):
        for item in items:
            run = _ask(backend, corpus, item, judge)
            runs.setdefault(item.id, []).append(run)
            latencies.append(run.latency)
            progress.step()
        for q in questions.out_of_scope:
            start = time.perf_counter()
            res = backend.complete(question_request(q))
            latencies.append(time.perf_counter() - start)
            oos_runs.setdefault(q.id, []).append(res.refused)
            progress.step()
    echo = EchoBackend()
    echo_runs = [_ask(echo, corpus, item, None) for item in items]
    echo_summary = _answer_summary(echo_runs)
    echo_summary["pass@1"] = metrics.pass_at_1([[r.passed] for it, r in zip(items, echo_runs, strict=True)
                                                if it.points])
    return _SetResult(
        retrieval=retrieval,
        answers=_answers_section(items, runs, "judge" if judge is not None else "match"),
        refusal=_refusal_section(items, runs, questions.out_of_scope, oos_runs),
        echo=echo_summary,
        latencies=latencies,
        retrieval_latencies=retrieval_latencies,
    )


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


def file_sha256(path: Path) -> str:
    from kubesage.errors import KubesageError

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as err:
        raise KubesageError(f"{path}: cannot read: {err.strerror or err}") from None


def check_test_set(path: Path, pinned: str | None) -> str:
    """The test set's sha256; a KubesageError when it differs from the pinned one."""
    from kubesage.errors import KubesageError

    digest = file_sha256(path)
    if pinned is not None and digest != pinned.lower():
        raise KubesageError(
            f"{path}: sha256 {digest} differs from the pinned test set ({pinned}) in eval.toml [test_set]. "
            "The held-out test set changed: if that was deliberate, update the pin in the same commit"
        )
    return digest


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
    sets: dict[str, tuple[Path, QuestionSet, str]] = {
        "dev": (options.questions_file, load_questions(options.questions_file, vocabulary),
                file_sha256(options.questions_file)),
    }
    if options.test_questions_file is not None:
        digest = check_test_set(options.test_questions_file, options.test_sha256)
        sets["test"] = (options.test_questions_file, load_questions(options.test_questions_file, vocabulary), digest)

    detection, evidence = _detect(scenarios, progress)
    corpus = RetrievalCorpus.open(config, options.kb_path)
    backend, upstream = answer_backend(options.backend, config, options.kb_path)
    judge: Judge | None = None
    judge_meter: Metered | None = None
    if options.judge:
        from kubesage.eval.judge import Judge
        from kubesage.llm.registry import load_backend

        judge_meter = Metered(load_backend(config, options.judge))
        judge = Judge(judge_meter)
    results: dict[str, _SetResult] = {}
    for name, (_, questions, _) in sets.items():
        # Scenario prompts were written with the project, so they belong to dev.
        items = (_scenario_items(scenarios, evidence) if name == "dev" else []) + _question_items(questions.in_scope)
        results[name] = _run_set(name, backend, corpus, items, questions, options.repeat, judge, progress)
    usage = _usage_section(options.backend or "kb", backend.model, upstream.usage if upstream else None,
                           options.prices)
    if judge_meter is not None:
        usage["judge"] = _usage_section(options.judge, judge_meter.model, judge_meter.usage, options.prices)
    answer_latency = [x for r in results.values() for x in r.latencies]
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": 0.0,
        "backend": options.backend or "kb",
        "model": backend.model,
        "judge": options.judge or None,
        "repeat": options.repeat,
        "inputs": {
            "scenarios": str(options.scenarios_dir),
            "scenario_count": len(scenarios),
            "sets": {name: {"questions": str(path), "sha256": digest, "question_count": len(qs.in_scope),
                            "out_of_scope_count": len(qs.out_of_scope)}
                     for name, (path, qs, digest) in sets.items()},
        },
        "detection": detection,
    }
    for name, r in results.items():
        report[name] = {"retrieval": r.retrieval, "answers": r.answers, "refusal": r.refusal}
    report["sanity"] = {"echo": {name: r.echo for name, r in results.items()}}
    report["latency"] = {
        "analysis": detection.pop("latency"),
        "retrieval": metrics.latency_summary([x for r in results.values() for x in r.retrieval_latencies]),
        "answer": metrics.latency_summary(answer_latency),
        "answer_histogram": histogram(answer_latency),
    }
    report["usage"] = usage
    from kubesage.eval.remediation import evaluate as evaluate_remediation

    remediation = evaluate_remediation(options.scenarios_dir)
    if remediation is not None:
        report["remediation"] = remediation
    from kubesage.eval.ask import evaluate as evaluate_ask

    ask = evaluate_ask(options.scenarios_dir, config, backend=options.backend, judge=judge, progress=progress)
    if ask is not None:
        report["ask"] = ask
    report["duration_s"] = round(time.perf_counter() - started, 3)
    return report


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

