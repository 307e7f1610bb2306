"""Fix a CronJob's invalid schedule (only when the finding names the schedule)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from kubesage.analyzers._cron import CronError, parse_standard
from kubesage.cluster.snapshot import ClusterSnapshot
from kubesage.remediate.actions.base import Action, Obj, require, split_name
from kubesage.remediate.model import Change, Target
from kubesage.results import Result

if TYPE_CHECKING:
    from kubesage.remediate.policy import Policy


def normalized(schedule: str) -> str | None:
    """A valid schedule that `schedule` plainly meant, or None: stray quotes or spaces, an
    upper-case descriptor, or a leading seconds field of `0`."""
    text = re.sub(r"\s+", " ", schedule.strip().strip("'\"").strip())
    if text.startswith("@"):
        text = text.lower()
    parts = text.split(" ")
    if len(parts) == 6 and parts[0] == "0":
        text = " ".join(parts[1:])
    try:
        parse_standard(text)
    except CronError:
        return None
    return text if text != schedule else None


class FixCronJobSchedule(Action):
    name = "fix-cronjob-schedule"
    summary = "Replace a CronJob's invalid schedule with a valid one"
    fixes = "a CronJob reported with an invalid schedule"
    patterns = (r"^CronJob \S+ has an invalid schedule",)
    kinds = ("CronJob",)
    fields = ("spec.schedule",)
    agent = "fixer"
    strategy = "apply"
    verify_doc = "the CronJob's schedule parses and the finding is gone"
    undo_doc = "put back the previous schedule"
    params = {"schedule": {"type": "string", "description": "a valid standard cron schedule"}}

    def targets_of(self, snap: ClusterSnapshot, result: Result) -> list[Target]:
        ns, name = split_name(result.name)
        cj = snap.get("CronJob", ns, name) if result.kind == "CronJob" else None
        if cj is None or normalized(str((cj.get("spec") or {}).get("schedule") or "")) is None:
            return []
        return [Target("CronJob", ns, name)]

    def build(
        self,
        snap: ClusterSnapshot,
        obj: Obj,
        target: Target,
        params: dict[str, Any],
        policy: Policy,
        finding: Result | None,
    ) -> list[Change]:
        old = str((obj.get("spec") or {}).get("schedule") or "")
        new = params.get("schedule") or normalized(old)
        require(bool(new), f"no clear fix for schedule {old!r}: pass one with --set schedule=...")
        try:
            parse_standard(str(new))
        except CronError as err:
            raise_ = f"schedule {new!r} is invalid: {err}"
            require(False, raise_)
        params["schedule"] = str(new)
        return [Change("spec.schedule", old, str(new))]


ACTION = FixCronJobSchedule()
