"""The optional dense path (extra `kubesage[embeddings]`).

PyPI has no CPU build of torch for Linux, so CI runs without the extra: there the first test proves the
dense path fails with a one-line instruction, and the vector tests are reported as skipped (`-rs`),
naming the missing extra. With the extra installed it is the other way round."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesage.errors import KubesageError
from kubesage.rag import embed
from kubesage.rag.retrieve import Retriever
from kubesage.rag.store import KnowledgeBase

needs_extra = pytest.mark.skipif(
    not embed.available(), reason="extra kubesage[embeddings] not installed (needs a CPU build of torch)"
)


@pytest.mark.skipif(embed.available(), reason="extra kubesage[embeddings] is installed: the vector tests run instead")
def test_without_the_extra_dense_ingest_says_what_to_install(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "mem.md").write_text("# Memory\n\nThe process used more RAM than allowed.\n")
    kb = KnowledgeBase(tmp_path / "kb")
    with pytest.raises(KubesageError, match=r"pip install 'kubesage\[embeddings\]'"):
        kb.ingest([docs], embeddings=True)
    # The failed attempt leaves no half-written generation behind: a lexical ingest still works.
    report = kb.ingest([docs])
    assert report.generation and kb.index().dense is None


@needs_extra
def test_offline_model_path_and_vectors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # any network attempt would fail
    assert (embed.model_path() / "config.json").is_file()
    vectors = embed.encode(["pod ran out of memory", "container exceeded its RAM limit", "bake sourdough bread"])
    assert vectors.shape == (3, 384)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2]


@needs_extra
def test_dense_vectors_fused_by_rrf(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "mem.md").write_text("# Memory\n\nThe process used more RAM than allowed and was terminated.\n")
    (docs / "dns.md").write_text("# Names\n\nLookups of service hostnames time out.\n")
    (docs / "disk.md").write_text("# Disk\n\nThe volume is full; delete old logs.\n")
    kb = KnowledgeBase(tmp_path / "kb")
    kb.ingest([docs], embeddings=True)
    assert kb.manifest()["embeddings"]["dim"] == 384
    assert kb.index().dense.shape == (3, 384)
    # No word of the query occurs in any document: BM25 finds nothing, the dense vectors find mem.md.
    query = "application killed for exceeding its quota"
    assert Retriever(kb, dense=False).search(query, 3).hits == ()
    dense = Retriever(kb, dense=True).search(query, 3)
    assert dense.hits and dense.hits[0].doc_id == "docs/mem"
    assert not dense.relevant  # relevance stays lexical: a paraphrase alone does not pass the threshold
