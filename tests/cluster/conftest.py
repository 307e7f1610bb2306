"""Fixtures: a running fake API server and a kubeconfig pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_apiserver import FakeApiServer, FakeCluster, write_kubeconfig


@pytest.fixture
def apiserver() -> Iterator[FakeApiServer]:
    server = FakeApiServer(FakeCluster()).start()
    yield server
    server.stop()


@pytest.fixture
def cluster(apiserver: FakeApiServer) -> FakeCluster:
    return apiserver.cluster


@pytest.fixture
def kubeconfig(apiserver: FakeApiServer, tmp_path: Path) -> str:
    return str(write_kubeconfig(tmp_path / "kubeconfig", apiserver.url))
