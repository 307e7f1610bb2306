"""Inputs captured from the real test cluster (see fixtures/real/README.md).

- `kubectl cluster-info dump > FILE` (concatenated JSON, log sections) under any name and in a directory;
- `kubectl cluster-info dump --output-directory` with kubectl's `Request log error:` placeholders;
- `events.k8s.io/v1` Events, read like the same events in core/v1 form.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubesage.cli.app import app
from kubesage.cluster.files import load_snapshot
from kubesage.cluster.snapshot import event_time

REAL = Path(__file__).parent / "fixtures" / "real"
EXPECTED = [
    ("Deployment", "shop/checkout", "Deployment shop/checkout has 2 replicas but 0 are available with status running"),
    ("Pod", "shop/checkout-5d94fcf4c5-4rhl8", "0/2 nodes are available: 2 node(s) had untolerated taint(s)."),
    ("Pod", "shop/checkout-5d94fcf4c5-tzd2t", "0/2 nodes are available: 2 node(s) had untolerated taint(s)."),
    ("Pod", "shop/worker", "the last termination reason is Error container=worker pod=worker"),
]
PLACEHOLDER_CONTAINERS = [
    ("shop", "catalog-6d68fbc447-pdqbh", "app"),
    ("shop", "catalog-6d68fbc447-pdqbh", "sidecar"),
    ("shop", "worker", "worker"),
]


def _analyze(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["analyze", *args, "-o", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def _summary(doc: dict[str, object]) -> list[tuple[str, str, str]]:
    results = doc["results"] or []
    assert isinstance(results, list)
    return [(r["kind"], r["name"], r["error"][0]["Text"][:60]) for r in results]


def _expected() -> list[tuple[str, str, str]]:
    return [(k, n, t[:60]) for k, n, t in EXPECTED]


@pytest.mark.parametrize("name", ["dump.txt", "dump.json", "cluster-dump"])
def test_stdout_dump_loads_under_any_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    shutil.copy(REAL / "dump.txt", path)
    doc = _analyze("--snapshot", str(path))
    assert _summary(doc) == _expected()
    assert doc["problems"] == 4
    results = doc["results"]
    assert isinstance(results, list)
    pods = [r for r in results if r["kind"] == "Pod"]
    assert {p["parentObject"] for p in pods} == {"Deployment/checkout", ""}


def test_stdout_dump_inside_a_directory(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    shutil.copy(REAL / "dump.txt", tmp_path / "shared" / "dump.txt")
    (tmp_path / "shared" / "notes.txt").write_text("captured for ticket 4711\n")
    assert _summary(_analyze("--snapshot", str(tmp_path))) == _expected()


def test_stdout_dump_content() -> None:
    snap = load_snapshot([REAL / "dump.txt"])
    assert {k: len(snap.objects(k)) for k in snap.kinds()} == {
        "Deployment": 2,
        "Event": 5,
        "Node": 2,
        "Pod": 4,
        "ReplicaSet": 2,
        "Service": 2,
    }
    assert snap.has_kind("DaemonSet") and snap.has_kind("ReplicationController")  # listed, empty
    for ns, pod, container in PLACEHOLDER_CONTAINERS:
        assert snap.logs(ns, pod, container) is None  # kubectl's placeholder is not a log
    assert snap.logs("shop", "checkout-5d94fcf4c5-4rhl8", "app") == ""  # never started: empty section
    [warning] = snap.warnings
    assert "kubectl could not fetch the logs of 3 container(s)" in warning


@pytest.mark.parametrize("source", ["dump.txt", "dump-dir"])
def test_log_filter_reports_no_placeholder_as_a_container_error(source: str) -> None:
    doc = _analyze("--snapshot", str(REAL / source), "-f", "Log")
    assert doc["problems"] == 0 and doc["results"] is None
    errors = doc["errors"]
    assert isinstance(errors, list) and errors and all("could not fetch the logs" in e for e in errors)


def test_output_directory_gives_the_same_results_as_stdout() -> None:
    assert _summary(_analyze("--snapshot", str(REAL / "dump-dir"))) == _expected()


def test_events_k8s_io_v1_are_read_like_core_events() -> None:
    v1 = load_snapshot([REAL / "events-v1.yaml"])
    core = load_snapshot([REAL / "events-core.yaml"])
    assert len(v1.objects("Event")) == len(core.objects("Event")) == 5

    def view(snap: object, kind: str, ns: str, name: str) -> list[tuple[object, ...]]:
        events = snap.events_for(kind, ns, name)  # type: ignore[attr-defined]
        return sorted((e["reason"], e["message"], e["type"], e.get("count") or 1, str(event_time(e))) for e in events)

    refs = {(e["involvedObject"]["kind"], e["involvedObject"]["name"]) for e in core.objects("Event")}
    assert ("PersistentVolumeClaim", "orders-data") in refs
    for kind, name in refs:
        assert view(v1, kind, "shop", name) == view(core, kind, "shop", name), (kind, name)
    [pvc_event] = v1.events_for("PersistentVolumeClaim", "shop", "orders-data")
    assert pvc_event["count"] == 7  # from `series`


def test_pvc_failure_found_from_events_k8s_io_v1() -> None:
    v1 = _analyze("--snapshot", str(REAL / "pvcs.yaml"), "--snapshot", str(REAL / "events-v1.yaml"))
    core = _analyze("--snapshot", str(REAL / "pvcs.yaml"), "--snapshot", str(REAL / "events-core.yaml"))
    assert v1["results"] == core["results"]
    assert _summary(v1) == [
        ("PersistentVolumeClaim", "shop/orders-data", 'storageclass.storage.k8s.io "fast-ssd" not found')
    ]
