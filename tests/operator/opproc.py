"""Helpers for the real-cluster operator tests: render and install the chart, run `kubesage operator`
as a process with the chart's ServiceAccount token, and wait for what it writes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "kubesage"
GROUP, VERSION = "core.kubesage.dev", "v1alpha1"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], T], timeout: float, what: str, interval: float = 0.5) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def helm_template(bin_dir: Path, namespace: str, release: str = "kubesage", *sets: str) -> str:
    helm = bin_dir / "helm"
    args = [str(helm), "template", release, str(CHART), "--namespace", namespace, "--include-crds"]
    for s in sets:
        args += ["--set", s]
    proc = subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


class OperatorProcess:
    """`kubesage operator` in a subprocess, logging to a file."""

    def __init__(
        self,
        kubeconfig: Path,
        namespaces: list[str],
        workdir: Path,
        *,
        leader_elect: bool = False,
        lease_namespace: str = "",
        lease_name: str = "kubesage-operator",
        name: str = "op",
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.kubeconfig, self.namespaces, self.workdir = kubeconfig, namespaces, workdir
        self.leader_elect, self.lease_namespace, self.name = leader_elect, lease_namespace, name
        self.lease_name = lease_name
        self.extra_args = extra_args
        self.metrics_port, self.health_port = free_port(), free_port()
        self.log = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> OperatorProcess:
        args = [
            sys.executable,
            "-c",
            "from kubesage.cli.app import main; main()",
            "operator",
            "--kubeconfig",
            str(self.kubeconfig),
            "--metrics-bind-address",
            f"127.0.0.1:{self.metrics_port}",
            "--health-probe-bind-address",
            f"127.0.0.1:{self.health_port}",
        ]
        for ns in self.namespaces:
            args += ["--namespace", ns]
        if self.leader_elect:
            args += ["--leader-elect", "--leader-election-namespace", self.lease_namespace]
            args += ["--leader-election-id", self.lease_name]
        args += list(self.extra_args)
        env = {
            **os.environ,
            "HOME": str(self.workdir),
            "KUBESAGE_CACHE_DIR": str(self.workdir / "cache"),
            "KUBESAGE_CONFIG": str(self.workdir / "no-config.yaml"),
            "KUBECONFIG": "",
        }
        env.pop("KUBECONFIG")
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.workdir)
        wait_for(self._ready, 60, f"{self.name} /readyz")
        return self

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"operator {self.name} exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/readyz", timeout=2) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as resp:
            return str(resp.read().decode())

    def metric(self, name: str, labels: str = "") -> float:
        """The value of one sample (`name{labels}`), or 0 if absent."""
        prefix = f"{name}{{{labels}" if labels else name
        total = 0.0
        for line in self.metrics().splitlines():
            if line.startswith(prefix) and not line.startswith("#"):
                head = line.rsplit(" ", 1)
                if labels or head[0] == name or head[0].startswith(name + "{"):
                    total += float(head[1])
        return total

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def __enter__(self) -> OperatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def results(api: Any, namespace: str) -> dict[str, dict[str, Any]]:
    from kubernetes import client

    items = client.CustomObjectsApi(api).list_namespaced_custom_object(GROUP, VERSION, namespace, "results")["items"]
    return {i["metadata"]["name"]: i for i in items}


def kubesage(api: Any, namespace: str, name: str) -> dict[str, Any]:
    from kubernetes import client

    obj: dict[str, Any] = client.CustomObjectsApi(api).get_namespaced_custom_object(
        GROUP, VERSION, namespace, "kubesages", name
    )
    return obj


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    for c in (obj.get("status") or {}).get("conditions") or ():
        if c.get("type") == kind:
            return dict(c)
    return {}
