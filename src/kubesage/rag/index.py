"""The searchable index of one KB generation: chunks + a bm25s index (+ optional dense vectors).

Loaded indexes are cached per generation directory, so a server loads its KB once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubesage.errors import KubesageError
from kubesage.rag.ingest import Chunk
from kubesage.rag.tokenize import tokenize

CHUNKS_FILE = "chunks.jsonl"
BM25_DIR = "bm25"
DENSE_FILE = "dense.npy"


def index_text(chunk: Chunk) -> str:
    """What BM25 sees: title, section path and reasons weigh in beside the text."""
    return f"{chunk.title}\n{chunk.section}\n{' '.join(chunk.reasons)}\n{chunk.text}"


def write_index(gen_dir: Path, chunks: list[Chunk]) -> None:
    """Write chunks.jsonl and the bm25s index into `gen_dir` (a fresh, private directory)."""
    import bm25s

    with (gen_dir / CHUNKS_FILE).open("w", encoding="utf-8") as fh:
        for chunk in chunks:
            fh.write(json.dumps(chunk.to_json(), ensure_ascii=False) + "\n")
    corpus = [tokenize(index_text(c)) or [""] for c in chunks] or [[""]]
    retriever = bm25s.BM25(method="lucene")
    retriever.index(corpus, show_progress=False)
    retriever.save(str(gen_dir / BM25_DIR), show_progress=False)


class KBIndex:
    """Read-only, thread-safe view of one generation."""

    def __init__(self, gen_dir: Path, chunks: list[Chunk], retriever: Any, manifest: dict[str, Any]) -> None:
        import numpy as np

        self.gen_dir = gen_dir
        self.chunks = chunks
        self.manifest = manifest
        self.vocab: dict[str, int] = dict(retriever.vocab_dict)
        self.data = np.asarray(retriever.scores["data"])
        self.indices = np.asarray(retriever.scores["indices"])
        self.indptr = np.asarray(retriever.scores["indptr"])
        self.num_docs = len(chunks)
        df = np.diff(self.indptr).astype("float64")
        n = max(self.num_docs, 1)
        self.idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        self.max_idf = float(np.log(1.0 + (n + 0.5) / 1.5))
        self.dense: Any = None
        dense_path = gen_dir / DENSE_FILE
        if dense_path.exists():
            self.dense = np.load(dense_path)

    @property
    def generation(self) -> str:
        return self.gen_dir.name

    def token_ids(self, tokens: list[str]) -> list[int]:
        return [self.vocab[t] for t in tokens if t in self.vocab]


_CACHE: dict[str, KBIndex] = {}
_CACHE_LOCK = threading.Lock()
CACHE_BYTES = 128 << 20
"""Loaded generations kept, by size; the newest is always kept (an ingest creates a new one)."""


def _nbytes(index: KBIndex) -> int:
    arrays = (index.data, index.indices, index.indptr, index.idf, index.dense)
    return sum(int(getattr(a, "nbytes", 0)) for a in arrays) + sum(2 * len(c.text) + 512 for c in index.chunks)


def load_index(gen_dir: Path, read_manifest: Callable[[Path], dict[str, Any]]) -> KBIndex:
    """The index of a generation directory, loaded once per process (the manifest is read only then)."""
    try:
        st = gen_dir.stat()
    except OSError as err:
        raise KubesageError(f"knowledge base index {gen_dir} is unreadable: {err.strerror or err}") from None
    key = f"{gen_dir}:{st.st_ino}:{st.st_mtime_ns}"  # a re-created directory is a new index
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
    index = _load(gen_dir, read_manifest(gen_dir))
    with _CACHE_LOCK:
        index = _CACHE.setdefault(key, index)
        while len(_CACHE) > 1 and sum(_nbytes(i) for i in _CACHE.values()) > CACHE_BYTES:
            _CACHE.pop(next(iter(_CACHE)))
        return index


def _load(gen_dir: Path, manifest: dict[str, Any]) -> KBIndex:
    import bm25s

    try:
        with (gen_dir / CHUNKS_FILE).open(encoding="utf-8") as fh:
            chunks = [Chunk.from_json(json.loads(line)) for line in fh if line.strip()]
        retriever = bm25s.BM25.load(str(gen_dir / BM25_DIR), mmap=False, show_progress=False)
    except (OSError, ValueError, KeyError) as err:
        message = f"knowledge base index {gen_dir} is unreadable: {err}; re-run `kubesage kb ingest`"
        raise KubesageError(message) from None
    return KBIndex(gen_dir, chunks, retriever, manifest)
