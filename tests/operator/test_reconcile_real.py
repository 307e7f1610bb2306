"""One KubeSage's passes against the real API server, with a controlled clock and hand-made snapshots:
write throttling (rate and per-Result window), `onResolved: mark`, and the per-sink rate limit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opproc import ROOT, results

from kubesage.cluster.snapshot import ClusterSnapshot
from kubesage.operator.metrics import OperatorMetrics
from kubesage.operator.reconcile import Reconciler
from llm.wire import FakeServer, Reply

pytestmark = pytest.mark.real


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Env:
    ns: str
    api: Any
    cluster: Any
    body: dict[str, Any]
    clock: Clock
    rec: Reconciler
    gen: int = 0

    def tick(self, services: dict[str, str]) -> Any:
        """A pass over a snapshot holding one Service (selecting nothing) per name -> selector value."""
        snap = ClusterSnapshot()
        for name, value in services.items():
            snap.add({"apiVersion": "v1", "kind": "Service",
                      "metadata": {"name": name, "namespace": self.ns, "uid": f"uid-{name}"},
                      "spec": {"selector": {"app": value}, "ports": [{"port": 80}]}})  # fmt: skip
            snap.add({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "namespace": self.ns}})
        for kind in ("Service", "Endpoints", "Pod", "Event"):
            snap.mark_listed(kind)
        self.gen += 1
        return self.rec.tick(snap, self.gen)

    def configure(self, **spec: Any) -> None:
        self.body["spec"] = {"filters": ["Service"], **spec}
        self.body["metadata"]["generation"] = self.body["metadata"].get("generation", 1) + 1
        self.rec.configure(self.body)

    def stored(self) -> dict[str, dict[str, Any]]:
        return {r["spec"]["name"].split("/", 1)[1]: r for r in results(self.api, self.ns).values()}


@pytest.fixture
def env(real_cluster: Any, real_namespace: str) -> Iterator[Env]:
    for crd in ("kubesage.yaml", "result.yaml"):
        real_cluster.kubectl("apply", "--server-side", "-f", str(ROOT / "deploy" / "crds" / crd))
    real_cluster.kubectl("wait", "--for=condition=Established", "crd/results.core.kubesage.dev")
    sage = "apiVersion: core.kubesage.dev/v1alpha1\nkind: KubeSage\nmetadata: {name: sage}\n"
    real_cluster.kubectl("apply", "-n", real_namespace, "-f", "-", input=sage)
    from kubernetes import client

    api = real_cluster.api_client()
    body = client.CustomObjectsApi(api).get_namespaced_custom_object(
        "core.kubesage.dev", "v1alpha1", real_namespace, "kubesages", "sage"
    )
    clock = Clock()

    def no_secrets(*_: str) -> str:
        raise AssertionError("no Secret is referenced")

    rec = Reconciler(real_namespace, "sage", api_client=api, metrics=OperatorMetrics(), read_secret=no_secrets,
                     clock=clock)  # fmt: skip
    yield Env(real_namespace, api, real_cluster, body, clock, rec)


def test_writes_are_throttled_and_a_flapping_object_waits_its_window(env: Env) -> None:
    env.configure(results={"maxWritesPerSecond": 1, "minUpdateSeconds": 30})
    report = env.tick({f"s{i}": "none" for i in range(5)})
    assert report.created == 2 and report.deferred == 3  # burst of 2 at 1 write/s
    assert len(env.stored()) == 2
    env.clock.now += 3  # the bucket refills up to its burst
    report = env.tick({f"s{i}": "none" for i in range(5)})
    assert report.created == 2 and report.deferred == 1
    env.clock.now += 1
    assert env.tick({f"s{i}": "none" for i in range(5)}).created == 1
    assert len(env.stored()) == 5

    # s0 flaps: its failure text changes every second; the others stay as they are.
    def flap(value: str) -> Any:
        return env.tick({"s0": value, **{f"s{i}": "none" for i in range(1, 5)}})

    env.clock.now += 31
    assert flap("v1").updated == 1
    first = env.stored()["s0"]
    assert first["status"]["lifecycle"] == "updated" and "app=v1" in first["spec"]["error"][0]["text"]
    for i in range(2, 6):
        env.clock.now += 1
        report = flap(f"v{i}")
        assert report.updated == 0 and report.deferred == 1
    assert env.stored()["s0"]["spec"]["error"][0]["text"] == first["spec"]["error"][0]["text"]
    env.clock.now += 30
    assert flap("v5").updated == 1  # the latest state, once the window has passed
    assert "app=v5" in env.stored()["s0"]["spec"]["error"][0]["text"]


def test_resolved_results_are_marked_historical_or_deleted(env: Env) -> None:
    env.configure(results={"onResolved": "mark"})
    env.tick({"a": "none", "b": "none"})
    report = env.tick({"a": "none"})
    assert report.resolved == 1
    stored = env.stored()
    assert stored["b"]["status"]["lifecycle"] == "historical" and stored["a"]["status"]["lifecycle"] == "created"
    env.configure(results={"onResolved": "delete"})
    assert env.tick({}).resolved == 2  # under "delete", the historical one goes too
    assert env.stored() == {}


def test_sink_rate_limit_defers_and_catches_up(env: Env) -> None:
    hook = FakeServer(lambda rec: Reply(200, {})).start()
    try:
        env.configure(sinks=[{"name": "hook", "type": "webhook", "url": hook.url,
                              "rateLimit": {"perMinute": 6, "burst": 2}}])  # fmt: skip
        env.tick({f"s{i}": "none" for i in range(5)})
        assert len(hook.requests) == 2
        assert env.rec.status()["sinks"][0]["pending"] == 3
        env.clock.now += 10  # one token per 10 s
        env.tick({f"s{i}": "none" for i in range(5)})
        assert len(hook.requests) == 3
        env.clock.now += 60
        env.tick({f"s{i}": "none" for i in range(5)})
        assert len(hook.requests) == 5 and env.rec.status()["sinks"][0]["pending"] == 0
        env.clock.now += 60
        env.tick({f"s{i}": "none" for i in range(5)})
        assert len(hook.requests) == 5  # every Result told once
        names = sorted(r.json()["result"]["objectName"].split("/")[1] for r in hook.requests)
        assert names == [f"s{i}" for i in range(5)]
    finally:
        hook.stop()
