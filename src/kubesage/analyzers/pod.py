"""Pod: unschedulable, evicted, crashing, failing to pull/create, and unready pods (k8sgpt parity)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubesage.analyzers.base import AnalysisContext, as_int, conditions, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import name_of, namespace_of
from kubesage.results import Failure, Result

# Waiting reasons whose message k8sgpt reports as the failure text.
_ERROR_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "CreateContainerConfigError",
        "PreCreateHookError",
        "CreateContainerError",
        "PreStartHookError",
        "RunContainerError",
        "ImageInspectError",
        "ErrImagePull",
        "ErrImageNeverPull",
        "InvalidImageName",
    }
)
# Event reasons that explain a container stuck in ContainerCreating.
_CREATE_EVENT_REASONS = frozenset({"FailedCreatePodSandBox", "FailedMount"})


@analyzer(
    "Pod",
    group="core",
    kinds=("Pod", "Event", "ReplicaSet", "Deployment", "StatefulSet", "DaemonSet"),
    description="Pods that cannot be scheduled, were evicted, crash, cannot start or are not ready",
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for pod in ctx.objects("Pod"):
        failures = _pod_failures(ctx, pod)
        if failures:
            results.append(Result("Pod", ns_name(pod), failures, parent_object=ctx.parent(pod)))
    return results


def _pod_failures(ctx: AnalysisContext, pod: Mapping[str, Any]) -> list[Failure]:
    ns, name = namespace_of(pod), name_of(pod)
    status = pod.get("status") or {}
    phase = status.get("phase") or ""
    failures: list[Failure] = []
    if phase == "Pending":
        for cond in conditions(pod):
            if cond.get("type") != "PodScheduled":
                continue
            message = str(cond.get("message") or "")
            if cond.get("reason") == "Unschedulable" and message:
                failures.append(Failure(message, []))
            elif cond.get("reason") == "SchedulingGated":
                text = message or (
                    f"Pod {ns}/{name} is in a SchedulingGated state and is blocked from scheduling "
                    "due to non-empty scheduling gates"
                )
                failures.append(Failure(text, []))
    if status.get("reason") == "Evicted":
        failures.append(Failure(str(status.get("message") or f"Pod {name} has been evicted"), []))
    for key in ("initContainerStatuses", "containerStatuses"):
        for cs in status.get(key) or ():
            if isinstance(cs, Mapping):
                failures.extend(_container_failures(ctx, pod, cs, phase))
    return failures


def _container_failures(
    ctx: AnalysisContext, pod: Mapping[str, Any], cs: Mapping[str, Any], phase: str
) -> list[Failure]:
    state = cs.get("state") or {}
    waiting, terminated = state.get("waiting"), state.get("terminated")
    container, pod_name = str(cs.get("name") or ""), name_of(pod)
    if isinstance(waiting, Mapping):
        reason = waiting.get("reason") or ""
        last = (cs.get("lastState") or {}).get("terminated")
        if reason == "ContainerCreating" and phase == "Pending":
            event = ctx.latest_event(pod)
            if event and event.get("reason") in _CREATE_EVENT_REASONS and event.get("message"):
                return [Failure(str(event["message"]), [])]
        elif reason == "CrashLoopBackOff" and isinstance(last, Mapping):
            text = f"the last termination reason is {last.get('reason') or ''} container={container} pod={pod_name}"
            return [Failure(text, [])]
        elif reason in _ERROR_REASONS and waiting.get("message"):
            return [Failure(str(waiting["message"]), [])]
        return []
    if isinstance(terminated, Mapping):
        code = as_int(terminated.get("exitCode"))
        if code != 0:
            reason = terminated.get("reason") or "Unknown"
            text = f"the termination reason is {reason} exitCode={code} container={container} pod={pod_name}"
            return [Failure(text, [])]
        return []
    if not cs.get("ready") and phase == "Running":
        event = ctx.latest_event(pod)
        if event and event.get("reason") == "Unhealthy" and event.get("message"):
            return [Failure(str(event["message"]), [])]
    return []
