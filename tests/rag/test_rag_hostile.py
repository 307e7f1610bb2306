"""Hostile inputs: every RAG text path is linear, alias bombs and oversized files are refused fast.

The fixtures are the exact inputs that froze the server or the ingest before (issue 14)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kubesage.llm.base import CompletionRequest
from kubesage.rag import ingest as ingest_mod
from kubesage.rag.answer import Answerer, _first_sentence, _plain, language_of, query_of
from kubesage.rag.ingest import MAX_CHUNK_CHARS, _split, load_document, parse_markdown, strip_hugo
from kubesage.rag.reasons import _PATTERNS, detect_reasons
from kubesage.rag.retrieve import Retriever
from kubesage.rag.store import KnowledgeBase
from kubesage.rag.tokenize import tokenize

FIXTURES = Path(__file__).parent / "fixtures"
HOSTILE = (FIXTURES / "hostile-prompt.txt").read_text(encoding="utf-8")
# Quadratic or cubic code took seconds to minutes on each of these; linear code takes milliseconds.
BUDGET_S = 1.0


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def test_hostile_prompt_fixture_is_the_reported_one() -> None:
    assert HOSTILE == "written in --- x --- language; --- " * 800


def test_hostile_k8sgpt_prompt_is_parsed_in_linear_time() -> None:
    request = CompletionRequest(prompt=HOSTILE)
    query, seconds = _timed(lambda: query_of(request))
    assert seconds < BUDGET_S / 10
    assert query == HOSTILE.strip()  # no closing " ---." : not a k8sgpt prompt, the prompt is the question
    assert language_of(request) is False
    doubled = CompletionRequest(prompt=HOSTILE * 8)
    _, seconds = _timed(lambda: query_of(doubled))
    assert seconds < BUDGET_S / 10


def test_k8sgpt_prompt_still_parsed() -> None:
    prompt = ("Simplify the following Kubernetes error message delimited by triple dashes written in --- "
              "traditional chinese --- language; --- Back-off pulling image \"x:1\" ---.\n\tProvide the most "
              "possible solution in a step by step style in no more than 280 characters.")  # fmt: skip
    request = CompletionRequest(prompt=prompt)
    assert query_of(request) == 'Back-off pulling image "x:1"'
    assert language_of(request) is True


def test_hostile_prompt_answered_fast_end_to_end(starter_kb: KnowledgeBase) -> None:
    answerer = Answerer(Retriever(starter_kb, dense=False, cache_size=0))
    answerer.answer(CompletionRequest(prompt="warm up"))
    reply, seconds = _timed(lambda: answerer.answer(CompletionRequest(prompt=HOSTILE)))
    assert seconds < BUDGET_S, seconds
    assert reply.text
    # A megabyte of text costs no more than its first MAX_QUERY_CHARS.
    huge = HOSTILE * 40 + "the last termination reason is OOMKilled"
    reply, seconds = _timed(lambda: answerer.answer(CompletionRequest(prompt="", message=huge)))
    assert seconds < BUDGET_S, seconds


def test_reason_patterns_have_no_unbounded_repetition() -> None:
    unbounded = re.compile(r"(?<!\\)[*+]|\{\d+,\}")
    offenders = [(r, p) for r, pats in _PATTERNS.items() for p in pats if unbounded.search(p)]
    assert offenders == []


@pytest.mark.parametrize(
    "text",
    [
        HOSTILE,
        "job " * 10_000,
        "manifest for " * 3_000,
        "lookup " + "x" * 40_000,
        "secret \"" + "a" * 40_000,
        "couldn't find key " * 2_000,
        "9" * 40_000 + "/",
        "pod " * 10_000 + "has been evicted",
    ],
)
def test_reason_detection_is_linear(text: str) -> None:
    """About 40 KB each; quadratic patterns took minutes on these (linear: 0.1-0.4 s on a quiet machine)."""
    _, seconds = _timed(lambda: detect_reasons(text))
    assert seconds < 3 * BUDGET_S, seconds
    _, seconds = _timed(lambda: tokenize(text))
    assert seconds < 3 * BUDGET_S, seconds


@pytest.mark.parametrize(
    "text",
    [
        "<!--" * 50_000,
        "{{< note " * 50_000,
        "[" * 100_000 + "](",
        "[x](" * 50_000,
        "# " + "#" * 100_000 + "x\n",
        "## {#" * 50_000 + "\n",
        "```" + "a```b" * 50_000,
    ],
)
def test_markdown_parsing_is_linear(text: str) -> None:
    _, seconds = _timed(lambda: parse_markdown(text))
    assert seconds < BUDGET_S, seconds
    _, seconds = _timed(lambda: _first_sentence(text))
    assert seconds < BUDGET_S, seconds


def test_markdown_fixes_keep_their_meaning() -> None:
    assert strip_hugo("a<!-- hidden -->b<!-- open") == "ab<!-- open"
    _, blocks = parse_markdown("# Title #\ntext\n## C#\n### {#id} Fix ###\n####### not a heading\n")
    assert [(lv, h) for lv, h, _ in blocks] == [(0, ""), (1, "Title"), (2, "C#"), (3, "Fix")]
    assert _plain("run ```kubectl get pods``` then check") == "run then check"
    assert _first_sentence("Pods fail. Then more.") == "Pods fail."
    assert _first_sentence("version 1.2 is old! yes") == "version 1.2 is old!"


def test_one_line_of_twenty_megabytes_splits_in_linear_time() -> None:
    text = "word " * 4_000_000
    pieces, seconds = _timed(lambda: _split(text))
    assert seconds < 2 * BUDGET_S, seconds
    assert all(len(p) <= MAX_CHUNK_CHARS for p in pieces)
    assert sum(len(p) for p in pieces) >= len(text.strip()) - len(pieces)


def test_oversized_file_is_skipped_with_one_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ok.md").write_text("# OK\n\nNodes are fine.\n", encoding="utf-8")
    (docs / "huge.txt").write_text("x" * 4096, encoding="utf-8")
    monkeypatch.setattr("kubesage.rag.store.MAX_DOCUMENT_BYTES", 1024)
    report = KnowledgeBase(tmp_path / "kb").ingest([docs])
    assert report.added == ["docs/ok"]
    assert len(report.warnings) == 1 and "huge.txt: too large" in report.warnings[0]


def test_alias_bomb_front_matter_is_refused_fast(tmp_path: Path) -> None:
    bomb = FIXTURES / "alias-bomb-runbook.md"
    assert bomb.stat().st_size < 600
    with pytest.raises(ingest_mod.DocumentError) as err:
        _timed(lambda: load_document(bomb))
    message = str(err.value)
    assert "\n" not in message and str(bomb) in message and "aliases" in message
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bomb.md").write_bytes(bomb.read_bytes())
    (docs / "ok.md").write_text("# OK\n\nNodes are fine.\n", encoding="utf-8")
    kb = KnowledgeBase(tmp_path / "kb")
    report, seconds = _timed(lambda: kb.ingest([docs]))
    assert seconds < 5 * BUDGET_S
    assert report.added == ["docs/ok"]
    assert len(report.warnings) == 1 and "bomb.md" in report.warnings[0] and "skipped" in report.warnings[0]
    assert sum(f.stat().st_size for f in (tmp_path / "kb").rglob("*") if f.is_file()) < 1_000_000
