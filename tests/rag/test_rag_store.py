from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kubesage.errors import KubesageError
from kubesage.rag import index as index_mod
from kubesage.rag.retrieve import Retriever
from kubesage.rag.store import CURRENT, KnowledgeBase


def _doc(dir: Path, name: str, title: str, body: str, reasons: str = "[]") -> Path:
    f = dir / name
    f.write_text(f"---\ntitle: {title}\nreasons: {reasons}\n---\n# {title}\n\n## Fix\n{body}\n", encoding="utf-8")
    return f


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    d = tmp_path / "wiki"
    d.mkdir()
    _doc(d, "oom.md", "OOM runbook", "Raise the memory limit.", "[OOMKilled]")
    _doc(d, "dns.md", "DNS runbook", "Check CoreDNS pods.", "[DNSResolutionFailure]")
    return d


def test_ingest_then_search(tmp_path: Path, docs: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb")
    report = kb.ingest([docs])
    assert sorted(report.added) == ["wiki/dns", "wiki/oom"]
    assert report.docs == 2 and report.chunks == 2
    hit = Retriever(kb).search("container OOMKilled, raise memory").hits[0]
    assert hit.doc_id == "wiki/oom" and hit.reasons == ("OOMKilled",)


def test_reingest_is_incremental_by_content_hash(tmp_path: Path, docs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = KnowledgeBase(tmp_path / "kb")
    first = kb.ingest([docs])
    parsed: list[str] = []
    import kubesage.rag.store as store

    real = store.load_document  # type: ignore[attr-defined]

    def counting(file: Path, *args: object, **kwargs: object) -> object:
        parsed.append(file.name)
        return real(file, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "load_document", counting)
    again = kb.ingest([docs])
    assert again.unchanged == 2 and not again.changed and parsed == []
    assert again.generation == first.generation  # nothing changed: no new generation
    _doc(docs, "dns.md", "DNS runbook", "Check CoreDNS pods and the ndots setting.")
    third = kb.ingest([docs])
    assert third.updated == ["wiki/dns"] and third.unchanged == 1 and parsed == ["dns.md"]
    assert third.generation != first.generation
    assert "ndots" in Retriever(kb).search("CoreDNS ndots").hits[0].text


def test_prune_removes_deleted_files(tmp_path: Path, docs: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb")
    kb.ingest([docs])
    (docs / "dns.md").unlink()
    assert kb.ingest([docs]).removed == []  # without --prune the document stays
    report = kb.ingest([docs], prune=True)
    assert report.removed == ["wiki/dns"]
    assert list(kb.manifest()["docs"]) == ["wiki/oom"]


def test_crash_mid_ingest_keeps_old_index(tmp_path: Path, docs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = KnowledgeBase(tmp_path / "kb")
    kb.ingest([docs])
    before = kb.generation_dir()
    _doc(docs, "new.md", "New runbook", "Brand new text.")

    def crash(gen_dir: Path, chunks: list[object]) -> None:
        (gen_dir / "chunks.jsonl").write_text("half written", encoding="utf-8")
        raise KeyboardInterrupt  # the process dies mid-write

    monkeypatch.setattr(index_mod, "write_index", crash)
    with pytest.raises(KeyboardInterrupt):
        kb.ingest([docs])
    monkeypatch.undo()
    # A fresh process: the old generation is live and loads.
    assert kb.generation_dir() == before
    index_mod._CACHE.clear()
    assert sorted(kb.manifest()["docs"]) == ["wiki/dns", "wiki/oom"]
    assert Retriever(kb).search("CoreDNS").hits[0].doc_id == "wiki/dns"
    # A later ingest succeeds and cleans up.
    report = kb.ingest([docs])
    assert report.added == ["wiki/new"]
    assert not list(kb.path.glob(".tmp-*"))


def test_pointer_swap_is_last(tmp_path: Path, docs: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb")
    kb.ingest([docs])
    _doc(docs, "x.md", "X", "x text")
    kb.ingest([docs])
    gens = sorted(p.name for p in kb.path.glob("gen-*"))
    assert gens == ["gen-000001", "gen-000002"]
    assert (kb.path / CURRENT).read_text().strip() == "gen-000002"
    _doc(docs, "y.md", "Y", "y text")
    kb.ingest([docs])
    assert sorted(p.name for p in kb.path.glob("gen-*")) == ["gen-000002", "gen-000003"]  # older pruned


def test_corrupt_document_warns_and_is_skipped(tmp_path: Path, docs: Path) -> None:
    (docs / "broken.md").write_bytes(b"---\ntitle: [oops\n---\nbody")
    (docs / "binary.txt").write_bytes(b"\xff\xfe\x00\x01")
    kb = KnowledgeBase(tmp_path / "kb")
    report = kb.ingest([docs])
    assert sorted(report.added) == ["wiki/dns", "wiki/oom"]
    assert len(report.warnings) == 2
    assert all("\n" not in w and w.endswith("skipped") for w in report.warnings)
    assert any("broken.md" in w and "front matter" in w for w in report.warnings)


def test_corrupt_update_keeps_previous_version(tmp_path: Path, docs: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb")
    kb.ingest([docs])
    (docs / "dns.md").write_bytes(b"\xff\xfe broken")
    report = kb.ingest([docs])
    assert report.warnings and "wiki/dns" in kb.manifest()["docs"]


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KubesageError, match="no such file or directory"):
        KnowledgeBase(tmp_path / "kb").ingest([tmp_path / "nope"])


def test_refuses_to_write_into_foreign_directory(tmp_path: Path, docs: Path) -> None:
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"x")
    with pytest.raises(KubesageError, match="not a kubesage knowledge base"):
        KnowledgeBase(foreign).ingest([docs])
    assert [p.name for p in foreign.iterdir()] == ["cat.jpg"]


def test_remove_by_id_and_prefix(tmp_path: Path, docs: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb")
    kb.ingest([docs])
    assert kb.remove(["wiki/dns"]) == ["wiki/dns"]
    assert kb.remove(["wiki"]) == ["wiki/oom"]
    assert kb.manifest()["docs"] == {}
    with pytest.raises(KubesageError, match="no document matches"):
        kb.remove(["wiki"])


def test_concurrent_ingests_are_serialised(tmp_path: Path, docs: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb")
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            _doc(docs, f"t{i}.md", f"T{i}", f"thread {i} text")
            kb.ingest([docs])
        except BaseException as err:  # collected for the assertion below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert {f"wiki/t{i}" for i in range(4)} <= set(kb.manifest()["docs"])


def test_lock_timeout_is_a_clear_error(tmp_path: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb")
    with kb.lock():
        started = time.monotonic()
        with pytest.raises(KubesageError, match="another ingest holds the lock"), KnowledgeBase(kb.path).lock(0.2):
            pass
        assert time.monotonic() - started < 2


def test_broken_pointer_is_a_clear_error(tmp_path: Path, docs: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb")
    kb.ingest([docs])
    (kb.path / CURRENT).write_text("gen-999999\n")
    with pytest.raises(KubesageError, match="pointer is broken"):
        kb.index()


def test_retriever_follows_new_generations(tmp_path: Path, docs: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb")
    kb.ingest([docs])
    retriever = Retriever(kb)
    assert retriever.search("etcd defragmentation").hits == ()
    _doc(docs, "etcd.md", "etcd runbook", "Run etcd defragmentation on each member.")
    kb.ingest([docs])  # e.g. a `kb ingest` while the server runs
    assert retriever.search("etcd defragmentation").hits[0].doc_id == "wiki/etcd"
