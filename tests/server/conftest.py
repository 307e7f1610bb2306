"""Servers shared by the server tests (one KB, built once per session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from server_harness import run_server

from kubesage.rag.starter import knowledge_dir
from kubesage.rag.store import KnowledgeBase
from kubesage.server.app import ServerSettings


@pytest.fixture(scope="session")
def server_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = knowledge_dir()
    assert src is not None
    kb = KnowledgeBase(tmp_path_factory.mktemp("server") / "kb")
    kb.ingest([src])
    return kb.path


@pytest.fixture(scope="session")
def server(server_kb: Path) -> Iterator[str]:
    yield from run_server(ServerSettings(kb_path=str(server_kb)))


@pytest.fixture(scope="session")
def guarded_server(server_kb: Path) -> Iterator[str]:
    yield from run_server(ServerSettings(kb_path=str(server_kb), token="s3cret-token", max_body=4096))
