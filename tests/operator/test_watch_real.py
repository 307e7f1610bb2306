"""The watch-fed source on the real API server: sync, events, resume after a dropped connection
(no re-list), 403 as "unknown", and a snapshot rebuilt only when something changed. 410 Gone is
in test_watch_wire.py: a real server keeps old versions until etcd compacts (every 5 minutes)."""

from __future__ import annotations

from typing import Any

import pytest
from opproc import wait_for

from kubesage.cluster.live import connect
from kubesage.cluster.watch import WatchSource, _abort

pytestmark = pytest.mark.real


def _has(src: WatchSource, ns: str, name: str) -> bool:
    return src.snapshot().get("ConfigMap", ns, name) is not None


def test_watch_follows_and_resumes_after_a_drop(real_cluster: Any, real_namespace: str) -> None:
    ns = real_namespace
    real_cluster.kubectl("create", "configmap", "a", "-n", ns, "--from-literal=k=v")
    src = WatchSource(connect(str(real_cluster.kubeconfig)), ["ConfigMap"], [ns], watch_timeout=60)
    try:
        assert src.wait_synced(30)
        assert _has(src, ns, "a") and src.snapshot().has_kind("ConfigMap")
        snap = src.snapshot()
        assert src.snapshot() is snap  # nothing changed: the same snapshot, not rebuilt
        lists, watches = src.counters.lists, src.counters.watches
        assert lists == 1 and watches == 1

        real_cluster.kubectl("create", "configmap", "b", "-n", ns)
        wait_for(lambda: _has(src, ns, "b"), 20, "the watch event for b")
        assert src.snapshot() is not snap

        feed = next(iter(src._feeds.values()))
        wait_for(lambda: feed.response is not None, 10, "an open watch")
        _abort(feed.response)  # the connection drops
        real_cluster.kubectl("create", "configmap", "c", "-n", ns)
        wait_for(lambda: _has(src, ns, "c"), 30, "c after the watch resumed")
        assert src.counters.reconnects + src.counters.watches > watches
        assert src.counters.lists == lists  # resumed from its resourceVersion: no re-list

        real_cluster.kubectl("delete", "configmap", "a", "-n", ns)
        wait_for(lambda: not _has(src, ns, "a"), 20, "the delete event")

    finally:
        src.stop()


def test_forbidden_kind_is_unknown_not_empty(real_cluster: Any, real_namespace: str, tmp_path: Any) -> None:
    kubeconfig = real_cluster.sa_kubeconfig(real_namespace, "nobody", tmp_path / "kc")
    src = WatchSource(connect(str(kubeconfig)), ["ConfigMap"], [real_namespace])
    try:
        assert src.wait_synced(30)
        snap = src.snapshot()
        assert not snap.has_kind("ConfigMap")
        assert any("cannot list configmaps" in w and "403" in w for w in snap.warnings)
    finally:
        src.stop()


def test_logs_are_fetched_once_per_pod_version(real_demo: Any) -> None:
    """The Log analyzer's logs (kwok serves the demo's): fetched for a pod once, not every interval."""
    src = WatchSource(connect(str(real_demo.kubeconfig)), ["Pod"], ["shop", "payments"])
    try:
        assert src.wait_synced(30)
        snap = src.snapshot()
        fetched = src.fetch_logs(snap)
        gets = src.counters.log_gets
        assert fetched >= 1 and gets >= fetched and snap.has_logs()
        again = src.snapshot()
        assert again is snap  # nothing changed
        assert src.fetch_logs(again) == 0 and src.counters.log_gets == gets  # no GET: cached per pod version
        fresh = WatchSource(connect(str(real_demo.kubeconfig)), ["Pod"], ["shop", "payments"])
        try:
            assert fresh.wait_synced(30)
            other = fresh.snapshot()
            fresh.fetch_logs(other)
            assert other.log_keys() == snap.log_keys()  # the cache holds what a fresh fetch gets
        finally:
            fresh.stop()
    finally:
        src.stop()
