"""Text helpers the eval shares: normalisation, content tokens, sentences, answer-point matching,
and the check that an answer point cannot be met by repeating the question.

The lowest eval layer: it imports nothing from the rest of `kubesage.eval`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

AnswerPoint = tuple[str, ...]
"""One fact a correct answer must contain, as alternative phrasings (any one matches)."""

_WORD = re.compile(r"[a-z0-9][a-z0-9_.:/-]*[a-z0-9]|[a-z0-9]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_STOPWORD_TEXT = (
    "a an the and or of to in on for is are was were be been it its this that these those with by as at from "
    "not no can cannot will would should could do does did has have had you your we our they their there then "
    "than if so but into out up down when what why how which who all any each more most such only own same "
    "very just also may might must shall"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|[。！？；]\s*|\n+")


def normalize(text: str) -> str:
    """NFKC (full-width -> ASCII), case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def content_tokens(text: str) -> list[str]:
    """Words (minus stopwords) and CJK bigrams (single characters for one-character runs)."""
    norm = normalize(text)
    out = [w for w in _WORD.findall(norm) if w not in _STOPWORDS]
    for run in _CJK.findall(norm):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def sentences(text: str) -> list[str]:
    """Answer sentences: split on sentence punctuation (ASCII and CJK) and line breaks."""
    parts = (p.strip(" \t-*#>|") for p in _SENTENCE_END.split(text))
    return [p for p in parts if p]


def point_matched(point: AnswerPoint, answer: str) -> bool:
    """True when any alternative appears in the answer: as a normalised substring, or as a
    keyword set (every content token of the alternative occurs in the answer)."""
    norm = normalize(answer)
    answer_tokens: set[str] | None = None
    for alt in point:
        alt_norm = normalize(alt)
        if alt_norm and alt_norm in norm:
            return True
        alt_tokens = set(content_tokens(alt))
        if len(alt_tokens) > 1:
            if answer_tokens is None:
                answer_tokens = set(content_tokens(answer))
            if alt_tokens <= answer_tokens:
                return True
    return False


def echo_satisfiable(point: AnswerPoint, question: str) -> str | None:
    """The first alternative of `point` that an answer repeating `question` would already meet
    (it matches the question, or all its terms occur in the question), else None."""
    question_tokens = set(content_tokens(question))
    for alt in point:
        tokens = set(content_tokens(alt))
        if point_matched((alt,), question) or (tokens and tokens <= question_tokens):
            return alt
    return None


def points_met_by_echo(points: Sequence[AnswerPoint], question: str) -> list[str]:
    """For each point the question alone satisfies, the alternative that does."""
    return [alt for p in points if (alt := echo_satisfiable(p, question)) is not None]
