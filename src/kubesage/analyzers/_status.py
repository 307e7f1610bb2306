"""Small pod-status and event helpers shared by the beyond-k8sgpt analyzers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kubesage.analyzers.base import as_int, conditions
from kubesage.cluster.snapshot import Obj, event_time

# Waiting reasons that mean a container cannot start (as the core Pod analyzer lists them).
START_ERRORS = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "ErrImageNeverPull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "PreStartHookError",
        "PreCreateHookError",
        "ImageInspectError",
    }
)


def container_statuses(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    status = pod.get("status") or {}
    out: list[Mapping[str, Any]] = []
    for key in ("initContainerStatuses", "containerStatuses"):
        out.extend(s for s in status.get(key) or () if isinstance(s, Mapping))
    return out


def is_terminal(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def is_ready(pod: Mapping[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions(pod))


def waiting_reason(cs: Mapping[str, Any]) -> str:
    waiting = (cs.get("state") or {}).get("waiting")
    return str(waiting.get("reason") or "") if isinstance(waiting, Mapping) else ""


def event_count(event: Mapping[str, Any]) -> int:
    """How many times an event happened (core `count`, or events.k8s.io `series.count`)."""
    series = event.get("series")
    if isinstance(series, Mapping) and series.get("count"):
        return as_int(series.get("count"), 1)
    return max(as_int(event.get("count"), 1), 1)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def capped_list(items: list[str], limit: int = 10) -> str:
    """Go-style `[a b c]`, with "and N more" past `limit` items."""
    shown = "[" + " ".join(items[:limit]) + "]"
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def latest(events: list[Obj]) -> Obj | None:
    """The event with the greatest timestamp (the first one on ties or when none has a time)."""
    best: Obj | None = None
    best_t: datetime | None = None
    for e in events:
        t = event_time(e)
        if best is None or (t is not None and (best_t is None or t > best_t)):
            best, best_t = e, t
    return best
