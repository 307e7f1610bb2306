"""Shared machinery of the lint (hygiene) checks: check ids, finding format, workloads.

A finding's text is `[<id>/<severity>] <what>. Fix: <hint>`; the same id, severity and
hint are in `Result.extra["lint"]` (one entry per failure, in order), which `-o json`
appends after k8sgpt's keys.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubesage.analyzers.base import AnalysisContext, ns_name
from kubesage.cluster.snapshot import Obj, annotations_of, meta, name_of, namespace_of
from kubesage.results import Failure, Result, sensitive

SEVERITIES = ("critical", "warning", "info")


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    severity: str
    hint: str


@dataclass
class Findings:
    """Lint failures grouped into one Result per object, in first-seen order."""

    _by_obj: dict[tuple[str, str], Result] = field(default_factory=dict)

    def add(self, kind: str, obj: Mapping[str, Any], check: Check, what: str, hint: str | None = None) -> None:
        hint = hint or check.hint
        key = (kind, ns_name(obj))
        result = self._by_obj.get(key)
        if result is None:
            result = self._by_obj[key] = Result(kind, key[1], extra={"lint": []})
        text = f"[{check.id}/{check.severity}] {what}. Fix: {hint}"
        if text in result.texts:
            return
        result.error.append(Failure(text, sensitive(*(v for v in (namespace_of(obj), name_of(obj)) if v))))
        result.extra["lint"].append({"id": check.id, "severity": check.severity, "hint": hint})

    def results(self) -> list[Result]:
        return list(self._by_obj.values())


@dataclass(frozen=True, slots=True)
class Workload:
    kind: str
    obj: Obj
    spec: Mapping[str, Any]  # the pod spec

    @property
    def label(self) -> str:
        """`Deployment shop/web`, as findings name their object."""
        return f"{self.kind} {ns_name(self.obj)}"

    @property
    def long_running(self) -> bool:
        return self.kind not in ("Job", "CronJob")


_CONTROLLERS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "ReplicationController")
_MIRROR = "kubernetes.io/config.mirror"


def _owned(obj: Mapping[str, Any]) -> bool:
    """Whether anything owns the object (its owner's template is checked instead)."""
    return bool(meta(obj).get("ownerReferences"))


def _template_spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return spec
    if obj.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return (spec.get("template") or {}).get("spec") or {}


def workloads(ctx: AnalysisContext) -> Iterator[Workload]:
    """Top-level pod owners: controllers, Jobs and ReplicaSets nobody owns, and naked Pods.

    Checking the template once, not every pod it stamps out, keeps findings few.
    """
    for kind in _CONTROLLERS:
        for obj in ctx.objects(kind):
            yield Workload(kind, obj, _template_spec(obj))
    for kind in ("Job", "ReplicaSet"):
        for obj in ctx.objects(kind):
            if not _owned(obj):
                yield Workload(kind, obj, _template_spec(obj))
    for pod in ctx.objects("Pod"):
        if not _owned(pod) and _MIRROR not in annotations_of(pod) and not is_finished(pod):
            yield Workload("Pod", pod, pod.get("spec") or {})


def is_finished(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def containers(spec: Mapping[str, Any], init: bool = True) -> list[Mapping[str, Any]]:
    """Regular containers, and init containers when `init` (ephemeral ones never)."""
    keys = ("initContainers", "containers") if init else ("containers",)
    return [c for k in keys for c in spec.get(k) or () if isinstance(c, Mapping)]


WORKLOAD_KINDS = (*_CONTROLLERS, "Job", "ReplicaSet", "Pod")
