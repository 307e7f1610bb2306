"""Scale on the real API server: live `kubesage analyze` and `snapshot save` against a kwok cluster.

Boots the test cluster (tools/cluster.py: etcd, kube-apiserver, controller-manager, scheduler,
kwok), adds N kwok nodes and D Deployments whose pods the real controllers create, the
scheduler binds and kwok runs, each with a Service and a ConfigMap (Events come from the
controllers and the scheduler). Then it measures, for `kubesage analyze -o json` and for
`kubesage snapshot save --format json`: wall time, API requests (from the API server's
audit log) and peak RSS of the kubesage process.

    .venv/bin/python benchmarks/bench_scale.py [--nodes 500] [--pods 20000] [--per-deployment 50]

Skipped (exit 0) when the cluster binaries are not built: `make cluster-build`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KUBESAGE = Path(sys.executable).with_name("kubesage")


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cluster", ROOT / "tools" / "cluster.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["cluster"] = mod
    spec.loader.exec_module(mod)
    return mod


def _workload(ns: str, i: int, replicas: int) -> list[dict[str, Any]]:
    name, labels = f"app-{i:04d}", {"app": f"app-{i:04d}"}
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{name}-config", "namespace": ns},
            "data": {"LOG_LEVEL": "info", "FEATURE_X": "on"},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [
                            {
                                "name": "app",
                                "image": f"registry.example/app:{i % 7}.0",
                                "envFrom": [{"configMapRef": {"name": f"{name}-config"}}],
                                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                            }
                        ],
                        "automountServiceAccountToken": False,
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]},
        },
    ]


def _apply(cluster: Any, items: list[dict[str, Any]]) -> None:
    """Create `items` with a few kubectl processes at once (one POST per object each)."""
    from concurrent.futures import ThreadPoolExecutor

    chunks = [items[i : i + 100] for i in range(0, len(items), 100)]

    def create(chunk: list[dict[str, Any]]) -> None:
        cluster.kubectl("create", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": chunk}))

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(create, chunks))


def _replicas(cluster: Any) -> tuple[int, int]:
    """(pods the ReplicaSets have created, pods available) over every Deployment."""
    out = cluster.kubectl(
        "get",
        "deployments",
        "-A",
        "-o",
        "jsonpath={range .items[*]}{.status.replicas}{' '}{.status.availableReplicas}{'\\n'}{end}",
    ).stdout
    created = available = 0
    for line in out.splitlines():
        parts = [*line.split(), "0", "0"][:2]
        created += int(parts[0]) if parts[0].isdigit() else 0
        available += int(parts[1]) if parts[1].isdigit() else 0
    return created, available


def _measure(cluster: Any, argv: list[str]) -> dict[str, Any]:
    """Run one kubesage command; wall time, peak RSS (MiB) and the API requests it made."""
    since = cluster.audit_log.stat().st_size
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=False)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} failed: {err.strip()[-300:]}")
    time.sleep(1.0)  # the audit backend writes after the response
    verbs: Counter[str] = Counter()
    with cluster.audit_log.open("rb") as f:
        f.seek(since)
        for line in f:
            ev = json.loads(line)
            if ev.get("stage") == "ResponseComplete" and str(ev.get("userAgent", "")).startswith("kubesage/"):
                verbs[ev["verb"]] += 1
    return {"wall": wall, "rss_mib": usage.ru_maxrss / 1024, "requests": dict(verbs)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=int(os.environ.get("KUBESAGE_SCALE_NODES", "500")))
    parser.add_argument("--pods", type=int, default=int(os.environ.get("KUBESAGE_SCALE_PODS", "10000")))
    parser.add_argument("--per-deployment", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=1200, help="seconds to wait for every pod to run")
    args = parser.parse_args()
    tool = _tool()
    if not all(tool.is_built(m) for m in tool.MODULES[:2]):
        print(f"skipped: cluster binaries not built in {tool.bin_dir()} (make cluster-build)")
        return 0
    deployments = max(1, args.pods // args.per_deployment)
    with tempfile.TemporaryDirectory(prefix="kubesage-scale-") as tmp:
        cluster = tool.Cluster(Path(tmp) / "state")
        try:
            boot = cluster.up(nodes=0)
            t0 = time.perf_counter()
            cluster.add_nodes(args.nodes)
            namespaces = [f"team-{i:02d}" for i in range(max(1, deployments // 100))]
            _apply(cluster, [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in namespaces])
            items = [
                o
                for i in range(deployments)
                for o in _workload(namespaces[i % len(namespaces)], i, args.per_deployment)
            ]
            _apply(cluster, items)
            target = deployments * args.per_deployment
            deadline = time.monotonic() + args.timeout
            created, running = _replicas(cluster)
            while running < target and time.monotonic() < deadline:
                time.sleep(10)
                created, running = _replicas(cluster)
            fill = time.perf_counter() - t0
            counts = {
                kind: len(cluster.kubectl("get", kind, "-A", "-o", "name").stdout.split())
                for kind in ("pods", "events", "replicasets", "endpointslices")
            }
            shape = f"{args.nodes} kwok nodes, {deployments} Deployments x {args.per_deployment}"
            others = ", ".join(f"{n} {k}" for k, n in counts.items() if k != "pods")
            print(f"cluster: boot {boot:.1f} s; {shape}: {created} pods created, {running} running after {fill:.0f} s")
            print(f"         {deployments} Services and ConfigMaps, {others}")
            kc = str(cluster.kubeconfig)
            runs = {
                "analyze": [str(KUBESAGE), "analyze", "--kubeconfig", kc, "-o", "json"],
                "analyze --lint": [str(KUBESAGE), "analyze", "--kubeconfig", kc, "-o", "json", "--lint"],
                "snapshot save": [
                    str(KUBESAGE),
                    "snapshot",
                    "save",
                    "--kubeconfig",
                    kc,
                    "--format",
                    "json",
                    "-o",
                    str(Path(tmp) / "snap"),
                ],
            }
            for label, argv in runs.items():
                m = _measure(cluster, argv)
                reqs = ", ".join(f"{n} {v}" for v, n in sorted(m["requests"].items()))
                print(f"{label:15} {m['wall']:6.1f} s wall, peak RSS {m['rss_mib']:5.0f} MiB, API requests: {reqs}")
        finally:
            cluster.down(remove=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
