"""The kinds table: LIST paths, lookups, coverage of every analyzer, and the documented RBAC role."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from kubesage.analyzers.registry import all_specs
from kubesage.cluster.kinds import KINDS, resolve_kinds

ROOT = Path(__file__).resolve().parents[2]


def test_list_paths() -> None:
    assert KINDS["Pod"].list_path() == "/api/v1/pods"
    assert KINDS["Pod"].list_path("shop") == "/api/v1/namespaces/shop/pods"
    assert KINDS["Node"].list_path("shop") == "/api/v1/nodes"
    assert KINDS["Deployment"].list_path("shop") == "/apis/apps/v1/namespaces/shop/deployments"
    assert KINDS["HorizontalPodAutoscaler"].api_version == "autoscaling/v2"
    assert KINDS["OperatorGroup"].api_version == "operators.coreos.com/v1"
    assert KINDS["ClusterExtension"].list_path("x") == "/apis/olm.operatorframework.io/v1/clusterextensions"


def test_resolve_accepts_plurals_and_warns_once_per_unknown() -> None:
    infos, warnings = resolve_kinds(["pods", "Node", "Pod", "Widget", "Widget"])
    assert [i.kind for i in infos] == ["Pod", "Node"]
    assert warnings == ["unknown kind 'Widget': not listed"]


def test_every_analyzer_kind_is_listable() -> None:
    needed = {k for spec in all_specs().values() for k in spec.kinds}
    assert sorted(needed - set(KINDS)) == []


def test_documented_rbac_role_matches_the_table() -> None:
    text = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(apiVersion: rbac.*?)```", text, re.S)
    assert block is not None
    role = next(d for d in yaml.safe_load_all(block.group(1)) if d["kind"] == "ClusterRole")
    granted: set[tuple[str, str]] = set()
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                verbs = set(rule["verbs"])
                assert verbs == ({"get"} if resource == "pods/log" else {"get", "list"}), resource
                granted.add((group, resource))
    expected = {(k.group, k.plural) for k in KINDS.values()} | {("", "pods/log")}
    assert granted == expected


def test_analyzers_that_name_parents_read_the_owner_kinds() -> None:
    """parentObject comes from owner lookups: live runs must list the owners a snapshot holds."""
    import importlib

    from kubesage.analyzers.base import PARENT_KINDS

    for spec in all_specs().values():
        source = Path(importlib.import_module(spec.module).__file__ or "").read_text(encoding="utf-8")
        names_parents = "ctx.parent(" in source or "parent_of(" in source
        if names_parents:
            assert set(PARENT_KINDS) <= set(spec.kinds), f"{spec.name} names parents but does not read all owners"
