"""An analyzer that raises on one object loses only that object (registry._contain)."""

from __future__ import annotations

from kubesage.analyzers.base import AnalysisContext
from kubesage.analyzers.registry import MAX_SKIPPED_OBJECTS, AnalyzerSpec, run_analyzers
from kubesage.cluster.snapshot import ClusterSnapshot
from kubesage.results import Failure, Result


def _snap(pods: list[dict[str, object]], services: list[dict[str, object]] | None = None) -> ClusterSnapshot:
    snap = ClusterSnapshot()
    for p in pods:
        snap.add({"kind": "Pod", **p})
    for s in services or []:
        snap.add({"kind": "Service", **s})
    return snap


def _pod(name: str, **extra: object) -> dict[str, object]:
    return {"metadata": {"name": name, "namespace": "ns"}, **extra}


def _per_pod(ctx: AnalysisContext) -> list[Result]:
    out = []
    for pod in ctx.objects("Pod"):
        ports = sum(c["port"] for c in pod["spec"]["containers"])  # raises on a broken pod
        out.append(Result("Pod", f"ns/{pod['metadata']['name']}", [Failure(f"ports {ports}", [])]))
    return out


def _pods_by_services(ctx: AnalysisContext) -> list[Result]:
    out = []
    for pod in ctx.objects("Pod"):
        for svc in ctx.objects("Service"):
            _ = svc["spec"]["selector"]["app"]  # raises on a broken service: blame the service
        out.append(Result("Pod", f"ns/{pod['metadata']['name']}", [Failure("seen", [])]))
    return out


def _spec(name: str, run: object) -> AnalyzerSpec:
    return AnalyzerSpec(name, "extra", "test", ("Pod", "Service"), run, False)  # type: ignore[arg-type]


GOOD = {"spec": {"containers": [{"port": 80}]}}


def test_broken_object_is_skipped_and_named_others_kept() -> None:
    snap = _snap([_pod("a", **GOOD), _pod("bad", spec={"containers": 7}), _pod("c", **GOOD)])
    analysis = run_analyzers(AnalysisContext(snap), [_spec("Ports", _per_pod)])
    assert [r.name for r in analysis.results] == ["ns/a", "ns/c"]
    assert analysis.errors == ["[Ports] Pod ns/bad: TypeError: 'int' object is not iterable; object skipped"]


def test_inner_loop_object_is_blamed_not_the_outer_one() -> None:
    good_svc = {"metadata": {"name": "web", "namespace": "ns"}, "spec": {"selector": {"app": "web"}}}
    bad_svc = {"metadata": {"name": "broken", "namespace": "ns"}, "spec": {"selector": None}}
    snap = _snap([_pod("a"), _pod("b")], [good_svc, bad_svc])
    analysis = run_analyzers(AnalysisContext(snap), [_spec("Both", _pods_by_services)])
    assert [r.name for r in analysis.results] == ["ns/a", "ns/b"]
    assert len(analysis.errors) == 1 and analysis.errors[0].startswith("[Both] Service ns/broken: TypeError")


def test_failure_outside_any_object_loop_drops_the_analyzer_with_a_warning() -> None:
    def broken(ctx: AnalysisContext) -> list[Result]:
        raise RuntimeError("bug")

    analysis = run_analyzers(AnalysisContext(_snap([_pod("a")])), [_spec("Bug", broken)])
    assert analysis.results == [] and analysis.errors == ["[Bug] RuntimeError: bug; no results from this analyzer"]


def test_at_most_a_bounded_number_of_objects_are_skipped() -> None:
    pods = [_pod(f"bad{i:02d}", spec={"containers": 7}) for i in range(MAX_SKIPPED_OBJECTS + 5)]
    analysis = run_analyzers(AnalysisContext(_snap([_pod("a", **GOOD), *pods])), [_spec("Ports", _per_pod)])
    assert analysis.results == []
    assert len(analysis.errors) == MAX_SKIPPED_OBJECTS + 1
    assert analysis.errors[-1].endswith("no results from this analyzer")
