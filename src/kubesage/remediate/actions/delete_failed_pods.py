"""Delete a Failed or Evicted pod whose controller has already replaced it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesage.cluster.snapshot import ClusterSnapshot, meta
from kubesage.remediate.actions.base import Action, Obj, require, split_name
from kubesage.remediate.model import Change, Target
from kubesage.results import Result

if TYPE_CHECKING:
    from kubesage.remediate.policy import Policy

REPLACING_OWNERS = ("ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController")


def _owner_kind(pod: Obj) -> str:
    for ref in meta(pod).get("ownerReferences") or ():
        if ref.get("controller"):
            return str(ref.get("kind") or "")
    return ""


class DeleteFailedPods(Action):
    name = "delete-failed-pods"
    summary = "Delete a Failed or Evicted pod left behind by its controller"
    fixes = "an Evicted or Failed pod of a ReplicaSet, StatefulSet or DaemonSet"
    patterns = (r"[Ee]vict|The node was low on resource|has been evicted", r"the termination reason is")
    kinds = ("Pod",)
    fields = ()
    agent = "fixer"
    strategy = "delete"
    verify_doc = "the pod is gone (or replaced by a new pod with another uid)"
    undo_doc = "none needed: the pod is terminal and its controller already runs a replacement"
    reversible = False

    def targets_of(self, snap: ClusterSnapshot, result: Result) -> list[Target]:
        if result.kind != "Pod":
            return []
        ns, name = split_name(result.name)
        pod = snap.get("Pod", ns, name)
        if pod is None or (pod.get("status") or {}).get("phase") != "Failed":
            return []
        return [Target("Pod", ns, name)] if _owner_kind(pod) in REPLACING_OWNERS else []

    def build(
        self,
        snap: ClusterSnapshot,
        obj: Obj,
        target: Target,
        params: dict[str, Any],
        policy: Policy,
        finding: Result | None,
    ) -> list[Change]:
        require((obj.get("status") or {}).get("phase") == "Failed", f"pod {target.name} is not Failed")
        owner = _owner_kind(obj)
        require(
            owner in REPLACING_OWNERS,
            f"pod {target.name} is not owned by a controller that replaces it ({owner or 'no owner'})",
        )
        params["uid"] = str(meta(obj).get("uid") or "")
        return []

    def verify(self, obj: Obj | None, target: Target, snap: ClusterSnapshot, results: list[Result]) -> tuple[bool, str]:
        if obj is None:
            return True, "pod deleted"
        if (obj.get("status") or {}).get("phase") != "Failed":
            return True, "replaced by a new pod"
        return False, "pod still present"


ACTION = DeleteFailedPods()
