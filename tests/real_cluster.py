"""Pytest plugin: a real Kubernetes API server for the `real` test tier (see tools/cluster.py).

Fixtures:
- `real_cluster` (session): etcd, kube-apiserver (RBAC + Node authorization, default admission),
  kube-controller-manager, kube-scheduler and kwok with 3 fake nodes, on free loopback ports,
  state in a per-session temp dir.
- `real_namespace` (function): a fresh namespace in `real_cluster`, deleted afterwards.
- `real_demo` (session): a second cluster, without controller-manager and scheduler, holding
  examples/demo-cluster (controllers would reconcile the frozen picture away). Read-only.

When a component cannot be built or started the fixtures skip naming it and the reason;
with CI=true they fail instead: a broken harness must never pass by skipping.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import CompletedProcess
from types import ModuleType
from typing import Any, NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


cluster_tool = _load("cluster")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(component: str, reason: str) -> NoReturn:
    """Skip (locally) or fail (CI) naming the component that is missing."""
    message = f"real cluster unavailable: {component}: {reason}"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@dataclass
class RealCluster:
    """A running test cluster and helpers to use it."""

    handle: Any  # tools/cluster.py Cluster
    kubeconfig: Path
    server: str
    bin_dir: Path
    boot_seconds: float = 0.0
    _made: list[Path] = field(default_factory=list)

    @property
    def audit_log(self) -> Path:
        return Path(self.handle.audit_log)

    @property
    def ca_file(self) -> Path:
        return Path(self.handle.pki) / "ca.crt"

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, kubeconfig: Path | None = None
    ) -> CompletedProcess[str]:
        proc: CompletedProcess[str] = self.handle.kubectl(*args, input=input, check=False, kubeconfig=kubeconfig)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc

    def api_client(self, kubeconfig: Path | None = None) -> Any:
        """An admin `kubernetes.client.ApiClient` (or one for another kubeconfig)."""
        from kubernetes import config

        return config.new_client_from_config(config_file=str(kubeconfig or self.kubeconfig))

    def sa_kubeconfig(self, namespace: str, serviceaccount: str, path: Path) -> Path:
        """A kubeconfig holding a TokenRequest token for `namespace/serviceaccount` (created if absent)."""
        if self.kubectl("get", "serviceaccount", serviceaccount, "-n", namespace, check=False).returncode != 0:
            self.kubectl("create", "serviceaccount", serviceaccount, "-n", namespace)
        token = self.kubectl("create", "token", serviceaccount, "-n", namespace, "--duration=2h").stdout.strip()
        result: Path = cluster_tool.write_kubeconfig(
            path, self.server, self.ca_file, user=f"{namespace}-{serviceaccount}", token=token, namespace=namespace
        )
        return result

    def audit_offset(self) -> int:
        """The audit log's current size: pass it to `audit_events` to see only later requests."""
        return self.audit_log.stat().st_size if self.audit_log.exists() else 0

    def audit_events(self, since: int, user_agent: str = "kubesage/", settle: float = 1.0) -> list[dict[str, Any]]:
        """Completed requests logged after `since` whose user agent starts with `user_agent`."""
        time.sleep(settle)  # the audit backend writes after the response is sent
        with self.audit_log.open("rb") as f:
            f.seek(since)
            lines = f.read().splitlines()
        out = []
        for line in lines:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("stage") == "ResponseComplete" and str(ev.get("userAgent", "")).startswith(user_agent):
                out.append(ev)
        return out


def _boot(state: Path, **kwargs: Any) -> RealCluster:
    missing = [
        (m.name, b) for m in cluster_tool.MODULES[:2] for b in m.binaries if not (cluster_tool.bin_dir() / b).is_file()
    ]
    if missing:
        unavailable(missing[0][1], f"not built in {cluster_tool.bin_dir()} (run `make cluster-build`)")
    handle = cluster_tool.Cluster(state, tied=True)
    try:
        took = handle.up(**kwargs)
    except cluster_tool.ClusterError as err:
        unavailable(err.component, err.reason)
    return RealCluster(handle, handle.kubeconfig, handle.server, cluster_tool.bin_dir(), took)


@pytest.fixture(scope="session")
def real_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealCluster]:
    cluster = _boot(tmp_path_factory.mktemp("real-cluster"), nodes=3)
    try:
        yield cluster
    finally:
        cluster.handle.down(remove=False)


@pytest.fixture
def real_namespace(real_cluster: RealCluster) -> Iterator[str]:
    name = f"t-{secrets.token_hex(4)}"
    real_cluster.kubectl("create", "namespace", name)
    try:
        yield name
    finally:
        real_cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture(scope="session")
def real_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealCluster]:
    state = tmp_path_factory.mktemp("real-demo")
    demo_apply = _load("demo_apply")
    demo = ROOT / "examples" / "demo-cluster"
    logs = demo_apply.logs_config(demo, state / "demo-logs")
    cluster = _boot(state, nodes=0, controllers=False, scheduler=False, kwok_config=logs)
    try:
        try:
            demo_apply.apply_demo(cluster.handle, demo, kubelet_port=cluster.handle.ports["kwok"])
        except cluster_tool.ClusterError as err:
            unavailable("demo", err.reason)
        yield cluster
    finally:
        cluster.handle.down(remove=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real: needs the real test cluster (tools/cluster.py); skipped when unbuilt")
