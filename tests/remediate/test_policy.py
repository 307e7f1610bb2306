from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kubesage.errors import KubesageError
from kubesage.remediate.model import Change, Finding, Proposal, Target
from kubesage.remediate.policy import Applied, Policy

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def policy(**over: object) -> Policy:
    spec = {
        "enabled": True,
        "mode": "auto",
        "actions": ["scale", "raise-memory-limit", "rollback-deployment"],
        "namespaces": ["shop"],
    }
    spec.update(over)
    return Policy.from_spec(spec)


def proposal(
    action: str = "scale",
    ns: str = "shop",
    kind: str = "Deployment",
    changes: list[Change] | None = None,
    finding_ns: str = "shop",
) -> Proposal:
    return Proposal(
        action,
        Target(kind, ns, "web"),
        changes=changes if changes is not None else [Change("spec.replicas", 0, 2)],
        finding=Finding("Service", f"{finding_ns}/web", ["Service has no endpoints, expected label app=web"]),
    )


def test_from_spec_defaults_follow_the_contract() -> None:
    p = Policy.from_spec({})
    assert (p.enabled, p.mode, p.actions, p.namespaces) == (False, "plan", (), ())
    assert (p.max_objects_per_interval, p.max_per_namespace, p.verify_timeout_seconds) == (3, 1, 120)
    assert (p.scale_min, p.scale_max, p.memory_max_factor, p.memory_cap) == (1, 10, 2.0, "4Gi")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"mode": "yolo"}, "mode 'yolo'"),
        ({"actions": ["delete-namespace"]}, "unknown action 'delete-namespace'"),
        ({"verifyTimeoutSeconds": 1}, "verifyTimeoutSeconds"),
        ({"scale": {"min": 5, "max": 2}}, "scale bounds"),
        ({"memory": {"maxFactor": 9}}, "maxFactor"),
        ({"memory": {"cap": "lots"}}, "cap 'lots'"),
        ({"maxPerNamespace": "x"}, "invalid remediation policy"),
    ],
)
def test_from_spec_rejects_bad_values_in_one_line(spec: dict, message: str) -> None:
    with pytest.raises(KubesageError, match=message) as err:
        Policy.from_spec(spec)
    assert "\n" not in str(err.value)


def test_allowed_proposal() -> None:
    assert policy().check(proposal(), now=NOW).allowed


def test_each_gate_gives_its_reason() -> None:
    def reasons(pol: Policy, p: Proposal, history: list[Applied] | None = None) -> str:
        d = pol.check(p, history or [], NOW)
        assert not d.allowed
        return " | ".join(d.reasons)

    assert "disabled" in reasons(policy(enabled=False), proposal())
    assert "action scale is not allowed" in reasons(policy(actions=["rollback-deployment"]), proposal())
    assert "does not touch Service" in reasons(policy(), proposal(kind="Service"))
    assert "namespace other is not allowed" in reasons(policy(), proposal(ns="other", finding_ns="other"))
    assert "kube-system (protected)" in reasons(
        policy(namespaces=["*"]), proposal(ns="kube-system", finding_ns="kube-system")
    )
    assert "cross-namespace" in reasons(policy(), proposal(finding_ns="payments"))
    no_finding = proposal()
    no_finding.finding = None
    assert "no active finding" in reasons(policy(), no_finding)
    assert "does not declare: spec.template.spec.containers[name=app].image" in reasons(
        policy(), proposal(changes=[Change("spec.template.spec.containers[name=app].image", "a", "b")])
    )
    assert "replicas 0 outside" in reasons(policy(), proposal(changes=[Change("spec.replicas", 3, 0)]))
    assert "replicas 50 outside" in reasons(policy(), proposal(changes=[Change("spec.replicas", 3, 50)]))
    mem = "spec.template.spec.containers[name=app].resources.limits.memory"
    assert "is not within" in reasons(policy(), proposal("raise-memory-limit", changes=[Change(mem, "256Mi", "1Gi")]))
    assert "is not within" in reasons(
        policy(memory={"cap": "300Mi"}), proposal("raise-memory-limit", changes=[Change(mem, "256Mi", "512Mi")])
    )


def test_star_covers_ordinary_namespaces_but_not_protected_ones() -> None:
    pol = policy(namespaces=["*"])
    assert pol.namespace_allowed("shop")
    assert not pol.namespace_allowed("kube-system")
    assert policy(namespaces=["kube-system"]).namespace_allowed("kube-system")


def test_blast_radius_caps_objects_per_interval_and_per_namespace() -> None:
    recent = [Applied(NOW - timedelta(minutes=5), "shop", "Deployment/shop/a")]
    d = policy().check(proposal(), recent, NOW)
    assert not d.allowed and "in namespace shop" in d.reasons[0]
    old = [Applied(NOW - timedelta(hours=2), "shop", "Deployment/shop/a")]
    assert policy().check(proposal(), old, NOW).allowed
    many = [Applied(NOW, f"ns{i}", f"Deployment/ns{i}/x") for i in range(3)]
    d = policy(maxPerNamespace=5).check(proposal(), many, NOW)
    assert not d.allowed and "3 objects already changed" in d.reasons[0]
