"""Quota: controllers that cannot create pods because of a ResourceQuota or LimitRange.

k8sgpt shows the raw FailedCreate message only for a ReplicaSet with zero replicas, and
never for Jobs, StatefulSets or DaemonSets; this names the quota or LimitRange.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kubesage.analyzers.base import AnalysisContext, as_int, conditions, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import Obj, event_time, involved_object, name_of, namespace_of
from kubesage.results import Failure, Result, sensitive

_NEVER = datetime.min.replace(tzinfo=UTC)
_KINDS = ("ReplicaSet", "Job", "StatefulSet", "DaemonSet", "ReplicationController")
_EXCEEDED = re.compile(r"exceeded quota: ([^,]+), (requested: .*)$")
_MUST_SPECIFY = re.compile(r"failed quota: ([^:]+): must specify (.+)$")
_LIMIT_RANGE = re.compile(r"((?:maximum|minimum) \S+ usage per \S+ is .*|\S+ max limit to request ratio per .*)$")


def _short(obj: Mapping[str, Any]) -> bool:
    """Whether the controller still lacks pods (a stale event about a settled one is noise)."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    kind = obj.get("kind")
    if kind == "Job":
        return not any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True" for c in conditions(obj))
    if kind == "DaemonSet":
        return as_int(status.get("currentNumberScheduled")) < as_int(status.get("desiredNumberScheduled"))
    return as_int(status.get("replicas")) < as_int(spec.get("replicas"), 1)


def _cause(ctx: AnalysisContext, ns: str, message: str) -> tuple[str, str] | None:
    """(cause key, sentence tail) for a quota/LimitRange rejection message."""
    m = _EXCEEDED.search(message)
    if m:
        return f"quota:{m.group(1)}", f"ResourceQuota {ns}/{m.group(1)} is exceeded ({m.group(2)})"
    m = _MUST_SPECIFY.search(message)
    if m:
        return (
            f"quota:{m.group(1)}",
            f"ResourceQuota {ns}/{m.group(1)} rejects pods without resource settings (must specify {m.group(2)})",
        )
    m = _LIMIT_RANGE.search(message)
    if m:
        names = sorted(f"{ns}/{name_of(lr)}" for lr in ctx.snapshot.objects("LimitRange", ns))
        who = f"LimitRange {', '.join(names)}" if names else "a LimitRange"
        return "limitrange", f"{who} rejects them ({m.group(1).rstrip('.')})"
    return None


@analyzer(
    "Quota",
    group="extra",
    kinds=(*_KINDS, "Event", "LimitRange", "Deployment"),
    description="ReplicaSets, Jobs, StatefulSets and DaemonSets that cannot create pods, naming the quota/LimitRange",
    default=True,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    messages: dict[tuple[str, str, str], list[Obj]] = {}
    for e in ctx.snapshot.objects("Event", ctx.namespace):
        if e.get("reason") != "FailedCreate":
            continue
        ref = involved_object(e)
        kind = str(ref.get("kind") or "")
        if kind in _KINDS:
            key = (kind, str(ref.get("namespace") or namespace_of(e)), str(ref.get("name") or ""))
            messages.setdefault(key, []).append(e)
    for rs in ctx.objects("ReplicaSet"):
        for c in conditions(rs):
            if c.get("type") == "ReplicaFailure" and c.get("reason") == "FailedCreate" and c.get("message"):
                messages.setdefault(("ReplicaSet", namespace_of(rs), name_of(rs)), []).append(dict(c))
    results: list[Result] = []
    for (kind, ns, name), sources in sorted(messages.items()):
        obj = ctx.snapshot.get(kind, ns, name)
        if obj is None or not ctx.matches_selector(obj) or not _short(obj):
            continue
        causes: dict[str, str] = {}
        # The newest message per cause wins (timeless ones, like the RS condition, come last).
        for src in sorted(sources, key=lambda e: event_time(e) or _NEVER, reverse=True):
            cause = _cause(ctx, ns, str(src.get("message") or ""))
            if cause and cause[0] not in causes:
                causes[cause[0]] = cause[1]
        failures = [
            Failure(f"{kind} {ns}/{name} cannot create pods: {tail}", sensitive(ns, name)) for tail in causes.values()
        ]
        if failures:
            results.append(Result(kind, ns_name(obj), failures, parent_object=ctx.parent(obj)))
    return results
