"""Policy: which actions, kinds and namespaces are allowed, the bounds, and the blast radius.

Parsed from a KubeSage `spec.remediation` block (or the same YAML given to the CLI).
`check` is the one gate every proposal passes, whether a rule or an LLM made it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kubesage.analyzers._quantity import parse_quantity
from kubesage.errors import KubesageError
from kubesage.remediate import fields
from kubesage.remediate.model import Decision, Proposal

MODES = ("plan", "approve", "auto")
PROTECTED_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})
"""Never touched unless a policy names them explicitly (a `*` does not cover them)."""


@dataclass(frozen=True)
class Applied:
    """One earlier applied remediation, for the blast-radius caps."""

    at: datetime
    namespace: str
    target: str


@dataclass(frozen=True)
class Policy:
    enabled: bool = False
    mode: str = "plan"
    actions: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    """Allowed namespaces; `*` = every namespace except the protected ones."""
    kinds: tuple[str, ...] = ()
    """Allowed target kinds; empty = the kinds of the allowed actions."""
    max_objects_per_interval: int = 3
    max_per_namespace: int = 1
    interval_seconds: int = 3600
    verify_timeout_seconds: int = 120
    scale_min: int = 1
    scale_max: int = 10
    memory_max_factor: float = 2.0
    memory_cap: str = "4Gi"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> Policy:
        """A Policy from a KubeSage `spec.remediation` block; bad values raise one-line errors."""
        from kubesage.remediate.actions.base import all_actions

        spec = dict(spec or {})
        mode = str(spec.get("mode") or "plan")
        if mode not in MODES:
            raise KubesageError(f"remediation.mode {mode!r} is not one of {', '.join(MODES)}")
        actions = tuple(str(a) for a in spec.get("actions") or ())
        unknown = [a for a in actions if a not in all_actions()]
        if unknown:
            raise KubesageError(
                f"remediation.actions: unknown action {unknown[0]!r} (known: {', '.join(all_actions())})"
            )
        scale = spec.get("scale") or {}
        memory = spec.get("memory") or {}
        try:
            policy = cls(
                enabled=bool(spec.get("enabled", False)),
                mode=mode,
                actions=actions,
                namespaces=tuple(str(n) for n in spec.get("namespaces") or ()),
                kinds=tuple(str(k) for k in spec.get("kinds") or ()),
                max_objects_per_interval=int(spec.get("maxObjectsPerInterval", 3)),
                max_per_namespace=int(spec.get("maxPerNamespace", 1)),
                interval_seconds=int(spec.get("intervalSeconds", 3600)),
                verify_timeout_seconds=int(spec.get("verifyTimeoutSeconds", 120)),
                scale_min=int(scale.get("min", 1)),
                scale_max=int(scale.get("max", 10)),
                memory_max_factor=float(memory.get("maxFactor", 2)),
                memory_cap=str(memory.get("cap", "4Gi")),
            )
        except (TypeError, ValueError) as err:
            raise KubesageError(f"invalid remediation policy: {err}") from None
        policy.validate()
        return policy

    def validate(self) -> None:
        if self.max_objects_per_interval < 0 or self.max_per_namespace < 0:
            raise KubesageError("remediation caps must be >= 0")
        if not 60 <= self.interval_seconds <= 604800:  # the CRD's bounds; a shorter window would void the caps
            raise KubesageError("remediation.intervalSeconds must be within 60..604800")
        if not 5 <= self.verify_timeout_seconds <= 3600:
            raise KubesageError("remediation.verifyTimeoutSeconds must be within 5..3600")
        if self.scale_min < 0 or self.scale_max < 1 or self.scale_min > self.scale_max:
            raise KubesageError(f"remediation.scale bounds {self.scale_min}..{self.scale_max} are invalid")
        if not 1 <= self.memory_max_factor <= 4:
            raise KubesageError("remediation.memory.maxFactor must be within 1..4")
        if parse_quantity(self.memory_cap) is None:
            raise KubesageError(f"remediation.memory.cap {self.memory_cap!r} is not a quantity")

    def to_spec(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "mode": self.mode,
            "actions": list(self.actions),
            "namespaces": list(self.namespaces),
            "kinds": list(self.kinds),
            "maxObjectsPerInterval": self.max_objects_per_interval,
            "maxPerNamespace": self.max_per_namespace,
            "intervalSeconds": self.interval_seconds,
            "verifyTimeoutSeconds": self.verify_timeout_seconds,
            "scale": {"min": self.scale_min, "max": self.scale_max},
            "memory": {"maxFactor": self.memory_max_factor, "cap": self.memory_cap},
        }

    # -- the gate ----------------------------------------------------------------------------

    def namespace_allowed(self, namespace: str) -> bool:
        if namespace in self.namespaces:
            return True
        return "*" in self.namespaces and namespace not in PROTECTED_NAMESPACES and bool(namespace)

    def kind_allowed(self, kind: str) -> bool:
        from kubesage.remediate.actions.base import all_actions

        if self.kinds:
            return kind in self.kinds
        return any(kind in a.kinds for name, a in all_actions().items() if name in self.actions)

    def check(self, proposal: Proposal, history: Iterable[Applied] = (), now: datetime | None = None) -> Decision:
        """Every reason `proposal` may not go ahead (allowed when there is none)."""
        from kubesage.remediate.actions.base import get_action

        reasons: list[str] = []
        target = proposal.target
        action = get_action(proposal.action)
        if not self.enabled:
            reasons.append("remediation is disabled by policy")
        if action is None:
            reasons.append(f"unknown action {proposal.action!r}: only typed actions may be proposed")
            return Decision(False, reasons)
        if proposal.action not in self.actions:
            reasons.append(f"action {proposal.action} is not allowed by policy")
        if target.kind not in action.kinds:
            reasons.append(f"action {proposal.action} does not touch {target.kind} (only {', '.join(action.kinds)})")
        elif not self.kind_allowed(target.kind):
            reasons.append(f"kind {target.kind} is not allowed by policy")
        if not self.namespace_allowed(target.namespace):
            protected = " (protected)" if target.namespace in PROTECTED_NAMESPACES else ""
            reasons.append(f"namespace {target.namespace or '<cluster>'}{protected} is not allowed by policy")
        if proposal.finding is None:
            reasons.append(
                f"{target.kind} {target.namespace}/{target.name} has no active finding: not broken, not touched"
            )
        else:
            finding_ns = proposal.finding.name.rpartition("/")[0]
            if finding_ns != target.namespace:
                reasons.append(
                    f"cross-namespace: the finding is in {finding_ns or '<cluster>'}, the target in {target.namespace}"
                )
        outside = [c.path for c in proposal.changes if not fields.covered(c.path, action.fields)]
        if outside:
            reasons.append(f"changes fields the action does not declare: {', '.join(outside)}")
        if action.strategy != "delete" and not proposal.changes and proposal.finding is not None:
            reasons.append("the proposal changes nothing")
        reasons.extend(self._bounds(proposal))
        reasons.extend(self._radius(proposal, list(history), now or datetime.now().astimezone()))
        return Decision(not reasons, reasons)

    def _bounds(self, proposal: Proposal) -> list[str]:
        out: list[str] = []
        for c in proposal.changes:
            if c.path == "spec.replicas" and isinstance(c.new, int) and not self.scale_min <= c.new <= self.scale_max:
                out.append(f"replicas {c.new} outside the policy bounds {self.scale_min}..{self.scale_max}")
            if c.path.endswith(".resources.limits.memory"):
                old, new, cap = parse_quantity(c.old), parse_quantity(c.new), parse_quantity(self.memory_cap)
                if old is None or new is None or cap is None:
                    out.append(f"memory change {c.old!r} -> {c.new!r} is not between two quantities")
                elif new[0] > cap[0] or new[0] > old[0] * _fraction(self.memory_max_factor) or new[0] <= old[0]:
                    out.append(
                        f"memory {c.new} is not within ({c.old}, "
                        f"min({c.old} x {self.memory_max_factor}, {self.memory_cap})]"
                    )
        return out

    def _radius(self, proposal: Proposal, history: list[Applied], now: datetime) -> list[str]:
        since = now - timedelta(seconds=self.interval_seconds)
        recent = [h for h in history if h.at >= since]
        out: list[str] = []
        if len(recent) >= self.max_objects_per_interval:
            out.append(
                f"blast radius: {len(recent)} objects already changed in the last {self.interval_seconds}s "
                f"(max {self.max_objects_per_interval})"
            )
        in_ns = [h for h in recent if h.namespace == proposal.target.namespace]
        if len(in_ns) >= self.max_per_namespace:
            out.append(
                f"blast radius: {len(in_ns)} objects already changed in namespace {proposal.target.namespace} "
                f"in the last {self.interval_seconds}s (max {self.max_per_namespace})"
            )
        return out


def _fraction(value: float) -> Any:
    from fractions import Fraction

    return Fraction(str(value))
