"""Planning on snapshots: pure, read-only, one typed proposal per broken object."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from kubesage.analysis import AnalyzeRequest, analyze_snapshot
from kubesage.cluster.files import load_snapshot
from kubesage.cluster.snapshot import ClusterSnapshot
from kubesage.remediate import render
from kubesage.remediate.actions.base import all_actions
from kubesage.remediate.actions.fix_cronjob_schedule import normalized
from kubesage.remediate.actions.raise_memory_limit import raised
from kubesage.remediate.model import Proposal
from kubesage.remediate.pipeline import plan
from kubesage.remediate.policy import Policy

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-cluster"


def everything(**over: Any) -> Policy:
    spec: dict[str, Any] = {
        "enabled": True,
        "mode": "approve",
        "actions": list(all_actions()),
        "namespaces": ["*"],
        "maxObjectsPerInterval": 100,
        "maxPerNamespace": 100,
    }
    spec.update(over)
    return Policy.from_spec(spec)


def run(snap: ClusterSnapshot, pol: Policy | None = None) -> list[Proposal]:
    results = analyze_snapshot(snap, AnalyzeRequest()).results
    return plan(snap, results, pol or everything())


def by_target(proposals: list[Proposal]) -> dict[str, Proposal]:
    return {p.target.key: p for p in proposals}


def test_demo_plan_picks_one_typed_fix_per_broken_object() -> None:
    snap = load_snapshot([DEMO])
    before = copy.deepcopy({k: snap.objects(k) for k in snap.kinds()})
    proposals = by_target(run(snap))
    assert {k: p.action for k, p in proposals.items() if p.allowed} == {
        "Deployment/shop/checkout": "rollback-deployment",
        "Deployment/shop/cart": "rollback-deployment",
        "Deployment/shop/recommender": "raise-memory-limit",
        "Service/shop/frontend": "fix-service-selector",
        "Pod/shop/image-resizer-jhc9mmrjc6-rhbtr": "delete-failed-pods",
        "CronJob/data/nightly-report": "resume-cronjob",
    }
    rec = proposals["Deployment/shop/recommender"]
    assert [c.to_json() for c in rec.changes] == [
        {
            "path": "spec.template.spec.containers[name=recommender].resources.limits.memory",
            "from": "512Mi",
            "to": "1Gi",
        }
    ]
    assert rec.finding is not None and "OOMKilled" in " ".join(rec.finding.texts)
    sel = proposals["Service/shop/frontend"]
    assert [c.to_json() for c in sel.changes] == [
        {"path": "spec.selector", "from": {"app": "fronted"}, "to": {"app": "frontend"}}
    ]
    checkout = proposals["Deployment/shop/checkout"]
    old, new = checkout.changes[0].old, checkout.changes[0].new
    assert old["spec"]["containers"][0]["image"] == "ghcr.io/acme/checkout:v1.4.O"
    assert new["spec"]["containers"][0]["image"] == "ghcr.io/acme/checkout:v1.4.0"
    assert "pod-template-hash" not in new["metadata"]["labels"]
    # Planning is read-only: the snapshot is exactly as loaded.
    assert {k: snap.objects(k) for k in snap.kinds()} == before


def test_rendering_gives_patch_diff_and_guarded_kubectl() -> None:
    snap = load_snapshot([DEMO])
    proposals = by_target(run(snap))
    sel = proposals["Service/shop/frontend"]
    svc = snap.get("Service", "shop", "frontend")
    assert svc is not None
    cmd = render.kubectl(svc, sel)
    assert cmd.startswith("kubectl apply --server-side --field-manager=kubesage --force-conflicts -f - <<'EOF'")
    assert "resourceVersion:" in cmd and "fronted" not in cmd and "app: frontend" in cmd
    assert "-    app: fronted\n+    app: frontend" in render.diff(svc, render.planned(svc, sel))
    checkout = proposals["Deployment/shop/checkout"]
    dep = snap.get("Deployment", "shop", "checkout")
    assert dep is not None
    cmd = render.kubectl(dep, checkout)
    assert cmd.startswith("kubectl -n shop patch deployment checkout --type=json -p ")
    assert '"op": "test", "path": "/metadata/resourceVersion"' in cmd
    pod = proposals["Pod/shop/image-resizer-jhc9mmrjc6-rhbtr"]
    assert render.kubectl({}, pod) == "kubectl -n shop delete pod image-resizer-jhc9mmrjc6-rhbtr --wait=false"


def test_policy_limits_apply_to_rule_proposals_too() -> None:
    snap = load_snapshot([DEMO])
    proposals = run(snap, everything(namespaces=["payments"]))
    shop = [p for p in proposals if p.target.namespace == "shop"]
    assert shop and all(not p.allowed for p in shop)
    assert all(any("namespace shop is not allowed" in r for r in p.decision.reasons) for p in shop if p.decision)
    capped = run(snap, everything(maxObjectsPerInterval=2))
    assert sum(p.allowed for p in capped) == 2
    assert any("blast radius" in r for p in capped if not p.allowed and p.decision for r in p.decision.reasons)


def _snap(*objs: dict[str, Any]) -> ClusterSnapshot:
    snap = ClusterSnapshot()
    for o in objs:
        snap.add(copy.deepcopy(o))
    for kind in (
        "Pod",
        "Deployment",
        "ReplicaSet",
        "Service",
        "Endpoints",
        "Event",
        "CronJob",
        "ConfigMap",
        "StatefulSet",
        "DaemonSet",
    ):
        snap.mark_listed(kind)
    return snap


def _dep(name: str, replicas: int, labels: dict[str, str], uid: str = "u1") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "ns", "uid": uid, "generation": 1, "resourceVersion": "5"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80}]}]},
            },
        },
        "status": {
            "replicas": replicas,
            "availableReplicas": replicas,
            "readyReplicas": replicas,
            "updatedReplicas": replicas,
            "observedGeneration": 1,
        },
    }


def _svc(name: str, selector: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": "ns", "uid": "s1"},
            "spec": {"selector": selector, "ports": [{"port": 80, "targetPort": 80}]},
        },
        {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "namespace": "ns"}},
    ]


def test_scale_only_the_one_zero_replica_workload_a_service_selects() -> None:
    snap = _snap(
        _dep("cache", 0, {"app": "cache"}), _dep("web", 2, {"app": "web"}, "u2"), *_svc("cache", {"app": "cache"})
    )
    (p,) = [p for p in run(snap) if p.allowed]
    assert (p.action, p.target.key, [c.to_json() for c in p.changes]) == (
        "scale",
        "Deployment/ns/cache",
        [{"path": "spec.replicas", "from": 0, "to": 1}],
    )
    pol = everything(scale={"min": 2, "max": 4})
    (p,) = [p for p in run(snap, pol) if p.allowed]
    assert p.changes[0].new == 2


def test_selector_fix_needs_exactly_one_fitting_workload() -> None:
    two = _snap(_dep("a", 1, {"app": "a"}), _dep("b", 1, {"app": "b"}, "u2"), *_svc("front", {"app": "fronted"}))
    assert not [p for p in run(two) if p.allowed and p.action == "fix-service-selector"]
    one = _snap(_dep("front", 1, {"app": "front"}), *_svc("front", {"app": "fronted"}))
    (p,) = [p for p in run(one) if p.allowed]
    assert p.changes[0].to_json() == {"path": "spec.selector", "from": {"app": "fronted"}, "to": {"app": "front"}}


def test_cronjob_resume_and_schedule_fix_only_for_their_findings() -> None:
    cj = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "r", "namespace": "ns", "uid": "c1"},
        "spec": {"schedule": "*/5 * * * *", "suspend": True},
    }
    (p,) = [p for p in run(_snap(cj)) if p.allowed]
    assert (p.action, p.changes[0].to_json()) == ("resume-cronjob", {"path": "spec.suspend", "from": True, "to": False})
    bad = copy.deepcopy(cj)
    bad["spec"] = {"schedule": "0 */5 * * * *", "suspend": False}
    (p,) = [p for p in run(_snap(bad)) if p.allowed]
    assert (p.action, p.changes[0].new) == ("fix-cronjob-schedule", "*/5 * * * *")
    unclear = copy.deepcopy(cj)
    unclear["spec"] = {"schedule": "every tuesday", "suspend": False}
    assert run(_snap(unclear)) == []


def test_schedule_normalisation_and_memory_ceiling() -> None:
    assert normalized(" '@HOURLY' ") == "@hourly"
    assert normalized("0 30 2 * * *") == "30 2 * * *"
    assert normalized("*/5 * * * *") is None
    assert normalized("61 * * * *") is None
    assert raised("128Mi", 2, "4Gi") == "256Mi"
    assert raised("3Gi", 2, "4Gi") == "4Gi"
    assert raised("100M", 1.5, "4Gi") == "144Mi"


def test_nothing_broken_nothing_proposed() -> None:
    snap = _snap(_dep("web", 2, {"app": "web"}))
    assert run(snap) == []
