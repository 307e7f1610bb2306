"""A Kubernetes-aware tokenizer for BM25.

- Compound tokens (`exitCode=137`, `0/3`, `kube-system`, `ImagePullBackOff`) are kept whole
  (lowercased) and also split into their parts, CamelCase included (`image`, `pull`, `back`, `off`).
- CJK runs become character unigrams and bigrams, so Chinese queries match without a segmenter.
- A light stopword list and a plural `s` strip keep common words from dominating.
"""

from __future__ import annotations

import re
from functools import lru_cache

TOKENIZER_VERSION = "1"

# A compound: alphanumerics joined by = / : . _ - (no spaces).
_COMPOUND = re.compile(r"[A-Za-z0-9]+(?:[=/:._-]+[A-Za-z0-9]+)*")
_SEPARATORS = re.compile(r"[=/:._-]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]+")
_SPLIT = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]+)")

_STOP_TEXT = """a an and are as at be been but by can could did do does doing for from had has have how i if in into
    is it its me my of on or our so than that the their them then there these they this those to too was we were what
    when where which while who why will with would you your yours about after again all also am any because
    before being below between both each few further here just more most no nor not now off once only other
    out over own same should some such through under until up very"""
# "off", "not", "no", "up", "out" are kept: they carry meaning in k8s texts ("back-off", "not ready").
STOPWORDS = frozenset(_STOP_TEXT.split()) - {"off", "not", "no", "up", "out"}
CJK_STOP = frozenset("的了是在和與或我你他她它嗎呢吧啊請這那個也就都而及著把被讓給")


def _norm(word: str) -> str:
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")) and word.isalpha():
        return word[:-1]
    return word


def _emit_word(word: str, out: list[str]) -> None:
    low = word.lower()
    if low in STOPWORDS or (len(low) == 1 and not low.isdigit()):
        return
    out.append(_norm(low))


def _compound(token: str, out: list[str]) -> None:
    whole = token.lower()
    parts = [p for p in _SEPARATORS.split(token) if p]
    camel: list[str] = []
    for part in parts:
        pieces = _CAMEL.findall(part)
        if len(pieces) > 1:
            camel.append(part)
            camel.extend(pieces)
        else:
            camel.append(part)
    if len(parts) > 1 or len(camel) > 1:
        if len(whole) > 1:
            out.append(whole)
        for piece in camel:
            if piece.lower() != whole:
                _emit_word(piece, out)
    else:
        _emit_word(token, out)


def _cjk(run: str, out: list[str]) -> None:
    for i, ch in enumerate(run):
        if ch not in CJK_STOP:
            out.append(ch)
        if i + 1 < len(run):
            out.append(run[i : i + 2])


@lru_cache(maxsize=4096)
def _tokenize_cached(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for piece in _SPLIT.split(text):
        if not piece:
            continue
        if _CJK_RUN.fullmatch(piece):
            _cjk(piece, out)
            continue
        for match in _COMPOUND.finditer(piece):
            _compound(match.group(0), out)
    return tuple(out)


def tokenize(text: str) -> list[str]:
    """Tokens of `text`, in order, duplicates kept (BM25 counts term frequency)."""
    if len(text) <= 2000:
        return list(_tokenize_cached(text))
    return list(_tokenize_cached.__wrapped__(text))


def has_cjk(text: str) -> bool:
    return _CJK_RUN.search(text) is not None


def cjk_ratio(text: str) -> float:
    """Share of non-space characters that are CJK."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    cjk = sum(len(m.group(0)) for m in _CJK_RUN.finditer(text))
    return cjk / len(chars)
