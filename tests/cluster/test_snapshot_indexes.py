"""ClusterSnapshot's lazy indexes stay correct as objects are added, and loading pauses the GC safely."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest

from kubesage.cluster import files
from kubesage.cluster.files import load_snapshot
from kubesage.cluster.snapshot import ClusterSnapshot


def _pod(ns: str, name: str, labels: dict[str, str] | None = None, uid: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "labels": labels or {}}
    if uid:
        meta["uid"] = uid
    return {"kind": "Pod", "metadata": meta}


def test_namespace_lists_and_label_index_see_later_adds() -> None:
    snap = ClusterSnapshot()
    snap.add(_pod("a", "p1", {"app": "web"}))
    assert [o["metadata"]["name"] for o in snap.objects("Pod", "a")] == ["p1"]
    assert [o["metadata"]["name"] for o in snap.select("Pod", "a", {"app": "web"})] == ["p1"]
    snap.add(_pod("a", "p2", {"app": "web", "tier": "fe"}))
    snap.add(_pod("b", "p3", {"app": "web"}))
    assert [o["metadata"]["name"] for o in snap.objects("Pod", "a")] == ["p1", "p2"]
    assert [o["metadata"]["name"] for o in snap.objects("Pod", "b")] == ["p3"]
    assert snap.objects("Pod", "missing") == []
    assert [o["metadata"]["name"] for o in snap.select("Pod", "a", {"app": "web"})] == ["p1", "p2"]
    assert [o["metadata"]["name"] for o in snap.select("Pod", "", {"app": "web", "tier": "fe"})] == ["p2"]
    assert len(snap.select("Pod", "", {"app": "web"})) == 3


def test_adding_another_kind_keeps_cached_lists_valid() -> None:
    snap = ClusterSnapshot()
    snap.add(_pod("a", "p1", {"app": "web"}))
    first = snap.objects("Pod", "a")
    snap.add({"kind": "Service", "metadata": {"name": "web", "namespace": "a"}})
    assert snap.objects("Pod", "a") == first
    assert [o["metadata"]["name"] for o in snap.objects("Service", "a")] == ["web"]


def test_replacing_an_object_by_name_updates_lookups() -> None:
    snap = ClusterSnapshot()
    snap.add(_pod("a", "p1", {"v": "1"}))
    assert snap.select("Pod", "a", {"v": "1"})
    snap.add(_pod("a", "p1", {"v": "2"}))
    assert snap.count() == 1
    assert snap.select("Pod", "a", {"v": "1"}) == []
    assert snap.get("Pod", "a", "p1") is not None
    assert snap.get("Pod", "a", "p1")["metadata"]["labels"] == {"v": "2"}  # type: ignore[index]


def test_add_tolerates_odd_metadata() -> None:
    snap = ClusterSnapshot()
    snap.add({"kind": "Node", "metadata": {"name": "n1"}})
    snap.add({"kind": "Pod", "metadata": None})
    snap.add({"kind": "Pod", "metadata": {"name": 7, "namespace": None}})
    snap.add({"metadata": {"name": "no-kind"}})
    snap.add({"kind": "", "metadata": {"name": "empty-kind"}})
    assert snap.get("Node", "", "n1") is not None
    assert snap.get("Pod", "", "") is not None
    assert snap.get("Pod", "", "7") is not None
    assert snap.count() == 3
    assert snap.listed_kinds == {"Node", "Pod"}


def test_owner_children_and_events_indexes() -> None:
    snap = ClusterSnapshot()
    rs = {"kind": "ReplicaSet", "metadata": {"name": "web-1", "namespace": "a", "uid": "rs-uid"}}
    pod = _pod("a", "web-1-x", uid="pod-uid")
    pod["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "web-1", "uid": "rs-uid"}]
    event = {
        "kind": "Event",
        "metadata": {"name": "e1", "namespace": "a"},
        "involvedObject": {"kind": "Pod", "namespace": "a", "name": "web-1-x", "uid": "pod-uid"},
        "lastTimestamp": "2026-01-01T00:00:00Z",
    }
    snap.add_all([rs, pod, event])
    assert snap.children(rs) == [pod]
    assert snap.owner(pod, pod["metadata"]["ownerReferences"][0]) is rs
    assert snap.events_for("Pod", "a", "web-1-x", "pod-uid") == [event]
    assert snap.latest_event("Pod", "a", "web-1-x") is event


def _write_list(path: Path, n: int) -> None:
    items = [_pod("ns", f"p{i}", {"app": f"a{i % 7}"}) for i in range(n)]
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}), encoding="utf-8")


@pytest.mark.parametrize("enabled", [True, False])
def test_loading_restores_the_gc_state(tmp_path: Path, enabled: bool) -> None:
    _write_list(tmp_path / "pods.json", 50)
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        snap = load_snapshot([tmp_path])
        assert gc.isenabled() is enabled
        assert snap.count() == 50
    finally:
        gc.enable() if was else gc.disable()


def test_gc_state_restored_after_a_load_error(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    assert gc.isenabled()
    with pytest.raises(files.SourceError):
        load_snapshot([tmp_path])
    assert gc.isenabled()


def test_large_loads_move_objects_out_of_the_collectors_reach(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_list(tmp_path / "pods.json", 30)
    gc.unfreeze()
    monkeypatch.setattr(files, "_FREEZE_AFTER", 1_000)
    load_snapshot([tmp_path])
    assert gc.get_freeze_count() == 0
    monkeypatch.setattr(files, "_FREEZE_AFTER", 20)
    snap = load_snapshot([tmp_path])
    try:
        assert gc.get_freeze_count() > 0
        assert gc.is_tracked(snap.objects("Pod")[0])
    finally:
        gc.unfreeze()
