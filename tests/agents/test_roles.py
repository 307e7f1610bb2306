"""Static checks on every role kubesage ships: no `*`, no Secrets, no escalate/bind/impersonate."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubesage.agents.manifests import manifests
from kubesage.agents.roles import READER_RULES, fixer_rules, violations
from kubesage.remediate.actions.base import all_actions

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "deploy" / "helm" / "kubesage" / "templates").glob("agents-*.yaml"))


def rules_of(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for o in objs if o["kind"] in ("Role", "ClusterRole") for r in o["rules"]]


def test_no_shipped_rule_is_unsafe() -> None:
    objs = manifests("kubesage", list(all_actions()), ["shop", "payments"], coordinator="kubesage")
    assert rules_of(objs)
    assert violations(rules_of(objs)) == []


def test_the_checker_catches_what_it_must() -> None:
    bad = [
        {"apiGroups": ["*"], "resources": ["pods"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]},
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["escalate", "bind"]},
        {"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]},
    ]
    assert len(violations(bad)) == 5


def test_reader_never_reads_secrets_and_only_reads() -> None:
    for rule in READER_RULES:
        assert set(rule["verbs"]) == {"get", "list", "watch"}
        assert not any(r.startswith("secrets") for r in rule["resources"])


def test_fixer_gets_only_what_the_enabled_actions_touch() -> None:
    assert fixer_rules(["scale"]) == []
    assert fixer_rules(["resume-cronjob"]) == [{"apiGroups": ["batch"], "resources": ["cronjobs"], "verbs": ["patch"]}]
    assert fixer_rules(["delete-failed-pods", "fix-service-selector"]) == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]},
        {"apiGroups": [""], "resources": ["services"], "verbs": ["patch"]},
    ]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_chart_templates_have_no_wildcard_secret_or_escalation(path: Path) -> None:
    text = path.read_text()
    assert not re.search(r"\[\s*\"?\*\"?\s*[\],]|-\s*\"?\*\"?\s*$", text, re.M), "wildcard"
    assert "secrets" not in text
    for verb in ("escalate", "bind", "impersonate"):
        assert not re.search(
            rf"\b{verb}\b(?!ing)", text.replace("RoleBinding", "").replace("ClusterRoleBinding", "")
        ), verb


def _helm() -> Path:
    from tests.real_cluster import cluster_tool, unavailable

    helm = cluster_tool.bin_dir() / "helm"
    if not helm.is_file():
        unavailable("helm", f"not built in {cluster_tool.bin_dir()}")
    if not (ROOT / "deploy" / "helm" / "kubesage" / "Chart.yaml").is_file():
        unavailable("chart", "deploy/helm/kubesage/Chart.yaml missing")
    return helm


def _key(o: dict[str, Any]) -> tuple[str, str, str]:
    return (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])


def _norm(o: dict[str, Any]) -> Any:
    body = {k: v for k, v in o.items() if k in ("rules", "roleRef", "subjects")}
    for rule in body.get("rules", []):
        for k in list(rule):
            rule[k] = sorted(rule[k])
    return body


def test_helm_chart_renders_exactly_the_python_roles() -> None:
    helm = _helm()
    actions = list(all_actions())
    sets = [
        "agents.enabled=true",
        "agents.coordinatorServiceAccount=kubesage",
        f"remediation.actions={{{','.join(actions)}}}",
        "remediation.namespaces={shop,payments}",
    ]
    cmd = [str(helm), "template", "ks", str(ROOT / "deploy" / "helm" / "kubesage"), "-n", "kubesage", "--show-only"]
    objs: list[dict[str, Any]] = []
    for t in TEMPLATES:
        args = [*cmd, f"templates/{t.name}"]
        for s in sets:
            args += ["--set", s]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        objs += [d for d in yaml.safe_load_all(proc.stdout) if d]
    expected = manifests("kubesage", actions, ["shop", "payments"], coordinator="kubesage")
    assert {_key(o): _norm(o) for o in objs} == {_key(o): _norm(o) for o in expected}
    assert violations(rules_of(objs)) == []


def test_every_role_the_chart_ships_passes_the_static_check() -> None:
    """The whole chart (operator, RAG server, agents), default values plus agents enabled."""
    helm = _helm()
    args = [str(helm), "template", "ks", str(ROOT / "deploy" / "helm" / "kubesage"), "-n", "kubesage"]
    args += ["--set", "agents.enabled=true", "--set", f"remediation.actions={{{','.join(all_actions())}}}"]
    args += ["--set", "remediation.namespaces={shop}"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    roles = [d for d in yaml.safe_load_all(proc.stdout) if d and d["kind"] in ("Role", "ClusterRole")]
    assert len(roles) >= 8
    assert violations(rules_of(roles)) == []
