"""The agents' exact RBAC rules: one source of truth, rendered by the Helm chart
(deploy/helm/kubesage/templates/agents-*.yaml) and checked against it by the tests.

- reader:   get/list/watch on what analysis needs, cluster-wide; never Secrets.
- scaler:   patch on deployments/scale and statefulsets/scale, per allowed namespace.
- fixer:    patch (delete for pods) on the kinds the enabled actions touch, per allowed namespace.
- recorder: Remediation records in kubesage's namespace; Events in the allowed namespaces.
No rule uses `*`, Secrets, or the escalate/bind/impersonate verbs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

AGENTS = ("reader", "scaler", "fixer", "recorder")
READ = ["get", "list", "watch"]
GROUP = "core.kubesage.dev"

READER_RULES: list[dict[str, Any]] = [
    {
        "apiGroups": [""],
        "resources": [
            "configmaps",
            "endpoints",
            "events",
            "limitranges",
            "namespaces",
            "nodes",
            "persistentvolumeclaims",
            "persistentvolumes",
            "pods",
            "pods/log",
            "replicationcontrollers",
            "resourcequotas",
            "serviceaccounts",
            "services",
        ],
        "verbs": READ,
    },
    {"apiGroups": ["apps"], "resources": ["daemonsets", "deployments", "replicasets", "statefulsets"], "verbs": READ},
    {"apiGroups": ["batch"], "resources": ["cronjobs", "jobs"], "verbs": READ},
    {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": READ},
    {
        "apiGroups": ["networking.k8s.io"],
        "resources": ["ingressclasses", "ingresses", "networkpolicies"],
        "verbs": READ,
    },
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": READ},
    {"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses"], "verbs": READ},
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": READ},
    {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": READ},
    {
        "apiGroups": ["admissionregistration.k8s.io"],
        "resources": ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"],
        "verbs": READ,
    },
    {
        "apiGroups": ["gateway.networking.k8s.io"],
        "resources": ["gatewayclasses", "gateways", "httproutes"],
        "verbs": READ,
    },
    {"apiGroups": [GROUP], "resources": ["kubesages", "remediations", "results"], "verbs": READ},
]

SCALER_RULES: list[dict[str, Any]] = [
    {"apiGroups": ["apps"], "resources": ["deployments/scale", "statefulsets/scale"], "verbs": ["patch"]},
]

# (apiGroup, resource, verb) each action's writes need.
ACTION_WRITES: dict[str, tuple[str, str, str]] = {
    "rollback-deployment": ("apps", "deployments", "patch"),
    "restart-rollout": ("apps", "deployments", "patch"),
    "raise-memory-limit": ("apps", "deployments", "patch"),
    "fix-service-selector": ("", "services", "patch"),
    "delete-failed-pods": ("", "pods", "delete"),
    "resume-cronjob": ("batch", "cronjobs", "patch"),
    "fix-cronjob-schedule": ("batch", "cronjobs", "patch"),
}
_RAISE_STATEFULSET = ("apps", "statefulsets", "patch")


def fixer_rules(actions: Iterable[str]) -> list[dict[str, Any]]:
    """The fixer's rules for the enabled actions: one rule per (group, verb), sorted."""
    wanted: set[tuple[str, str, str]] = set()
    for action in actions:
        if action in ACTION_WRITES:
            wanted.add(ACTION_WRITES[action])
        if action == "raise-memory-limit":
            wanted.add(_RAISE_STATEFULSET)
    grouped: dict[tuple[str, str], list[str]] = {}
    for group, resource, verb in sorted(wanted):
        grouped.setdefault((group, verb), []).append(resource)
    return [{"apiGroups": [g], "resources": sorted(r), "verbs": [v]} for (g, v), r in sorted(grouped.items())]


RECORDER_RULES: list[dict[str, Any]] = [
    {
        "apiGroups": [GROUP],
        "resources": ["remediations"],
        "verbs": ["create", "get", "list", "patch", "update", "watch"],
    },
    {"apiGroups": [GROUP], "resources": ["remediations/status"], "verbs": ["get", "patch", "update"]},
]
RECORDER_EVENT_RULES: list[dict[str, Any]] = [
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
    {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch"]},
]


def token_rules(service_accounts: Iterable[str]) -> list[dict[str, Any]]:
    """The coordinator's only extra right: TokenRequests for the agents' ServiceAccounts."""
    return [
        {
            "apiGroups": [""],
            "resources": ["serviceaccounts/token"],
            "resourceNames": sorted(service_accounts),
            "verbs": ["create"],
        }
    ]


FORBIDDEN_VERBS = frozenset({"escalate", "bind", "impersonate"})


def violations(rules: Iterable[dict[str, Any]]) -> list[str]:
    """What makes a rule unsafe to ship: wildcards, Secrets, escalate/bind/impersonate."""
    out: list[str] = []
    for rule in rules:
        for key in ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"):
            if "*" in (rule.get(key) or ()):
                out.append(f"wildcard in {key}: {rule}")
        if any(str(r).split("/")[0] == "secrets" for r in rule.get("resources") or ()):
            out.append(f"Secret access: {rule}")
        bad = FORBIDDEN_VERBS & set(rule.get("verbs") or ())
        if bad:
            out.append(f"verbs {sorted(bad)}: {rule}")
        if rule.get("nonResourceURLs"):
            out.append(f"non-resource URLs: {rule}")
    return out
