"""Broken workloads on the real cluster, each with the typed action that must fix it.

Shared by the real-cluster tests and benchmarks/bench_remediate.py. Some scenarios run a
second, unrelated healthy workload beside the broken one: it must stay untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.remediate.conftest import Env, deployment, service


@dataclass
class Scenario:
    name: str
    setup: Callable[[Env], None]
    finding: str
    """Regex over failure texts: the finding the setup must produce."""
    action: str
    kind: str
    target: str
    outcome: str = "Verified"
    neighbors: list[str] = field(default_factory=list)
    """Healthy objects (kind/name) beside the broken one."""
    policy: dict[str, Any] = field(default_factory=dict)


def _bad_rollout(fault: str, image: str) -> Callable[[Env], None]:
    def setup(env: Env) -> None:
        env.apply(deployment("web", replicas=2))
        env.wait_rolled_out("web")
        env.apply(deployment("web", image=image, replicas=2, fault=fault))

    return setup


def _with_neighbor(setup: Callable[[Env], None]) -> Callable[[Env], None]:
    def wrapped(env: Env) -> None:
        env.apply(deployment("billing", replicas=2, labels={"app": "billing"}), service("billing", {"app": "billing"}))
        env.wait_rolled_out("billing")
        setup(env)

    return wrapped


def _oom(need: str) -> Callable[[Env], None]:
    def setup(env: Env) -> None:
        env.apply(deployment("worker", memory="128Mi", fault=f"oom-below={need}"))

    return setup


def _config(env: Env) -> None:
    env.apply(deployment("api", config_map="api-config", fault="config-after-start=api-config"))
    env.wait("api pods", lambda: _pods(env, "api"), 60)
    time.sleep(1.2)  # creationTimestamps have second precision: the ConfigMap must be visibly newer
    env.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "api-config"}, "data": {"MODE": "v2"}})


def _pods(env: Env, app: str) -> list[Any]:
    items = (
        env.admin.request("GET", f"/api/v1/namespaces/{env.namespace}/pods", query=[("labelSelector", f"app={app}")])
        or {}
    ).get("items") or []
    return [p for p in items if (p.get("status") or {}).get("podIP")]


def _zero(env: Env) -> None:
    env.apply(deployment("cache", replicas=0), service("cache", {"app": "cache"}))


def _selector(env: Env) -> None:
    env.apply(deployment("frontend", replicas=1), service("frontend", {"app": "fronted"}))
    env.wait_rolled_out("frontend")


def _evicted(env: Env) -> None:
    env.apply(deployment("batch", replicas=2))
    env.wait_rolled_out("batch")
    pod = _pods(env, "batch")[0]
    name = pod["metadata"]["name"]
    env.admin.merge_patch(
        f"/api/v1/namespaces/{env.namespace}/pods/{name}/status",
        {
            "status": {
                "phase": "Failed",
                "reason": "Evicted",
                "message": "The node was low on resource: memory. ",
                "conditions": None,
                "containerStatuses": None,
            }
        },
    )
    env.evicted = name  # type: ignore[attr-defined]


def _suspended(env: Env) -> None:
    env.apply(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "report"},
            "spec": {
                "schedule": "*/5 * * * *",
                "suspend": True,
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {
                                "restartPolicy": "Never",
                                "containers": [{"name": "r", "image": "registry.local/report:1"}],
                            }
                        }
                    }
                },
            },
        }
    )


SCENARIOS: list[Scenario] = [
    Scenario(
        "image-pull-after-rollout",
        _bad_rollout("image-pull", "registry.local/app:1.O"),
        r"ImagePullBackOff|Back-off pulling",
        "rollback-deployment",
        "Deployment",
        "web",
    ),
    Scenario(
        "crash-after-rollout",
        _bad_rollout("crash", "registry.local/app:1.1"),
        r"CrashLoopBackOff|last termination reason",
        "rollback-deployment",
        "Deployment",
        "web",
    ),
    Scenario("oom-killed", _oom("200Mi"), r"OOMKilled", "raise-memory-limit", "Deployment", "worker"),
    Scenario("config-changed-underneath", _config, r"last termination reason", "restart-rollout", "Deployment", "api"),
    Scenario("scaled-to-zero", _zero, r"has no endpoints", "scale", "Deployment", "cache"),
    Scenario("service-selector-typo", _selector, r"has no endpoints", "fix-service-selector", "Service", "frontend"),
    Scenario("evicted-pod", _evicted, r"low on resource|[Ee]victed", "delete-failed-pods", "Pod", "*"),
    Scenario("suspended-cronjob", _suspended, r"is suspended", "resume-cronjob", "CronJob", "report"),
    Scenario(
        "image-pull-beside-healthy",
        _with_neighbor(_bad_rollout("image-pull", "registry.local/app:2.0-typo")),
        r"ImagePullBackOff|Back-off pulling",
        "rollback-deployment",
        "Deployment",
        "web",
        neighbors=["Deployment/billing", "Service/billing"],
    ),
    Scenario(
        "oom-beside-healthy",
        _with_neighbor(_oom("200Mi")),
        r"OOMKilled",
        "raise-memory-limit",
        "Deployment",
        "worker",
        neighbors=["Deployment/billing", "Service/billing"],
    ),
    Scenario(
        "selector-beside-healthy",
        _with_neighbor(_selector),
        r"has no endpoints",
        "fix-service-selector",
        "Service",
        "frontend",
        neighbors=["Deployment/billing", "Service/billing"],
    ),
    Scenario(
        "oom-cap-too-low",
        _oom("2Gi"),
        r"OOMKilled",
        "raise-memory-limit",
        "Deployment",
        "worker",
        outcome="RolledBack",
        policy={"verifyTimeoutSeconds": 8},
    ),
]
