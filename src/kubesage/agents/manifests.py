"""The agents' ServiceAccounts, Roles and bindings as plain objects.

The Helm chart's templates/agents-*.yaml render the same objects (a test compares them);
this form is what tests and `kubesage` use to install agents without Helm.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kubesage.agents.roles import (
    AGENTS,
    READER_RULES,
    RECORDER_EVENT_RULES,
    RECORDER_RULES,
    SCALER_RULES,
    fixer_rules,
    token_rules,
)

RBAC = "rbac.authorization.k8s.io/v1"
LABELS = {"app.kubernetes.io/name": "kubesage", "app.kubernetes.io/component": "agents"}


def _sa(namespace: str, name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": name, "namespace": namespace, "labels": LABELS},
    }


def _role(kind: str, name: str, namespace: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": LABELS}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": RBAC, "kind": kind, "metadata": meta, "rules": rules}


def _binding(kind: str, name: str, namespace: str, role_kind: str, role: str, sa: str, sa_ns: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": LABELS}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": RBAC,
        "kind": kind,
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": sa_ns}],
    }


def manifests(
    namespace: str,
    actions: Iterable[str],
    namespaces: Iterable[str],
    coordinator: str = "",
    prefix: str = "kubesage-agent-",
) -> list[dict[str, Any]]:
    """Every object the agents need: `namespace` holds the ServiceAccounts and records,
    `namespaces` are the ones remediation may touch, `coordinator` is the ServiceAccount
    allowed to mint the agents' tokens ("" = none)."""
    actions = list(actions)
    out: list[dict[str, Any]] = [_sa(namespace, prefix + a) for a in AGENTS]
    reader = prefix + "reader"
    out.append(_role("ClusterRole", reader, "", READER_RULES))
    out.append(_binding("ClusterRoleBinding", reader, "", "ClusterRole", reader, reader, namespace))
    recorder = prefix + "recorder"
    out.append(_role("Role", recorder, namespace, RECORDER_RULES))
    out.append(_binding("RoleBinding", recorder, namespace, "Role", recorder, recorder, namespace))
    fixer = fixer_rules(actions)
    for ns in namespaces:
        if "scale" in actions:
            name = prefix + "scaler"
            out.append(_role("Role", name, ns, SCALER_RULES))
            out.append(_binding("RoleBinding", name, ns, "Role", name, name, namespace))
        if fixer:
            name = prefix + "fixer"
            out.append(_role("Role", name, ns, fixer))
            out.append(_binding("RoleBinding", name, ns, "Role", name, name, namespace))
        name = prefix + "recorder-events"
        out.append(_role("Role", name, ns, RECORDER_EVENT_RULES))
        out.append(_binding("RoleBinding", name, ns, "Role", name, recorder, namespace))
    if coordinator:
        name = prefix + "token-requester"
        out.append(_role("Role", name, namespace, token_rules(prefix + a for a in AGENTS)))
        out.append(_binding("RoleBinding", name, namespace, "Role", name, coordinator, namespace))
    return out
