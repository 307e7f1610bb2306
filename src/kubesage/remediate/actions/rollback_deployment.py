"""Roll a Deployment back to its last healthy revision (bad image, crash after a rollout, stuck rollout)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from kubesage.analyzers.base import as_int
from kubesage.cluster.snapshot import ClusterSnapshot, annotations_of, name_of
from kubesage.remediate.actions.base import Obj, RolloutAction, owned_by, require, workload_of
from kubesage.remediate.model import Change, Target
from kubesage.results import Result

if TYPE_CHECKING:
    from kubesage.remediate.policy import Policy

REVISION = "deployment.kubernetes.io/revision"
HASH_LABEL = "pod-template-hash"


def healthy_template(rs: Obj) -> Obj:
    """The ReplicaSet's pod template as the Deployment held it (without the hash label)."""
    tpl = copy.deepcopy((rs.get("spec") or {}).get("template") or {})
    labels = (tpl.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
    return tpl


class RollbackDeployment(RolloutAction):
    name = "rollback-deployment"
    summary = "Roll a Deployment back to its last healthy revision"
    fixes = "pods of a Deployment failing to pull their image or crash-looping after a rollout, or a stuck rollout"
    patterns = (
        r"ImagePullBackOff|ErrImagePull|InvalidImageName|Back-off pulling image|Failed to pull image",
        r"CrashLoopBackOff|the last termination reason is|the termination reason is",
        r"rollout is stuck",
    )
    kinds = ("Deployment",)
    fields = ("spec.template",)
    agent = "fixer"
    strategy = "json-patch"
    verify_doc = "the Deployment rolls out (all replicas updated and available) and no pod of it has the finding"
    undo_doc = "put back the pod template it replaced, guarded by resourceVersion and value tests"
    params = {
        "revision": {
            "type": "integer",
            "minimum": 1,
            "description": "an earlier revision (default: the last healthy one)",
        }
    }

    def targets_of(self, snap: ClusterSnapshot, result: Result) -> list[Target]:
        target = workload_of(result)
        return [target] if target else []

    def build(
        self,
        snap: ClusterSnapshot,
        obj: Obj,
        target: Target,
        params: dict[str, Any],
        policy: Policy,
        finding: Result | None,
    ) -> list[Change]:
        current = as_int(annotations_of(obj).get(REVISION))
        sets = [rs for rs in owned_by(snap, "ReplicaSet", obj) if as_int(annotations_of(rs).get(REVISION)) < current]
        require(bool(sets), f"Deployment {target.namespace}/{target.name} has no earlier revision to roll back to")
        if params.get("revision") is not None:
            wanted = int(params["revision"])
            chosen = [rs for rs in sets if as_int(annotations_of(rs).get(REVISION)) == wanted]
            require(bool(chosen), f"revision {wanted} is not an earlier revision of {target.name}")
            rs = chosen[0]
        else:
            # Prefer an older ReplicaSet that still has ready pods; else the latest earlier revision.
            serving = [r for r in sets if as_int((r.get("status") or {}).get("readyReplicas")) > 0]
            rs = max(serving or sets, key=lambda r: as_int(annotations_of(r).get(REVISION)))
        old = (obj.get("spec") or {}).get("template") or {}
        new = healthy_template(rs)
        require(new != old, f"revision {annotations_of(rs).get(REVISION)} has the same pod template")
        params["revision"] = as_int(annotations_of(rs).get(REVISION))
        params["replicaSet"] = name_of(rs)
        return [Change("spec.template", copy.deepcopy(old), new)]


ACTION = RollbackDeployment()
