"""Resume a suspended CronJob (only when the finding says it is suspended)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesage.cluster.snapshot import ClusterSnapshot
from kubesage.remediate.actions.base import Action, Obj, require, split_name
from kubesage.remediate.model import Change, Target
from kubesage.results import Result

if TYPE_CHECKING:
    from kubesage.remediate.policy import Policy


class ResumeCronJob(Action):
    name = "resume-cronjob"
    summary = "Resume a suspended CronJob"
    fixes = "a CronJob reported as suspended"
    patterns = (r"^CronJob \S+ is suspended$",)
    kinds = ("CronJob",)
    fields = ("spec.suspend",)
    agent = "fixer"
    strategy = "apply"
    verify_doc = "the CronJob is no longer reported as suspended"
    undo_doc = "suspend it again"

    def targets_of(self, snap: ClusterSnapshot, result: Result) -> list[Target]:
        ns, name = split_name(result.name)
        return [Target("CronJob", ns, name)] if result.kind == "CronJob" else []

    def build(
        self,
        snap: ClusterSnapshot,
        obj: Obj,
        target: Target,
        params: dict[str, Any],
        policy: Policy,
        finding: Result | None,
    ) -> list[Change]:
        require((obj.get("spec") or {}).get("suspend") is True, f"CronJob {target.name} is not suspended")
        return [Change("spec.suspend", True, False)]


ACTION = ResumeCronJob()
