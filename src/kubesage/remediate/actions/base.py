"""The typed-action interface and the registry of actions.

An action is a small, declared, reversible change: it names the findings it fixes, the
kinds it touches, the exact fields it may change, how it is verified and how it is undone.
Nothing outside these declarations can be proposed, by a rule or by an LLM.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from kubesage.cluster.snapshot import ClusterSnapshot, meta
from kubesage.remediate.model import Change, Refusal, Target
from kubesage.results import Result

if TYPE_CHECKING:
    from kubesage.remediate.policy import Policy

Obj = dict[str, Any]


class Action:
    name: ClassVar[str]
    summary: ClassVar[str]
    fixes: ClassVar[str]
    """The findings it fixes, in words (docs, LLM catalogue)."""
    patterns: ClassVar[tuple[str, ...]]
    """Regexes over failure texts: a finding must match one for the action to apply."""
    kinds: ClassVar[tuple[str, ...]]
    fields: ClassVar[tuple[str, ...]]
    """Field paths the action may change (see fields.covered); empty for deletes."""
    agent: ClassVar[str]
    """The least-privileged agent that performs the write: `scaler` or `fixer`."""
    strategy: ClassVar[str]
    """`apply` (server-side apply), `json-patch` (guarded replace), `scale` (the scale subresource) or `delete`."""
    verify_doc: ClassVar[str]
    undo_doc: ClassVar[str]
    reversible: ClassVar[bool] = True
    params: ClassVar[dict[str, Any]] = {}
    """JSON-schema properties of the action's parameters (all optional)."""

    # -- findings ------------------------------------------------------------------------

    def matches(self, result: Result) -> bool:
        return any(re.search(p, text) for p in self.patterns for text in result.texts)

    def evidence(self, snap: ClusterSnapshot, target: Target, results: list[Result]) -> Result | None:
        """The active finding that justifies touching `target` (None: nothing is broken)."""
        for r in results:
            if self.matches(r) and target in self.targets_of(snap, r):
                return r
        return None

    def targets_of(self, snap: ClusterSnapshot, result: Result) -> list[Target]:
        """The objects this action would change to fix `result` (rule proposals)."""
        return []

    # -- building ------------------------------------------------------------------------

    def build(
        self,
        snap: ClusterSnapshot,
        obj: Obj,
        target: Target,
        params: dict[str, Any],
        policy: Policy,
        finding: Result | None,
    ) -> list[Change]:
        raise NotImplementedError

    def verify(self, obj: Obj | None, target: Target, snap: ClusterSnapshot, results: list[Result]) -> tuple[bool, str]:
        """(done, message) against a fresh read of the cluster."""
        if obj is None:
            return False, f"{target.key} is gone"
        found = self.evidence(snap, target, results)
        if found is not None:
            return False, f"finding still active: {found.texts[0] if found.texts else found.name}"
        return True, "finding cleared"


class RolloutAction(Action):
    """An action on a Deployment/StatefulSet: verified once it has rolled out and the finding cleared."""

    def verify(self, obj: Obj | None, target: Target, snap: ClusterSnapshot, results: list[Result]) -> tuple[bool, str]:
        if obj is None:
            return False, f"{target.key} is gone"
        done, why = rolled_out(obj)
        return super().verify(obj, target, snap, results) if done else (False, why)


# -- shared helpers ------------------------------------------------------------------------


def split_name(result_name: str) -> tuple[str, str]:
    ns, _, name = result_name.rpartition("/")
    return ns, name


def workload_of(result: Result, kinds: tuple[str, ...] = ("Deployment",)) -> Target | None:
    """The workload a Pod result belongs to (its parentObject), or the result itself."""
    ns, name = split_name(result.name)
    if result.kind in kinds:
        return Target(result.kind, ns, name)
    kind, _, parent = result.parent_object.partition("/")
    if result.kind == "Pod" and kind in kinds and parent:
        return Target(kind, ns, parent)
    return None


def rolled_out(dep: Mapping[str, Any]) -> tuple[bool, str]:
    """A Deployment/StatefulSet whose controller has caught up and whose pods are all ready."""
    spec, status = dep.get("spec") or {}, dep.get("status") or {}
    want = int(spec.get("replicas", 1) or 0)
    gen = int(meta(dep).get("generation") or 0)
    if int(status.get("observedGeneration") or 0) < gen:
        return False, "controller has not observed the change yet"
    updated = int(status.get("updatedReplicas") or 0)
    total = int(status.get("replicas") or 0)
    ready = int(status.get("availableReplicas", status.get("readyReplicas")) or 0)
    if updated < want or ready < want or total > want:
        return False, f"rolling out: {updated} updated, {ready} available, {total} total of {want}"
    return True, f"{ready}/{want} ready"


def template_labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    tpl = (obj.get("spec") or {}).get("template") or {}
    labels = (tpl.get("metadata") or {}).get("labels") or {}
    return labels if isinstance(labels, Mapping) else {}


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(str(k)) == str(v) for k, v in selector.items())


def owned_by(snap: ClusterSnapshot, kind: str, owner: Mapping[str, Any]) -> list[Obj]:
    return snap.children(owner, kind)


def describe(target: Target) -> str:
    return f"{target.kind} {target.namespace}/{target.name}"


def require(cond: bool, reason: str) -> None:
    if not cond:
        raise Refusal(reason)


# -- registry ------------------------------------------------------------------------------

_MODULES = (
    "rollback_deployment",
    "restart_rollout",
    "scale",
    "raise_memory_limit",
    "fix_service_selector",
    "delete_failed_pods",
    "resume_cronjob",
    "fix_cronjob_schedule",
)
_REGISTRY: dict[str, Action] = {}


def all_actions() -> dict[str, Action]:
    """Every typed action by name, in catalogue order."""
    if not _REGISTRY:
        for mod in _MODULES:
            module = importlib.import_module(f"kubesage.remediate.actions.{mod}")
            action: Action = module.ACTION
            _REGISTRY[action.name] = action
    return dict(_REGISTRY)


def get_action(name: str) -> Action | None:
    return all_actions().get(name)
