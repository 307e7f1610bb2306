"""Optional, beyond-k8sgpt and lint analyzers accept sparse and oddly-typed objects without raising."""

from __future__ import annotations

from typing import Any

import pytest

from kubesage.analyzers.base import AnalysisContext
from kubesage.analyzers.registry import all_specs, run_analyzers
from kubesage.cluster.snapshot import ClusterSnapshot

MINE = sorted(n for n, s in all_specs().items() if s.group in ("optional", "extra", "lint"))


def _odd_objects(kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = []
    for kind in (*kinds, "Event"):
        for ns in ("", "kube-system"):
            objs.append({"kind": kind, "metadata": {"name": f"bare-{ns}", "namespace": ns}})
            objs.append(
                {"kind": kind, "metadata": {"name": f"nulls-{ns}", "namespace": ns}, "spec": None, "status": None}
            )
            objs.append(
                {
                    "kind": kind,
                    "metadata": {"name": f"empties-{ns}", "namespace": ns, "labels": None, "annotations": None},
                    "spec": {
                        "template": None,
                        "selector": None,
                        "rules": None,
                        "containers": None,
                        "volumes": None,
                        "ports": None,
                        "scaleTargetRef": None,
                        "parentRefs": None,
                        "listeners": None,
                        "podSelector": None,
                        "source": None,
                        "capacity": None,
                        "resources": None,
                    },
                    "status": {"conditions": None, "containerStatuses": None, "phase": None, "connectionState": None},
                    "rules": None,
                    "roleRef": None,
                    "involvedObject": None,
                    "subsets": None,
                }
            )
            objs.append(
                {
                    "kind": kind,
                    "metadata": {"name": f"typed-{ns}", "namespace": ns, "labels": {"k8s-app": "kube-dns"}},
                    "spec": {
                        "selector": {"k8s-app": "kube-dns"},
                        "replicas": "two",
                        "containers": [{"name": "c", "image": "", "ports": [{"containerPort": "http"}]}],
                        "ports": [{"port": "x", "targetPort": None}],
                        "capacity": {"storage": "lots"},
                        "resources": {"requests": {"storage": "?"}},
                        "scaleTargetRef": {"kind": "Deployment"},
                        "minReplicas": "x",
                    },
                    "status": {
                        "containerStatuses": [
                            {"name": "c", "restartCount": "x", "state": {"running": {}}, "lastState": {}}
                        ],
                        "conditions": [{"type": "Ready", "status": "False"}],
                    },
                    "reason": "Killing",
                    "message": "Container c failed liveness probe",
                    "involvedObject": {"kind": "Pod", "name": f"typed-{ns}", "namespace": ns},
                }
            )
    return objs


@pytest.mark.parametrize("name", MINE)
def test_odd_objects_do_not_raise(name: str) -> None:
    spec = all_specs()[name]
    snap = ClusterSnapshot()
    snap.add_all(_odd_objects(spec.kinds))
    analysis = run_analyzers(AnalysisContext(snap), [spec])
    assert analysis.errors == []
