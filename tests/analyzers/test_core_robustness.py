"""Core analyzers accept sparse objects (null/empty fields, as hand-written files have) without raising."""

from __future__ import annotations

from typing import Any

import pytest

from kubesage.analyzers.base import AnalysisContext
from kubesage.analyzers.registry import all_specs, run_analyzers
from kubesage.cluster.snapshot import ClusterSnapshot

CORE = [
    "Pod",
    "DaemonSet",
    "ReplicaSet",
    "PersistentVolumeClaim",
    "Service",
    "Ingress",
    "StatefulSet",
    "Job",
    "CronJob",
    "Node",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ConfigMap",
]


def _sparse_objects(kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = []
    for kind in kinds:
        ns = "" if kind in ("Node", "StorageClass", "IngressClass") or kind.endswith("WebhookConfiguration") else "ns"
        objs.append({"kind": kind, "metadata": {"name": "bare", "namespace": ns}})
        objs.append({"kind": kind, "metadata": {"name": "nulls", "namespace": ns}, "spec": None, "status": None})
        objs.append(
            {
                "kind": kind,
                "metadata": {"name": "empties", "namespace": ns, "labels": None, "ownerReferences": None},
                "spec": {"template": None, "selector": None, "rules": None, "tls": None, "replicas": None},
                "status": {"conditions": None, "containerStatuses": None, "phase": None},
                "webhooks": None,
                "subsets": None,
                "data": None,
            }
        )
    return objs


@pytest.mark.parametrize("name", CORE)
def test_sparse_objects_do_not_raise(name: str) -> None:
    spec = all_specs()[name]
    snap = ClusterSnapshot()
    snap.add_all(_sparse_objects(spec.kinds))
    analysis = run_analyzers(AnalysisContext(snap), [spec])
    assert analysis.errors == []


def test_core_group_is_k8sgpt_default_set() -> None:
    core = {s.name for s in all_specs().values() if s.group == "core"}
    assert core == {*CORE, "Deployment"}
