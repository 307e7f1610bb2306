"""The default KB: starter runbooks built on first use, refreshed when they change, user docs kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kubesage.config import Config
from kubesage.errors import KubesageError
from kubesage.rag import starter
from kubesage.rag.ingest import iter_files
from kubesage.rag.store import KnowledgeBase


@pytest.fixture
def runbooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    src = starter.knowledge_dir()
    assert src is not None
    copy = tmp_path / "knowledge"
    copy.mkdir()
    for file in list(iter_files(src))[:3]:
        shutil.copy(file, copy / file.name)
    (copy / "README.md").write_text("# About these runbooks\n", encoding="utf-8")  # metadata: never ingested
    monkeypatch.setenv("KUBESAGE_KNOWLEDGE_DIR", str(copy))
    monkeypatch.setattr(starter, "_CHECKED", set())
    return copy


def test_default_kb_is_built_on_first_use(runbooks: Path) -> None:
    s = starter.settings()
    assert s.default and s.path == starter.default_kb_path()
    kb = starter.open_kb(s)
    expected = sorted(f"knowledge/{p.stem}" for p in runbooks.glob("*.md") if p.name != "README.md")
    assert sorted(kb.manifest()["docs"]) == expected and len(expected) == 3
    assert kb.manifest()["starter_hash"] == starter.starter_hash(runbooks)


def test_starter_refresh_keeps_user_documents(runbooks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = starter.open_kb(starter.settings())
    wiki = tmp_path / "wiki"
    wiki.mkdir()
    (wiki / "sop.md").write_text("# SOP\n\nPage the payments team.\n", encoding="utf-8")
    kb.ingest([wiki])
    first = next(iter_files(runbooks))
    first.unlink()
    (runbooks / "extra-runbook.md").write_text("# Extra\n\nExtra text.\n", encoding="utf-8")
    monkeypatch.setattr(starter, "_CHECKED", set())  # a new process
    docs = starter.open_kb(starter.settings()).manifest()["docs"]
    assert "wiki/sop" in docs and "knowledge/extra-runbook" in docs
    assert f"knowledge/{first.stem}" not in docs


def test_explicit_path_wins_and_must_exist(tmp_path: Path) -> None:
    s = starter.settings(Config(kb={"path": str(tmp_path / "cfg-kb")}), explicit=str(tmp_path / "flag-kb"))
    assert s.path == tmp_path / "flag-kb" and not s.default
    with pytest.raises(KubesageError, match="no knowledge base at"):
        starter.open_kb(s)
    assert starter.settings(Config(kb={"path": str(tmp_path / "cfg-kb")})).path == tmp_path / "cfg-kb"


def test_bad_settings_are_one_line_errors() -> None:
    with pytest.raises(KubesageError, match="between 0 and 1"):
        starter.settings(Config(kb={"threshold": 2}))
    with pytest.raises(KubesageError, match="top_k an integer"):
        starter.settings(Config(kb={"top_k": "many"}))


def test_repo_knowledge_dir_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBESAGE_KNOWLEDGE_DIR", raising=False)
    found = starter.knowledge_dir()
    assert found is not None and found.name == "knowledge" and any(found.glob("*.md"))
    assert isinstance(KnowledgeBase(found.parent / "unused"), KnowledgeBase)
