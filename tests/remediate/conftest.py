"""Real-cluster harness for remediation tests: CRD, agents, a fault injector, workloads."""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.remediate.faults import FAULT, Faults

from kubesage.agents.client import Kube
from kubesage.agents.coordinator import AgentNames, Coordinator
from kubesage.agents.manifests import manifests
from kubesage.remediate.actions.base import all_actions
from kubesage.remediate.model import Proposal
from kubesage.remediate.pipeline import Runner, analyze_namespace, plan
from kubesage.remediate.policy import Policy
from kubesage.remediate.records import Records
from kubesage.results import Result

ROOT = Path(__file__).resolve().parents[2]
CRD = ROOT / "deploy" / "crds" / "remediation.yaml"


@dataclass
class Env:
    cluster: Any
    namespace: str
    agents_ns: str
    admin: Kube
    coordinator: Coordinator
    records: Records
    faults: Faults
    kubeconfig: Path = Path()
    """The coordinator's kubeconfig (it may only mint agent tokens)."""
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    def policy(self, **over: Any) -> Policy:
        spec: dict[str, Any] = {
            "enabled": True,
            "mode": "auto",
            "actions": list(all_actions()),
            "namespaces": [self.namespace],
            "maxObjectsPerInterval": 50,
            "maxPerNamespace": 50,
            "verifyTimeoutSeconds": 60,
            "memory": {"maxFactor": 2, "cap": "1Gi"},
        }
        spec.update(over)
        return Policy.from_spec(spec)

    def runner(self, policy: Policy, verify_timeout: float | None = None) -> Runner:
        return Runner(self.coordinator, policy, self.records, poll_seconds=0.5, verify_timeout=verify_timeout)

    def analyze(self, namespace: str | None = None) -> tuple[Any, list[Result]]:
        return analyze_namespace(self.admin, namespace or self.namespace)

    def plan(self, policy: Policy, llm: Any = None) -> list[Proposal]:
        snap, results = self.analyze()
        return plan(snap, results, policy, llm=llm, history=self.records.history())

    def apply(self, *objs: dict[str, Any]) -> None:
        for original in objs:
            obj = copy.deepcopy(original)
            kind = obj["kind"]
            meta = obj["metadata"]
            meta.setdefault("namespace", self.namespace)
            from kubesage.remediate.model import Target

            path = Target(kind, meta["namespace"], meta["name"]).path()
            self.admin.request(
                "PATCH",
                path,
                query=[("fieldManager", "test"), ("force", "true")],
                body=obj,
                content_type="application/apply-patch+yaml",
            )

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        from kubesage.remediate.model import Target

        return self.admin.get(Target(kind, namespace or self.namespace, name).path())

    def wait(self, what: str, probe: Callable[[], Any], timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            got = probe()
            if got:
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(0.3)

    def wait_finding(self, pattern: str, timeout: float = 60.0) -> list[Result]:
        import re

        def probe() -> list[Result]:
            _, results = self.analyze()
            return [r for r in results if any(re.search(pattern, t) for t in r.texts)]

        return list(self.wait(f"a finding matching {pattern!r}", probe, timeout))

    def wait_rolled_out(self, name: str, timeout: float = 60.0) -> dict[str, Any]:
        from kubesage.remediate.actions.base import rolled_out

        def probe() -> dict[str, Any] | None:
            dep = self.get("Deployment", name)
            return dep if dep and rolled_out(dep)[0] else None

        return dict(self.wait(f"deployment {name} rolled out", probe, timeout))


def deployment(
    name: str,
    image: str = "registry.local/app:1.0",
    replicas: int = 1,
    fault: str = "",
    labels: dict[str, str] | None = None,
    memory: str = "",
    config_map: str = "",
    annotations: dict[str, str] | None = None,
    port: int = 8080,
) -> dict[str, Any]:
    labels = labels or {"app": name}
    container: dict[str, Any] = {"name": "app", "image": image, "ports": [{"containerPort": port, "name": "http"}]}
    if memory:
        container["resources"] = {"limits": {"memory": memory}, "requests": {"memory": memory}}
    if config_map:
        container["envFrom"] = [{"configMapRef": {"name": config_map, "optional": True}}]
    tpl_ann = dict(annotations or {})
    if fault:
        tpl_ann[FAULT] = fault
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels, **({"annotations": tpl_ann} if tpl_ann else {})},
                "spec": {"containers": [container]},
            },
        },
    }


def service(name: str, selector: dict[str, str], port: int = 8080) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": selector, "ports": [{"port": 80, "targetPort": port}]},
    }


def _untaint_nodes(cluster: Any) -> None:
    """Lift the `not-ready` taint admission puts on new nodes now, instead of waiting for
    the node-lifecycle controller's next sync after kwok reports them Ready."""
    admin = Kube(cluster.api_client(), "admin")
    for node in (admin.request("GET", "/api/v1/nodes") or {}).get("items") or []:
        taints = (node.get("spec") or {}).get("taints") or []
        kept = [t for t in taints if t.get("key") != "node.kubernetes.io/not-ready"]
        if kept != taints:
            admin.merge_patch(f"/api/v1/nodes/{node['metadata']['name']}", {"spec": {"taints": kept or None}})


@pytest.fixture(scope="session")
def remediation_crd(real_cluster: Any) -> Any:
    _untaint_nodes(real_cluster)
    real_cluster.kubectl("apply", "--server-side", "-f", str(CRD))
    real_cluster.kubectl("wait", "--for=condition=Established", "crd/remediations.core.kubesage.dev", "--timeout=30s")
    return real_cluster


def install_agents(cluster: Any, agents_ns: str, namespaces: list[str], tmp: Path) -> Coordinator:
    """Agents for `namespaces`, and a coordinator ServiceAccount that may only mint their tokens."""
    admin = Kube(cluster.api_client(), "admin")
    prefix = f"{agents_ns}-agent-"
    objs = manifests(agents_ns, list(all_actions()), namespaces, coordinator="coordinator", prefix=prefix)
    from kubesage.remediate.model import PLURALS

    for obj in objs:
        kind, meta = obj["kind"], obj["metadata"]
        group = obj["apiVersion"]
        base = "/api/v1" if group == "v1" else f"/apis/{group}"
        plural = (
            PLURALS.get(kind)
            or {
                "ServiceAccount": "serviceaccounts",
                "Role": "roles",
                "RoleBinding": "rolebindings",
                "ClusterRole": "clusterroles",
                "ClusterRoleBinding": "clusterrolebindings",
            }[kind]
        )
        ns = f"/namespaces/{meta['namespace']}" if meta.get("namespace") else ""
        path = f"{base}{ns}/{plural}/{meta['name']}"
        admin.request(
            "PATCH",
            path,
            query=[("fieldManager", "kubesage-install"), ("force", "true")],
            body=obj,
            content_type="application/apply-patch+yaml",
        )
    kubeconfig = cluster.sa_kubeconfig(agents_ns, "coordinator", tmp / f"coordinator-{agents_ns}.kubeconfig")
    return Coordinator(cluster.api_client(kubeconfig), AgentNames(namespace=agents_ns, prefix=prefix))


@pytest.fixture
def env(remediation_crd: Any, real_namespace: str, tmp_path: Path) -> Iterator[Env]:
    cluster = remediation_crd
    agents_ns = f"ks-{secrets.token_hex(3)}"
    cluster.kubectl("create", "namespace", agents_ns)
    admin = Kube(cluster.api_client(), "admin")
    coordinator = install_agents(cluster, agents_ns, [real_namespace], tmp_path)
    records = Records(coordinator.kube("record"), agents_ns)
    with Faults(admin, [real_namespace]) as faults:
        yield Env(
            cluster,
            real_namespace,
            agents_ns,
            admin,
            coordinator,
            records,
            faults,
            tmp_path / f"coordinator-{agents_ns}.kubeconfig",
        )
    coordinator.close()
    cluster.kubectl("delete", "namespace", agents_ns, "--wait=false", check=False)
