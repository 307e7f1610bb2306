"""Operator tests reuse the wire servers in tests/llm/wire.py (imported as `llm.wire`).

This directory has no __init__.py: a package named `operator` would shadow the stdlib module.
"""

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.append(_TESTS)

from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from real_cluster import cluster_tool  # noqa: E402

# The root conftest points XDG_CACHE_HOME at a temp dir for each test; the cluster binaries stay
# where `make cluster-build` put them.
_CLUSTER_CACHE = str(cluster_tool.cache_dir())


@pytest.fixture(autouse=True)
def _cluster_binaries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("KUBESAGE_CLUSTER_CACHE", _CLUSTER_CACHE)
    yield
