"""Restart a Deployment's rollout when a ConfigMap its pods use was (re)created after they started."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kubesage.analyzers.base import pod_spec
from kubesage.cluster.snapshot import ClusterSnapshot, meta, namespace_of
from kubesage.remediate.actions.base import Obj, RolloutAction, owned_by, require, workload_of
from kubesage.remediate.fields import MISSING, get
from kubesage.remediate.model import Change, Target
from kubesage.results import Result

if TYPE_CHECKING:
    from kubesage.remediate.policy import Policy

RESTARTED_AT = "spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt"


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def config_maps(spec: Mapping[str, Any]) -> set[str]:
    """ConfigMaps a pod spec reads (volumes, env, envFrom)."""
    names: set[str] = set()
    for vol in spec.get("volumes") or ():
        cm = vol.get("configMap") if isinstance(vol, Mapping) else None
        if isinstance(cm, Mapping) and cm.get("name"):
            names.add(str(cm["name"]))
    for c in list(spec.get("containers") or ()) + list(spec.get("initContainers") or ()):
        for src in c.get("envFrom") or ():
            ref = src.get("configMapRef") if isinstance(src, Mapping) else None
            if isinstance(ref, Mapping) and ref.get("name"):
                names.add(str(ref["name"]))
        for env in c.get("env") or ():
            ref = ((env.get("valueFrom") or {}).get("configMapKeyRef")) if isinstance(env, Mapping) else None
            if isinstance(ref, Mapping) and ref.get("name"):
                names.add(str(ref["name"]))
    return names


def changed_underneath(snap: ClusterSnapshot, dep: Obj) -> list[str]:
    """ConfigMaps of `dep` created after its oldest current pod started."""
    pods = [p for rs in owned_by(snap, "ReplicaSet", dep) for p in owned_by(snap, "Pod", rs)]
    starts = [t for p in pods if (t := _time(meta(p).get("creationTimestamp")))]
    if not starts:
        return []
    oldest = min(starts)
    out = []
    for name in sorted(config_maps(pod_spec(dep))):
        cm = snap.get("ConfigMap", namespace_of(dep), name)
        created = _time(meta(cm).get("creationTimestamp")) if cm else None
        if created and created > oldest:
            out.append(name)
    return out


class RestartRollout(RolloutAction):
    name = "restart-rollout"
    summary = "Restart a Deployment's rollout (kubectl rollout restart)"
    fixes = (
        "pods of a Deployment failing on configuration (CreateContainerConfigError, crash loop) "
        "when a ConfigMap they use was recreated after they started"
    )
    patterns = (r"CreateContainerConfigError|configmap .* not found|CrashLoopBackOff|the last termination reason is",)
    kinds = ("Deployment",)
    fields = (RESTARTED_AT,)
    agent = "fixer"
    strategy = "apply"
    verify_doc = "the Deployment rolls out with new pods and no pod of it has the finding"
    undo_doc = "put back (or remove) the restartedAt annotation of the pod template"

    def targets_of(self, snap: ClusterSnapshot, result: Result) -> list[Target]:
        target = workload_of(result)
        if target is None:
            return []
        dep = snap.get("Deployment", target.namespace, target.name)
        return [target] if dep is not None and changed_underneath(snap, dep) else []

    def build(
        self,
        snap: ClusterSnapshot,
        obj: Obj,
        target: Target,
        params: dict[str, Any],
        policy: Policy,
        finding: Result | None,
    ) -> list[Change]:
        changed = changed_underneath(snap, obj)
        require(
            bool(changed), f"no ConfigMap of {target.name} changed after its pods started: a restart would not help"
        )
        params["configMaps"] = changed
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        old = get(obj, RESTARTED_AT)
        return [Change(RESTARTED_AT, old if old is not MISSING else MISSING, now)]


ACTION = RestartRollout()
