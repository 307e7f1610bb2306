"""Hybrid retrieval: BM25 + phrase, reason, concept and title boosts (+ dense vectors fused by
reciprocal rank fusion).

Ranking: BM25 with a damped query term frequency (plus the English words of the concepts the
question names, so chat Chinese and paraphrases reach the runbooks), plus the IDF of word pairs
the query shares with a section (a quoted failure message matches as a phrase), a boost for
runbooks carrying the detected reasons (specific reasons weigh more), one for runbooks showing
the question's concepts, and one for runbooks whose title message the query quotes.

Relevance ("confidence") is separate from ranking: the weighted share of the question's concepts
(shown anywhere in the document) and leftover words (found in the best section); lifted when the
document's `reasons` match reasons detected in the query; halved when the question names no
Kubernetes concept. Below `threshold` the answer is the refusal. docs/rag.md gives the curve and
`benchmarks/calibrate_rag.py` the k-fold calibration on the dev question sets.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from kubesage.rag.concepts import QueryTerms, glossary, quoted_names, strip_masks
from kubesage.rag.glossary import ANCHORS
from kubesage.rag.index import KBIndex, index_text
from kubesage.rag.reasons import concept_reasons, named_reasons
from kubesage.rag.store import KnowledgeBase
from kubesage.rag.tokenize import has_cjk, tokenize

DEFAULT_THRESHOLD = 0.50
REASON_BOOST = 0.6
REASON_FLOOR = 0.75
SINGLE_TERM_FACTOR = 0.5
RRF_K = 60
CJK_CHAR_WEIGHT = 0.3
CJK_UNKNOWN_BIGRAM_WEIGHT = 0.5
TITLE_BOOST = 0.6
PHRASE_WEIGHT = 0.25
PHRASE_CANDIDATES = 200
QTF_DAMPING = 0.5
CONCEPT_BOOST = 0.8
LEFTOVER = 0.5
NO_ANCHOR = 0.5
IMPLIED_FLOOR = 0.5
"""Reasons that only the question's concepts imply lift confidence to IMPLIED_FLOOR x share +
(1 - IMPLIED_FLOOR) x coverage: weaker than a quoted failure text (REASON_FLOOR)."""
UNKNOWN_SHORT = 3
MAX_QUERY_CHARS = 10_000
"""Only the start of a longer query is searched: k8sgpt sends one object's failures (well under this),
and reason detection and tokenizing cost about 5 ms per 1,000 characters."""
_IDENTIFIER = re.compile(r"[0-9=/:._-]")


@dataclass(frozen=True)
class Hit:
    doc_id: str
    title: str
    section: str
    source: str
    text: str
    reasons: tuple[str, ...]
    lang: str
    score: float
    confidence: float
    chunk: int

    def to_json(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "title": self.title, "source": self.source, "score": round(self.score, 4),
                "reasons": list(self.reasons), "text": self.text, "section": self.section, "lang": self.lang,
                "confidence": round(self.confidence, 4)}  # fmt: skip


@dataclass(frozen=True)
class Retrieval:
    query: str
    reasons: tuple[str, ...]
    hits: tuple[Hit, ...]
    threshold: float

    @property
    def confidence(self) -> float:
        return self.hits[0].confidence if self.hits else 0.0

    @property
    def relevant(self) -> bool:
        return bool(self.hits) and self.confidence >= self.threshold

    def relevant_hits(self) -> list[Hit]:
        return [h for h in self.hits if h.confidence >= self.threshold]


class Retriever:
    """Searches one knowledge base; safe to share between threads."""

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        dense: bool | None = None,
        use_reasons: bool = True,
        cache_size: int = 1024,
        cache_bytes: int = 16 << 20,
    ) -> None:
        self.kb = kb
        self.threshold = threshold
        self.dense = dense
        self.use_reasons = use_reasons
        self._cache: OrderedDict[tuple[str, int], Retrieval] = OrderedDict()
        self._cache_size = cache_size
        self._cache_bytes = cache_bytes  # the queries dominate: hits share the index's strings
        self._cached_bytes = 0
        self._lock = threading.Lock()
        self._current: KBIndex | None = None
        self._meta: _IndexMeta | None = None

    def index(self) -> KBIndex:
        return self.kb.index()

    def search(self, query: str, k: int = 5) -> Retrieval:
        query = query[:MAX_QUERY_CHARS]
        index = self.index()
        key = (query, k)
        with self._lock:
            if index is not self._current or self._meta is None:  # a new generation: forget the old one
                self._current, self._meta = index, _IndexMeta(index)
                self._cache.clear()
                self._cached_bytes = 0
            meta = self._meta
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        result = self._search(index, meta, query, k)
        with self._lock:
            if index is not self._current:
                return result
            if key not in self._cache:
                self._cache[key] = result
                self._cached_bytes += _cost(key)
            while self._cache and (len(self._cache) > self._cache_size or self._cached_bytes > self._cache_bytes):
                self._cached_bytes -= _cost(self._cache.popitem(last=False)[0])
        return result

    def _search(self, index: KBIndex, meta: _IndexMeta, query: str, k: int) -> Retrieval:
        import numpy as np

        named = tuple(named_reasons(query)) if self.use_reasons else ()
        reasons = (*named, *(r for r in concept_reasons(query) if r not in named)) if self.use_reasons else ()
        if not index.num_docs or not query.strip():
            return Retrieval(query, reasons, (), self.threshold)
        terms = glossary().analyze(query)
        tokens = tokenize(strip_masks(query))
        scores = _bm25(index, tokens)
        # Phrase candidates come from the question's own words; the concepts' words then add in.
        scores = scores + PHRASE_WEIGHT * _phrase_scores(index, meta, tokens, scores)
        scores = scores + _bm25(index, _expansion(terms, tokens))
        top = float(scores.max()) if len(scores) else 0.0
        match_frac = np.zeros(index.num_docs, dtype="float32")  # carries a named reason (confidence)
        implied_frac = np.zeros(index.num_docs, dtype="float32")  # share of the concept-implied ones
        rank_frac = np.zeros(index.num_docs, dtype="float32")  # the same, weighted by specificity (ranking)
        # A reason few runbooks carry (DNSResolutionFailure) says more than a common one (CrashLoopBackOff).
        specificity = {r: meta.reason_weight.get(r, 0.0) for r in reasons}
        total = sum(specificity.values())
        for reason in reasons:
            rows = meta.by_reason.get(reason)
            if rows is not None:
                if reason in named:
                    # A quoted failure text vouches for every runbook that carries its reason, however
                    # many other failures the same message lists (k8sgpt sends all of a Pod's).
                    match_frac[rows] = 1.0
                else:
                    implied_frac[rows] += 1.0 / (len(reasons) - len(named))
                rank_frac[rows] += specificity[reason] / total
        if reasons:
            scores = scores + rank_frac * (REASON_BOOST * max(top, 1.0))
        concept_weights = meta.concept_weights(terms.concepts)
        concept_share = _concept_share(meta, concept_weights)
        if concept_weights:
            scores = scores + concept_share * (CONCEPT_BOOST * max(top, 1.0))
        for rows in _title_matches(meta, tokens):
            scores[rows] += TITLE_BOOST * max(top, 1.0)
        order = _top(scores, max(50, k * 10))
        if self._use_dense(index):
            order = self._fuse(index, query, scores, order)
        weights = _query_weights(index, list(terms.words), quoted_names(query))
        # Kubernetes context: a Kubernetes concept, or a failure text that names a reason.
        anchored = any(c in ANCHORS for c in terms.concepts) or bool(named and named_reasons(query, specific=True))
        hits: list[Hit] = []
        seen: set[str] = set()
        for row in order:
            if scores[row] <= 0:
                break
            chunk = index.chunks[row]
            if chunk.doc_id in seen:
                continue
            seen.add(chunk.doc_id)
            coverage, matched = _coverage(index, weights, int(row), int(row) + 1, concept_weights)
            # One shared word ("root" in "square root") is no evidence of topic; it needs company.
            confidence = coverage * SINGLE_TERM_FACTOR if matched < 2 else coverage
            if not anchored:  # no Kubernetes concept at all: shared generic words are weak evidence
                confidence *= NO_ANCHOR
            elif match_frac[row] > 0:
                confidence = max(coverage, REASON_FLOOR * float(match_frac[row]) + 0.25 * coverage)
            elif implied_frac[row] > 0:
                confidence = max(coverage, IMPLIED_FLOOR * float(implied_frac[row]) + (1 - IMPLIED_FLOOR) * coverage)
            hits.append(Hit(chunk.doc_id, chunk.title, chunk.section, chunk.source, chunk.text, chunk.reasons,
                            chunk.lang, float(scores[row]), min(confidence, 1.0), int(row)))  # fmt: skip
            if len(hits) >= k:
                break
        return Retrieval(query, reasons, tuple(hits), self.threshold)

    def _use_dense(self, index: KBIndex) -> bool:
        if self.dense is False or index.dense is None:
            return False
        from kubesage.rag import embed

        return bool(embed.available())

    def _fuse(self, index: KBIndex, query: str, scores: Any, order: list[int]) -> list[int]:
        import numpy as np

        from kubesage.rag import embed

        qv = embed.encode([query])[0]
        dense_scores = index.dense @ qv
        dense_order = _top(dense_scores, len(order))
        fused: dict[int, float] = {}
        for rank, row in enumerate(order):
            if scores[row] > 0:
                fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank + 1)
        for rank, row in enumerate(dense_order):
            fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank + 1)
        ranked = sorted(fused, key=lambda r: -fused[r])
        # Keep BM25's score array meaningful for the caller: fused order, positive scores.
        scores[np.asarray(ranked, dtype="int64")] = np.maximum(scores[np.asarray(ranked, dtype="int64")], 1e-6)
        return ranked


class _IndexMeta:
    """Per-generation lookup: the chunk rows of each reason and its specificity weight."""

    def __init__(self, index: KBIndex) -> None:
        import numpy as np

        rows: dict[str, list[int]] = {}
        docs: dict[str, set[str]] = {}
        for i, chunk in enumerate(index.chunks):
            for reason in chunk.reasons:
                rows.setdefault(reason, []).append(i)
                docs.setdefault(reason, set()).add(chunk.doc_id)
        self.by_reason = {r: np.asarray(v, dtype="int64") for r, v in rows.items()}
        n_docs = len({c.doc_id for c in index.chunks})
        # Squared IDF over documents: how much carrying this reason singles a runbook out.
        self.reason_weight = {r: math.log(1.0 + n_docs / len(d)) ** 2 for r, d in docs.items()}
        self.index = index
        doc_ids: dict[str, int] = {}
        self.doc_of_row = np.asarray([doc_ids.setdefault(c.doc_id, len(doc_ids)) for c in index.chunks], dtype="int64")
        self.num_docs = len(doc_ids)
        self._concepts: dict[str, tuple[Any, float]] = {}  # concept -> (rows of documents showing it, IDF)
        self._pairs: dict[int, frozenset[tuple[str, str]]] = {}  # chunk row -> its word pairs, filled on demand
        titles: dict[str, list[int]] = {}
        for i, chunk in enumerate(index.chunks):
            titles.setdefault(chunk.title.split(":")[0], []).append(i)
        # Titles that quote a failure message ("Service has no endpoints: ..."), as word pairs.
        self.titles = [(frozenset(_word_pairs(tokenize(head))), np.asarray(rows, dtype="int64"))
                       for head, rows in titles.items() if len(head.split()) >= 3]  # fmt: skip
        # Each title filed under one of its pairs: a query only checks the titles it shares a pair with.
        self.titles_by_pair: dict[tuple[str, str], list[int]] = {}
        for n, (head, _) in enumerate(self.titles):
            self.titles_by_pair.setdefault(min(head) if head else ("", ""), []).append(n)

    def concept(self, name: str) -> tuple[Any, float]:
        """(bool array over chunk rows: the row's document shows the concept, the concept's IDF)."""
        found = self._concepts.get(name)
        if found is not None:
            return found
        import numpy as np

        index = self.index
        rows = np.zeros(index.num_docs, dtype=bool)
        for group in glossary().forms.get(name, ()):
            if not group or any(t not in index.vocab for t in group):
                continue
            have = np.ones(index.num_docs, dtype=bool)
            for tid in (index.vocab[t] for t in group):  # every token of the form, in the same section
                col = np.zeros(index.num_docs, dtype=bool)
                col[index.indices[int(index.indptr[tid]) : int(index.indptr[tid + 1])]] = True
                have &= col
            rows |= have
        docs = np.unique(self.doc_of_row[rows])
        # Presence is per document (a Chinese question may match the English section), but the
        # weight is the IDF over sections: a concept every runbook mentions in passing weighs little.
        df, n = int(rows.sum()), max(index.num_docs, 1)
        idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        in_doc = np.isin(self.doc_of_row, docs)
        found = self._concepts[name] = (in_doc, idf)
        return found

    def concept_weights(self, names: tuple[str, ...]) -> list[tuple[Any, float]]:
        return [self.concept(n) for n in names]

    def pairs(self, row: int) -> frozenset[tuple[str, str]]:
        found = self._pairs.get(row)
        if found is None:
            found = self._pairs[row] = frozenset(_word_pairs(tokenize(index_text(self.index.chunks[row]))))
        return found


def _top(scores: Any, n: int) -> list[int]:
    import numpy as np

    n = min(n, len(scores))
    if n <= 0:
        return []
    part = np.argpartition(-scores, n - 1)[:n]
    return [int(i) for i in part[np.argsort(-scores[part], kind="stable")]]


def _bm25(index: KBIndex, tokens: list[str]) -> Any:
    """BM25 with a sublinear query term frequency (1 + ln tf): the same finding repeated for each
    Pod must not outweigh the rest of the question, while a word said twice still counts more."""
    import numpy as np

    scores = np.zeros(index.num_docs, dtype="float32")
    for tid, tf in Counter(index.token_ids(tokens)).items():
        s, e = int(index.indptr[tid]), int(index.indptr[tid + 1])
        scores[index.indices[s:e]] += index.data[s:e] * (1.0 + QTF_DAMPING * math.log(tf))
    return scores


def _word_pairs(tokens: list[str]) -> list[tuple[str, str]]:
    """Adjacent (non-CJK) token pairs; CJK tokens are already character bigrams."""
    return [(a, b) for a, b in pairwise(tokens) if a != b and not has_cjk(a) and not has_cjk(b)]


def _phrase_scores(index: KBIndex, meta: _IndexMeta, tokens: list[str], scores: Any) -> Any:
    """For the best BM25 candidates: the IDF (among those candidates) of each query word pair a
    chunk also contains as a pair. A pair that every crash runbook quotes weighs little."""
    import numpy as np

    out = np.zeros(index.num_docs, dtype="float32")
    query_pairs = set(_word_pairs(tokens))
    if not query_pairs:
        return out
    rows = [r for r in _top(scores, PHRASE_CANDIDATES) if scores[r] > 0]
    shared = {r: meta.pairs(r) & query_pairs for r in rows}
    df = Counter(p for found in shared.values() for p in found)
    n = len(rows)
    for r, found in shared.items():
        out[r] = sum(math.log(1.0 + (n - df[p] + 0.5) / (df[p] + 0.5)) for p in found)
    return out


def _title_matches(meta: _IndexMeta, tokens: list[str]) -> list[Any]:
    """Chunk rows of the runbooks whose title message the query quotes."""
    pairs = set(_word_pairs(tokens))
    found = {n for p in (*pairs, ("", "")) for n in meta.titles_by_pair.get(p, ())}
    return [meta.titles[n][1] for n in sorted(found) if meta.titles[n][0] <= pairs]


def _expansion(terms: QueryTerms, tokens: list[str]) -> list[str]:
    """The concepts' own words (English), for those the query does not already say: a Chinese or
    paraphrased question ("RAM", 記憶體) then also finds the sections that say "memory"."""
    have = set(tokens)
    return [t for c in terms.concepts for t in tokenize(c) if t not in have]


def _concept_share(meta: _IndexMeta, weights: list[tuple[Any, float]]) -> Any:
    """Per row: the IDF-weighted share of the query's concepts its document shows."""
    import numpy as np

    out = np.zeros(meta.index.num_docs, dtype="float32")
    total = sum(w for _, w in weights)
    if total <= 0:
        return out
    for rows, w in weights:
        out += rows * np.float32(w / total)
    return out


def _query_weights(
    index: KBIndex, tokens: list[str], names: frozenset[str] = frozenset()
) -> list[tuple[int | None, float]]:
    """(token id or None when unknown, weight) per distinct query token no concept explained.

    Unknown words weigh as much as the rarest indexed word (an out-of-scope question is made of
    them); unknown identifiers (names, hashes, numbers, quoted names, words of 3 letters or less)
    are ignored: no KB can contain them. Known leftover words and Chinese leftovers weigh
    LEFTOVER (chat wording around the concepts). CJK: single characters are weak evidence
    (weight x0.3); unknown bigrams count half, since many straddle a word boundary.
    """
    out: list[tuple[int | None, float]] = []
    for token in dict.fromkeys(tokens):
        tid = index.vocab.get(token)
        cjk = has_cjk(token)
        weight = CJK_CHAR_WEIGHT if cjk and len(token) == 1 else 1.0
        if tid is not None:
            out.append((tid, float(index.idf[tid]) * weight * LEFTOVER))
        elif cjk:
            if len(token) == 2:
                out.append((None, index.max_idf * CJK_UNKNOWN_BIGRAM_WEIGHT * LEFTOVER))
            else:
                out.append((None, index.max_idf * weight * LEFTOVER))
        elif not _IDENTIFIER.search(token) and len(token) > UNKNOWN_SHORT and token not in names:
            out.append((None, index.max_idf))
    return out


def _coverage(
    index: KBIndex,
    weights: list[tuple[int | None, float]],
    start: int,
    end: int,
    concepts: list[tuple[Any, float]] | None = None,
) -> tuple[float, int]:
    """(weighted share of the query's words found in rows start..end and of its concepts shown by
    their document, how many distinct words and concepts matched)."""
    import numpy as np

    concepts = concepts or []
    total = sum(w for _, w in weights) + sum(w for _, w in concepts)
    if total <= 0:
        return 0.0, 0
    got = 0.0
    matched = 0
    for tid, w in weights:
        if tid is None:
            continue
        s, e = int(index.indptr[tid]), int(index.indptr[tid + 1])
        col = index.indices[s:e]
        pos = int(np.searchsorted(col, start))
        if pos < len(col) and int(col[pos]) < end:
            got += w
            matched += 1
    for rows, w in concepts:
        if rows[start]:
            got += w
            matched += 1
    return got / total, matched


def _cost(key: tuple[str, int]) -> int:
    """Approximate bytes a cache entry holds: its query string plus the Retrieval and its hits."""
    import sys

    return sys.getsizeof(key[0]) + 2048
