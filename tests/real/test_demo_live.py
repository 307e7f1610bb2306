"""examples/demo-cluster on the real API server: live analysis equals the snapshot's, byte for byte."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubesage.analyzers.registry import all_specs
from kubesage.cli.app import app
from real_cluster import RealCluster

pytestmark = pytest.mark.real

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo-cluster"
ANALYZERS = list(all_specs())
FILTERS = [
    pytest.param([], id="default"),
    pytest.param(["--lint"], id="default+lint"),
    *(pytest.param(["-f", name], id=name) for name in ANALYZERS),
    pytest.param(["-f", ",".join(n for n, s in all_specs().items() if s.group == "optional")], id="all-optional"),
    pytest.param(["-f", ",".join(n for n, s in all_specs().items() if s.group == "extra")], id="all-extra"),
]


def _analyze(*args: str) -> str:
    result = CliRunner().invoke(app, ["analyze", "-o", "json", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("args", FILTERS)
def test_live_equals_snapshot(real_demo: RealCluster, args: list[str]) -> None:
    live = _analyze("--kubeconfig", str(real_demo.kubeconfig), *args)
    files = _analyze("--snapshot", str(DEMO), *args)
    assert live == files


def test_demo_failures_survive_kwok(real_demo: RealCluster) -> None:
    """kwok runs but manages none of the demo's nodes: recorded statuses stay as applied."""
    pods = json.loads(real_demo.kubectl("get", "pods", "-n", "shop", "-o", "json").stdout)["items"]
    phases = {p["metadata"]["name"]: p["status"].get("phase") for p in pods}
    assert phases["checkout-7d9f8c6b5d-6fz4x"] == "Pending"
    waiting = [
        cs["state"]["waiting"]["reason"]
        for p in pods
        if p["metadata"]["name"].startswith("cart-")
        for cs in p["status"]["containerStatuses"]
    ]
    assert waiting == ["CrashLoopBackOff", "CrashLoopBackOff"]
    # Owner references were rewritten to the uids the API server gave the owners.
    rs = json.loads(real_demo.kubectl("get", "rs", "cart-5c7b9d8f6d", "-n", "shop", "-o", "json").stdout)
    assert {p["metadata"]["ownerReferences"][0]["uid"] for p in pods if p["metadata"]["name"].startswith("cart-")} == {
        rs["metadata"]["uid"]
    }


def test_one_list_per_kind_and_no_per_object_gets(real_demo: RealCluster) -> None:
    since = real_demo.audit_offset()
    _analyze("--kubeconfig", str(real_demo.kubeconfig), "--lint", "-f", ",".join(ANALYZERS))
    events = real_demo.audit_events(since)
    assert events, "no kubesage requests in the audit log"
    lists = Counter(
        (e["objectRef"].get("apiGroup", ""), e["objectRef"]["resource"]) for e in events if e["verb"] == "list"
    )
    assert lists and all(n == 1 for n in lists.values()), lists
    gets = [e for e in events if e["verb"] == "get"]
    # The only GETs: /version once, and pods/log for the Log analyzer (one per container read).
    non_log = [e.get("requestURI") for e in gets if (e.get("objectRef") or {}).get("subresource") != "log"]
    assert non_log == ["/version"]
    assert all(e["objectRef"]["resource"] == "pods" for e in gets if e.get("objectRef"))
    assert {e["verb"] for e in events} <= {"list", "get"}


def test_snapshot_save_round_trips(real_demo: RealCluster, tmp_path: Path) -> None:
    out = tmp_path / "saved"
    result = CliRunner().invoke(
        app, ["snapshot", "save", "-o", str(out), "--kubeconfig", str(real_demo.kubeconfig), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    for args in ([], ["--lint"]):
        assert _analyze("--snapshot", str(out), *args) == _analyze("--kubeconfig", str(real_demo.kubeconfig), *args)


def test_pod_analyzers_name_their_parents_live(real_demo: RealCluster) -> None:
    """The bug that slipped through: live `-f Log` (and friends) gave parentObject "" for Deployment pods."""
    for name in ("Log", "OOMKilled", "Probe", "Mount", "ContainerConfig"):
        live = json.loads(_analyze("--kubeconfig", str(real_demo.kubeconfig), "-f", name))["results"] or []
        files = json.loads(_analyze("--snapshot", str(DEMO), "-f", name))["results"] or []
        assert {r["name"]: r["parentObject"] for r in live} == {r["name"]: r["parentObject"] for r in files}
        assert any(r["parentObject"].startswith("Deployment/") for r in live), name
