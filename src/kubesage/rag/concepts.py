"""Read a question as concepts plus leftover words, so relevance follows meaning, not wording.

- `strip_masks` drops the base64-like names k8sgpt `--anonymize` sends (`bzA3UA==/aSxVLw==`):
  they mean nothing and must not count against relevance.
- `analyze` finds glossary concepts (`rag/glossary.py`) in English (token n-grams) and Chinese
  (longest dictionary match over each CJK run, chat fillers dropped), and returns the rest as
  ordinary tokens. Every step is one left-to-right pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from kubesage.rag.glossary import EN_FILLER, GLOSSARY, ZH_FILLER, Entry
from kubesage.rag.tokenize import has_cjk, tokenize

_CANDIDATE = re.compile(r"[A-Za-z0-9+/]{4,}={0,2}")
_CJK_SPLIT = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]+)")
# `pod=web-7d9f`, `container=processor`: the value is a name, whatever words it is made of.
_NAMED_VALUE = re.compile(
    r"\b(container|pod|app|name|job|namespace|node|deployment|service|release|instance|component)="
    r"[^\s,;)\]]{1,253}",
    re.IGNORECASE,
)
_QUOTED = re.compile(r'"([^"\n]{1,300})"')
_MAX_EN = 4
_MAX_ZH = 8


def is_mask(word: str) -> bool:
    """A k8sgpt anonymized name: base64 of random letters (length a multiple of 4, padded with `=`,
    or mixing digits and both cases, or many short case runs), never a dictionary or CamelCase word."""
    core = word.rstrip("=")
    if len(word) % 4 or len(word) < 4 or not core or len(word) - len(core) > 2:
        return False
    if word.endswith("="):
        return True
    upper = sum(c.isupper() for c in core)
    lower = sum(c.islower() for c in core)
    digits = sum(c.isdigit() for c in core)
    if len(word) < 8:  # short: both cases and a digit inside ("d2Vi"), not a version suffix ("IPv4")
        return bool(upper and lower and digits) and not core.rstrip("0123456789").isalpha()
    if upper and lower and (digits or "+" in core or "/" in core):
        return True
    runs = sum(1 for a, b in pairwise(core) if a.islower() and b.isupper())
    return upper >= 2 and lower >= 2 and runs >= 2 and len(core) / (runs + 1) < 3.5


def strip_masks(text: str) -> str:
    """`text` with anonymized names replaced by a space."""
    out: list[str] = []
    pos = 0
    for m in _CANDIDATE.finditer(text):
        word = m.group(0)
        if is_mask(word) or ("/" in word and all(is_mask(p) for p in word.split("/") if p)):
            out.append(text[pos : m.start()])
            out.append(" ")
            pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def quoted_names(text: str) -> frozenset[str]:
    """Tokens inside double quotes: failure messages quote names ("gunicron", secret "db-creds")."""
    return frozenset(t for m in _QUOTED.finditer(text) for t in tokenize(m.group(1)))


@dataclass(frozen=True)
class QueryTerms:
    concepts: tuple[str, ...]
    """Glossary concepts the text names, in order of appearance."""
    words: tuple[str, ...]
    """The tokens no concept explains (duplicates kept)."""


class Glossary:
    """Forms of each concept, indexed for one-pass matching."""

    def __init__(self, entries: tuple[Entry, ...], filler: tuple[str, ...], en_filler: tuple[str, ...] = ()) -> None:
        self.en: dict[tuple[str, ...], str] = {}
        self.zh: dict[str, str] = {}
        self.forms: dict[str, list[tuple[str, ...]]] = {}
        """Per concept, the token groups that show it in a document (all tokens of one form)."""
        for concept, en_forms, zh_forms in entries:
            groups = self.forms.setdefault(concept, [])
            for form in en_forms:
                toks = tuple(tokenize(form))
                if toks and len(toks) <= _MAX_EN:
                    self.en.setdefault(toks, concept)
                    groups.append(toks)
            for form in zh_forms:
                if has_cjk(form):
                    self.zh.setdefault(form, concept)
                    grams = tuple(t for t in tokenize(form) if len(t) > 1 or len(form) == 1)
                    groups.append(grams)
                else:
                    toks = tuple(tokenize(form))
                    if toks:
                        self.en.setdefault(toks, concept)
                        groups.append(toks)
        self.filler = frozenset(filler)
        self.en_filler = frozenset(en_filler)
        self.zh_max = min(_MAX_ZH, max((len(f) for f in (*self.zh, *self.filler)), default=1))

    def analyze(self, text: str) -> QueryTerms:
        """Concepts and leftover words of `text` (short texts are cached: reasons and ranking both ask)."""
        if len(text) <= 2000:
            return self._analyze_cached(text)
        return self._analyze(text)

    @lru_cache(maxsize=2048)  # noqa: B019 - one Glossary lives for the whole process
    def _analyze_cached(self, text: str) -> QueryTerms:
        return self._analyze(text)

    def _analyze(self, text: str) -> QueryTerms:
        concepts: dict[str, None] = {}
        words: list[str] = []
        for piece in _CJK_SPLIT.split(_NAMED_VALUE.sub(r"\1 ", strip_masks(text))):
            if not piece:
                continue
            if has_cjk(piece) and _CJK_SPLIT.fullmatch(piece):
                self._zh(piece, concepts, words)
            else:
                self._en(tokenize(piece), concepts, words)
        return QueryTerms(tuple(concepts), tuple(words))

    def _en(self, tokens: list[str], concepts: dict[str, None], words: list[str]) -> None:
        i = 0
        while i < len(tokens):
            for n in range(min(_MAX_EN, len(tokens) - i), 0, -1):
                concept = self.en.get(tuple(tokens[i : i + n]))
                if concept is not None:
                    concepts[concept] = None
                    i += n
                    break
            else:
                if tokens[i] not in self.en_filler:
                    words.append(tokens[i])
                i += 1

    def _zh(self, run: str, concepts: dict[str, None], words: list[str]) -> None:
        rest: list[str] = []  # characters no form or filler explains, cut into words at the end

        def flush() -> None:
            if rest:
                words.extend(tokenize("".join(rest)))
                rest.clear()

        i = 0
        while i < len(run):
            for n in range(min(self.zh_max, len(run) - i), 0, -1):
                part = run[i : i + n]
                concept = self.zh.get(part)
                if concept is not None:
                    flush()
                    concepts[concept] = None
                    i += n
                    break
                if part in self.filler:
                    flush()
                    i += n
                    break
            else:
                rest.append(run[i])
                i += 1
        flush()


@lru_cache(maxsize=1)
def glossary() -> Glossary:
    return Glossary(GLOSSARY, ZH_FILLER, EN_FILLER)
