"""The live source against the fake API server: request shape, kubeconfig handling, and the faults a
real server does not produce on demand (429, 5xx, expired `continue`, a connection cut mid-list).

Pagination, 403, absent CRDs, Secret redaction and 401 run against the real API server in
tests/real/test_live_real.py."""

from __future__ import annotations

import socket
from collections import Counter
from pathlib import Path

import pytest
from fake_apiserver import FakeApiServer, FakeCluster, obj, pod, write_kubeconfig

from kubesage.cluster.kinds import KINDS, resolve_kinds
from kubesage.cluster.live import connect, failing_containers, fetch_logs, load_live
from kubesage.cluster.snapshot import ClusterSnapshot
from kubesage.errors import SourceError


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _populate(cluster: FakeCluster) -> None:
    cluster.add(
        pod("web-1", "team-a"),
        pod("web-2", "team-b"),
        obj("Service", "web", "team-a", spec={"selector": {"app": "web-1"}}),
        obj("Node", "node-1", status={"conditions": [{"type": "Ready", "status": "True"}]}),
        obj("Deployment", "web", "team-a", spec={"replicas": 1}, status={"readyReplicas": 1}),
    )


def test_one_paginated_list_per_kind_and_nothing_else(cluster: FakeCluster, kubeconfig: str) -> None:
    _populate(cluster)
    kinds = ["Pod", "Service", "Node", "Deployment", "ConfigMap"]
    snap = load_live(kinds, kubeconfig=kubeconfig, progress=False)

    lists = cluster.list_requests()
    assert sorted(r.path for r in lists) == sorted(KINDS[k].list_path() for k in kinds)
    assert all(r.query == {"limit": "500"} for r in lists)
    others = [r.path for r in cluster.requests if not r.is_list]
    assert others == ["/version"]
    assert snap.count() == 5
    assert snap.listed_kinds >= set(kinds)
    assert snap.get("Pod", "team-a", "web-1") is not None
    assert snap.get("Node", "", "node-1") is not None
    # Items get the kind and apiVersion the LIST leaves out.
    dep = snap.get("Deployment", "team-a", "web")
    assert dep is not None and dep["kind"] == "Deployment" and dep["apiVersion"] == "apps/v1"
    assert snap.warnings == []


def test_gzip_replies_are_decoded(cluster: FakeCluster, kubeconfig: str) -> None:
    cluster.gzip = True
    cluster.add(*(pod(f"p-{i:04d}") for i in range(600)))
    snap = load_live(["Pod"], kubeconfig=kubeconfig, progress=False)
    assert len(snap.objects("Pod")) == 600
    assert len(cluster.list_requests()) == 2
    assert cluster.gzipped_replies == 3  # /version and both pages


def test_installed_crd_is_listed(cluster: FakeCluster, kubeconfig: str) -> None:
    cluster.absent_groups.discard("gateway.networking.k8s.io")
    cluster.add(obj("HTTPRoute", "r", "team-a", spec={"parentRefs": [{"name": "gw"}]}))
    snap = load_live(["HTTPRoute", "Gateway"], kubeconfig=kubeconfig, progress=False)
    assert snap.has_kind("Gateway") and snap.objects("Gateway") == []
    assert [r.path for r in cluster.list_requests() if "httproutes" in r.path] == [
        "/apis/gateway.networking.k8s.io/v1/httproutes"
    ]
    route = snap.get("HTTPRoute", "team-a", "r")
    assert route is not None and route["apiVersion"] == "gateway.networking.k8s.io/v1"


def test_unknown_kind_warns(cluster: FakeCluster, kubeconfig: str) -> None:
    snap = load_live(["Pod", "Frobnicator", "Frobnicator"], kubeconfig=kubeconfig, progress=False)
    assert snap.warnings == ["unknown kind 'Frobnicator': not listed"]
    assert snap.has_kind("Pod")


def test_namespace_uses_namespaced_paths(cluster: FakeCluster, kubeconfig: str) -> None:
    _populate(cluster)
    snap = load_live(["Pod", "Node", "Service"], kubeconfig=kubeconfig, namespace="team-b", progress=False)
    paths = sorted(r.path for r in cluster.list_requests())
    assert paths == ["/api/v1/namespaces/team-b/pods", "/api/v1/namespaces/team-b/services", "/api/v1/nodes"]
    assert [o["metadata"]["name"] for o in snap.objects("Pod")] == ["web-2"]
    assert len(snap.objects("Node")) == 1


def test_invalid_namespace_is_one_line_error(kubeconfig: str) -> None:
    with pytest.raises(SourceError, match=r"invalid namespace 'a/b'"):
        load_live(["Pod"], kubeconfig=kubeconfig, namespace="a/b", progress=False)


def test_unreachable_server_is_one_line_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    kc = write_kubeconfig(tmp_path / "kc", url)
    with pytest.raises(SourceError) as info:
        load_live(["Pod"], kubeconfig=str(kc), progress=False)
    assert str(info.value) == f"cannot reach the Kubernetes API at {url}: connection refused"


def test_context_selects_cluster(apiserver: FakeApiServer, kubeconfig: str) -> None:
    with pytest.raises(SourceError, match=r"cannot reach the Kubernetes API at http://127\.0\.0\.1:9: "):
        load_live(["Pod"], kubeconfig=kubeconfig, context="dead", progress=False)
    with pytest.raises(SourceError, match=r"context 'nope' not found in .*available: fake, dead"):
        load_live(["Pod"], kubeconfig=kubeconfig, context="nope", progress=False)
    assert load_live(["Pod"], kubeconfig=kubeconfig, context="fake", progress=False).has_kind("Pod")


def test_kubeconfig_from_env_and_missing_config(
    apiserver: FakeApiServer, kubeconfig: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(SourceError, match=r"^no kubeconfig .* and not running in a cluster"):
        load_live(["Pod"], progress=False)
    with pytest.raises(SourceError, match=r"^kubeconfig /no/such/file: no such file$"):
        load_live(["Pod"], kubeconfig="/no/such/file", progress=False)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    with pytest.raises(SourceError, match=r"^cannot load in-cluster config: "):
        load_live(["Pod"], progress=False)
    monkeypatch.setenv("KUBECONFIG", f"/no/such/file:{kubeconfig}")
    assert load_live(["Pod"], progress=False).has_kind("Pod")


def test_malformed_kubeconfig_is_one_line_error(tmp_path: Path) -> None:
    kc = tmp_path / "kc"
    kc.write_text("apiVersion: v1\nkind: Config\nclusters: [\n", encoding="utf-8")
    with pytest.raises(SourceError) as info:
        load_live(["Pod"], kubeconfig=str(kc), progress=False)
    assert (
        str(info.value)
        == f"cannot load kubeconfig {kc}: invalid YAML at line 4: expected the node content, but found '<stream end>'"
    )


def test_not_a_kubernetes_api(tmp_path: Path) -> None:
    cluster = FakeCluster(token=None)
    server = FakeApiServer(cluster).start()
    try:
        kc = write_kubeconfig(tmp_path / "kc", server.url + "/prefix")
        with pytest.raises(SourceError, match=r"does not look like a Kubernetes API \(GET /version: 404"):
            load_live(["Pod"], kubeconfig=str(kc), progress=False)
    finally:
        server.stop()


def test_expired_continue_restarts_the_list_once(cluster: FakeCluster, kubeconfig: str) -> None:
    cluster.max_page = 10
    cluster.expire_continue_once = True
    cluster.add(*(pod(f"p-{i:02d}") for i in range(25)))
    snap = load_live(["Pod"], kubeconfig=kubeconfig, progress=False)
    assert len(snap.objects("Pod")) == 25
    starts = [r for r in cluster.list_requests() if "continue" not in r.query]
    assert len(starts) == 2  # the first attempt and the one restart


def test_throttled_list_is_retried(cluster: FakeCluster, kubeconfig: str) -> None:
    cluster.add(pod("p"))
    cluster.throttle_once.add("Pod")
    snap = load_live(["Pod"], kubeconfig=kubeconfig, progress=False)
    assert len(snap.objects("Pod")) == 1 and snap.warnings == []
    assert len(cluster.list_requests()) == 2


def test_server_errors_are_retried_then_reported(cluster: FakeCluster, kubeconfig: str) -> None:
    cluster.add(pod("p"), obj("Service", "s", "default"))
    cluster.fail["Pod"] = [503, 500]  # two failures, then the list succeeds
    cluster.fail["Service"] = [502, 503, 504]  # one more than the retry budget
    snap = load_live(["Pod", "Service"], kubeconfig=kubeconfig, progress=False)
    assert len(snap.objects("Pod")) == 1
    assert not snap.has_kind("Service")
    assert snap.warnings == ["cannot list services (504 Gateway Timeout): skipped"]
    counts = Counter(r.path for r in cluster.list_requests())
    assert counts == {"/api/v1/pods": 3, "/api/v1/services": 3}


def test_connection_cut_mid_list_is_retried(cluster: FakeCluster, kubeconfig: str) -> None:
    cluster.add(*(pod(f"p-{i}") for i in range(3)))
    cluster.cut_once.add("Pod")
    snap = load_live(["Pod"], kubeconfig=kubeconfig, progress=False)
    assert len(snap.objects("Pod")) == 3 and snap.warnings == []
    assert len(cluster.list_requests()) == 2


def test_concurrency_is_bounded_and_all_kinds_listed(cluster: FakeCluster, kubeconfig: str) -> None:
    infos, _ = resolve_kinds(KINDS)
    snap = load_live(list(KINDS), kubeconfig=kubeconfig, max_concurrency=3, progress=False)
    counts = Counter(r.path for r in cluster.list_requests())
    served = [i for i in infos if i.group not in cluster.absent_groups]
    assert set(counts) == {i.list_path() for i in infos}
    assert all(n == 1 for n in counts.values())
    assert snap.listed_kinds == {i.kind for i in served}


def test_failing_containers() -> None:
    statuses = [
        {"name": "ok", "restartCount": 0, "state": {"running": {}}},
        {"name": "crash", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}},
        {"name": "died", "restartCount": 0, "state": {"terminated": {"exitCode": 2}}},
        {"name": "done", "restartCount": 0, "state": {"terminated": {"exitCode": 0}}},
        {"name": "pulling", "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff"}}},
    ]
    p = pod("p", statuses=statuses)
    p["status"]["initContainerStatuses"] = [{"name": "init", "restartCount": 1, "state": {"running": {}}}]
    assert failing_containers(p) == [
        ("init", False),
        ("init", True),
        ("crash", False),
        ("crash", True),
        ("died", False),
    ]


def test_fetch_logs_of_failing_containers_only(cluster: FakeCluster, kubeconfig: str) -> None:
    crash = {"name": "app", "restartCount": 2, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
    cluster.add(pod("bad", "team-a", statuses=[crash]), pod("good", "team-a"))
    lines = "".join(f"line {i}\n" for i in range(150))
    cluster.logs[("team-a", "bad", "app", False)] = lines
    cluster.logs[("team-a", "bad", "app", True)] = "panic: boom\n"
    cluster.logs[("team-a", "good", "app", False)] = "all fine\n"
    snap = load_live(["Pod"], kubeconfig=kubeconfig, progress=False)
    cluster.requests.clear()

    assert fetch_logs(snap, kubeconfig=kubeconfig) == 2
    current = snap.logs("team-a", "bad", "app")
    assert current is not None and current.splitlines() == [f"line {i}" for i in range(50, 150)]
    assert snap.logs("team-a", "bad", "app", previous=True) == "panic: boom\n"
    assert snap.logs("team-a", "good", "app") is None
    log_reqs = [r for r in cluster.requests if r.path.endswith("/log")]
    assert {r.path for r in log_reqs} == {"/api/v1/namespaces/team-a/pods/bad/log"}
    assert sorted(r.query.get("previous", "false") for r in log_reqs) == ["false", "true"]
    assert all(r.query["tailLines"] == "100" and r.query["container"] == "app" for r in log_reqs)


def test_fetch_logs_forbidden_warns(cluster: FakeCluster, kubeconfig: str) -> None:
    crash = {"name": "app", "restartCount": 1, "state": {"running": {}}}
    cluster.add(pod("bad", statuses=[crash]))
    cluster.forbid_logs = True
    live = connect(kubeconfig)
    try:
        snap = live.snapshot(["Pod"], progress=False)
        assert fetch_logs(snap, cluster=live) == 0
    finally:
        live.close()
    assert snap.warnings == ["cannot read pods/log (403 Forbidden): container logs skipped"]
    assert not snap.has_logs()


def test_fetch_logs_without_failures_makes_no_request(cluster: FakeCluster) -> None:
    snap = ClusterSnapshot()
    snap.add(pod("good"))
    assert fetch_logs(snap, kubeconfig="/never/read") == 0
    assert cluster.requests == []
