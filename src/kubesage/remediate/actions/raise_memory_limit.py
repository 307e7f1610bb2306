"""Raise a container's memory limit after it was OOMKilled: by at most the policy factor, up to the cap."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from kubesage.analyzers._quantity import format_quantity, parse_quantity
from kubesage.cluster.snapshot import ClusterSnapshot
from kubesage.remediate.actions.base import Obj, RolloutAction, require, workload_of
from kubesage.remediate.fields import MISSING, get
from kubesage.remediate.model import Change, Target
from kubesage.results import Result

if TYPE_CHECKING:
    from kubesage.remediate.policy import Policy

_CONTAINER = re.compile(r"Container (\S+) in pod .* was OOMKilled|reason is OOMKilled.*container=(\S+)")
_MI = 1 << 20


def limit_path(container: str) -> str:
    return f"spec.template.spec.containers[name={container}].resources.limits.memory"


def oom_containers(result: Result) -> list[str]:
    out = []
    for text in result.texts:
        m = _CONTAINER.search(text)
        if m:
            out.append(m.group(1) or m.group(2))
    return sorted(set(out))


def raised(current: str, factor: float, cap: str) -> str:
    """min(current x factor, cap), rounded up to whole MiB, in binary units."""
    cur, capv = parse_quantity(current), parse_quantity(cap)
    if cur is None or capv is None:
        raise ValueError(f"unparsable quantity {current!r} or cap {cap!r}")
    want = min(cur[0] * Fraction(str(factor)), capv[0])
    mib = -(-want.numerator // (want.denominator * _MI))
    value = Fraction(mib * _MI)
    return format_quantity(min(value, capv[0]) if value > capv[0] else value, "binary")


class RaiseMemoryLimit(RolloutAction):
    name = "raise-memory-limit"
    summary = "Raise a container's memory limit after it was OOMKilled"
    fixes = "a container of a Deployment or StatefulSet OOMKilled at its memory limit"
    patterns = (r"OOMKilled",)
    kinds = ("Deployment", "StatefulSet")
    fields = ("spec.template.spec.containers[name=*].resources.limits.memory",)
    agent = "fixer"
    strategy = "apply"
    verify_doc = "the workload rolls out with the new limit and no pod of it reports OOMKilled"
    undo_doc = "put back the previous memory limit"
    params = {
        "container": {"type": "string", "description": "the container that was OOMKilled"},
        "memory": {"type": "string", "description": "the new limit (at most factor x current, at most the cap)"},
    }

    def targets_of(self, snap: ClusterSnapshot, result: Result) -> list[Target]:
        target = workload_of(result, self.kinds)
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
        found = finding
        containers = params.get("container") or (oom_containers(found) if found else [])
        if isinstance(containers, list):
            require(len(containers) == 1, "the finding does not name exactly one OOMKilled container")
            containers = containers[0]
        container = str(containers)
        path = limit_path(container)
        require(
            get(obj, f"spec.template.spec.containers[name={container}]") is not MISSING,
            f"{target.name} has no container {container}",
        )
        current = get(obj, path)
        require(current is not MISSING, f"container {container} has no memory limit: nothing to raise by a factor")
        ceiling = raised(str(current), policy.memory_max_factor, policy.memory_cap)
        new = str(params.get("memory") or ceiling)
        newq, curq, ceilq = parse_quantity(new), parse_quantity(current), parse_quantity(ceiling)
        require(newq is not None, f"invalid memory quantity {new!r}")
        assert newq is not None and curq is not None and ceilq is not None
        require(
            newq[0] <= ceilq[0],
            f"memory {new} exceeds {ceiling} (x{policy.memory_max_factor}, cap {policy.memory_cap})",
        )
        require(
            newq[0] > curq[0],
            f"memory limit {current} is already at the policy cap {policy.memory_cap}"
            if str(current) == ceiling
            else f"memory {new} is not above the current limit {current}",
        )
        params["container"], params["memory"] = container, new
        return [Change(path, current, new)]


ACTION = RaiseMemoryLimit()
