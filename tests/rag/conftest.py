"""Knowledge bases built once per test session (the starter runbooks, and runbooks + k8s docs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesage.rag.starter import knowledge_dir
from kubesage.rag.store import KnowledgeBase

ROOT = Path(__file__).resolve().parents[2]
# The shared corpus sits beside the repository (../shared), in a checkout and in CI alike.
K8S_DOCS = ROOT.parent / "shared" / "data" / "k8s-docs"


@pytest.fixture(scope="session")
def starter_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    src = knowledge_dir()
    assert src is not None, "knowledge/ runbooks not found"
    kb = KnowledgeBase(tmp_path_factory.mktemp("starter") / "kb")
    kb.ingest([src])
    return kb


@pytest.fixture(scope="session")
def docs_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    assert K8S_DOCS.is_dir(), f"the Kubernetes docs corpus is missing at {K8S_DOCS} (../shared beside the repo)"
    src = knowledge_dir()
    assert src is not None
    kb = KnowledgeBase(tmp_path_factory.mktemp("docs") / "kb")
    kb.ingest([src, K8S_DOCS])
    return kb
