"""Issue 14 §8: what a long-running server keeps in memory is bounded by bytes, not by entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesage.rag import index as index_mod
from kubesage.rag.retrieve import Retriever
from kubesage.rag.store import KnowledgeBase


def test_query_cache_is_bounded_by_bytes(server_kb: Path) -> None:
    retriever = Retriever(KnowledgeBase(server_kb), dense=False, cache_bytes=400_000)
    for n in range(200):  # 200 distinct ~9 KB queries: ~1.8 MB if all were kept
        retriever.search(f"{n} " + "OOMKilled container memory limit exceeded " * 220, 4)
    assert retriever._cached_bytes <= 400_000
    assert 10 < len(retriever._cache) < 60
    again = retriever.search("199 " + "OOMKilled container memory limit exceeded " * 220, 4)
    assert again is retriever._cache[next(reversed(retriever._cache))]  # the newest entry is kept


def test_loaded_generations_are_bounded_by_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    kb = KnowledgeBase(tmp_path / "kb")
    loaded = []
    for n in range(4):  # four generations, as four `kb ingest` runs while a server is up would make
        (docs / f"r{n}.md").write_text(f"# Runbook {n}\n\nCrashLoopBackOff means the container exits.\n")
        kb.ingest([docs])
        loaded.append(kb.index())
    one = index_mod._nbytes(loaded[-1])
    monkeypatch.setattr(index_mod, "CACHE_BYTES", int(one * 2.5))
    kb.ingest([docs], extra={"note": "bump"})  # a fifth generation, loaded under the small budget
    newest = kb.index()
    mine = [i for i in index_mod._CACHE.values() if i.gen_dir.parent == kb.path]
    assert newest in mine and 1 <= len(mine) <= 2
    assert sum(index_mod._nbytes(i) for i in index_mod._CACHE.values()) <= int(one * 2.5) or len(index_mod._CACHE) == 1
