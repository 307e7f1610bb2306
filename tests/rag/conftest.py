"""Knowledge bases built once per test session (the starter runbooks, and runbooks + k8s docs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesage.rag.starter import knowledge_dir
from kubesage.rag.store import KnowledgeBase

K8S_DOCS = Path("/work/shared/data/k8s-docs")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def starter_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    src = knowledge_dir()
    assert src is not None, "knowledge/ runbooks not found"
    kb = KnowledgeBase(tmp_path_factory.mktemp("starter") / "kb")
    kb.ingest([src])
    return kb


@pytest.fixture(scope="session")
def docs_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    if not K8S_DOCS.is_dir():
        pytest.skip("k8s docs corpus not available")
    src = knowledge_dir()
    assert src is not None
    kb = KnowledgeBase(tmp_path_factory.mktemp("docs") / "kb")
    kb.ingest([src, K8S_DOCS])
    return kb
