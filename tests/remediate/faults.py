"""A fault injector for kwok pods: what a kubelet would report for a broken workload.

kwok marks every scheduled pod Running and Ready. A pod whose template carries the
annotation `faults.kubesage.dev/fault` gets, once kwok has started it, the status a
real kubelet would write for that fault (through the status subresource, as a kubelet
does). The phase stays Running so kwok's pod-ready stage (phase Pending) leaves it alone.
A fixed template (rolled back, restarted, raised limit) drops the fault, so the
controller-manager and kwok roll healthy pods in: the fix is observed, not simulated.

Faults:
- `image-pull`                 ImagePullBackOff
- `crash`                      CrashLoopBackOff, last terminated Error
- `oom-below=<quantity>`       CrashLoopBackOff after OOMKilled while the memory limit is below <quantity>
- `config-after-start=<cm>`    CrashLoopBackOff while the pod is older than ConfigMap <cm>
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from kubesage.agents.client import Kube, KubeError
from kubesage.analyzers._quantity import parse_quantity

FAULT = "faults.kubesage.dev/fault"


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


class Faults:
    def __init__(self, kube: Kube, namespaces: list[str], period: float = 0.3) -> None:
        self.kube = kube
        self.namespaces = namespaces
        self.period = period
        self.injected: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kwok-faults", daemon=True)
        self.errors: list[str] = []

    def __enter__(self) -> Faults:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            for ns in self.namespaces:
                try:
                    self.tick(ns)
                except KubeError as err:
                    self.errors.append(str(err))
            self._stop.wait(self.period)

    def tick(self, namespace: str) -> None:
        pods = (self.kube.request("GET", f"/api/v1/namespaces/{namespace}/pods") or {}).get("items") or []
        for pod in pods:
            meta = pod.get("metadata") or {}
            fault = (meta.get("annotations") or {}).get(FAULT)
            status = pod.get("status") or {}
            if not fault or meta.get("deletionTimestamp") or status.get("phase") != "Running":
                continue
            ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ())
            if not ready:
                continue  # not started by kwok yet, or already faulted
            body = self.status_for(pod, str(fault))
            if body is None:
                continue
            path = f"/api/v1/namespaces/{namespace}/pods/{meta['name']}/status"
            self.kube.merge_patch(path, {"metadata": {"resourceVersion": meta["resourceVersion"]}, "status": body})
            self.injected.add(f"{namespace}/{meta['name']}")

    def status_for(self, pod: dict[str, Any], fault: str) -> dict[str, Any] | None:
        kind, _, arg = fault.partition("=")
        containers = (pod.get("spec") or {}).get("containers") or []
        first = containers[0]
        name, image = str(first.get("name")), str(first.get("image"))
        if kind == "image-pull":
            waiting = {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}
            return _failing(pod, name, image, waiting, None, 0)
        if kind == "crash":
            return _failing(pod, name, image, _crash(name, pod), _terminated("Error", 1), 4)
        if kind == "oom-below":
            limit = parse_quantity(((first.get("resources") or {}).get("limits") or {}).get("memory"))
            need = parse_quantity(arg)
            if limit is not None and need is not None and limit[0] >= need[0]:
                return None
            return _failing(pod, name, image, _crash(name, pod), _terminated("OOMKilled", 137), 3)
        if kind == "config-after-start":
            ns = pod["metadata"]["namespace"]
            cm = self.kube.get(f"/api/v1/namespaces/{ns}/configmaps/{arg}")
            created = _time((cm or {}).get("metadata", {}).get("creationTimestamp"))
            started = _time(pod["metadata"].get("creationTimestamp"))
            if cm is not None and created and started and created <= started:
                return None
            return _failing(pod, name, image, _crash(name, pod), _terminated("Error", 1), 3)
        return None


def _crash(container: str, pod: dict[str, Any]) -> dict[str, Any]:
    return {
        "reason": "CrashLoopBackOff",
        "message": f"back-off 40s restarting failed container={container} pod={pod['metadata']['name']}",
    }


def _terminated(reason: str, code: int) -> dict[str, Any]:
    now = datetime.now().astimezone().strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"reason": reason, "exitCode": code, "startedAt": now, "finishedAt": now}


def _failing(
    pod: dict[str, Any], name: str, image: str, waiting: dict[str, Any], last: dict[str, Any] | None, restarts: int
) -> dict[str, Any]:
    now = datetime.now().astimezone().strftime("%Y-%m-%dT%H:%M:%SZ")
    cs: dict[str, Any] = {
        "name": name,
        "image": image,
        "imageID": "",
        "ready": False,
        "started": False,
        "restartCount": restarts,
        "state": {"waiting": waiting},
    }
    if last:
        cs["lastState"] = {"terminated": last}
    conditions = [
        {"type": t, "status": "True" if t in ("Initialized", "PodScheduled") else "False", "lastTransitionTime": now}
        for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
    ]
    for c in conditions:
        if c["type"] in ("Ready", "ContainersReady"):
            c["reason"] = "ContainersNotReady"
            c["message"] = f"containers with unready status: [{name}]"
    return {"phase": "Running", "conditions": conditions, "containerStatuses": [cs]}
