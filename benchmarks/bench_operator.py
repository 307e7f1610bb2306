"""The operator on a kwok scale cluster: what an interval costs once the watches have synced.

Boots the test cluster (tools/cluster.py), fills it with bench_scale's workload (Deployments
whose pods the real controllers create and kwok runs, Services, ConfigMaps) plus a few broken
objects, installs the CRDs and one KubeSage with explanations on (a local OpenAI-wire server),
then runs `kubesage operator` as a process and measures, from the API server's audit log:

- API requests per interval after the first sync (target: 0 LISTs, 0 GETs), against a
  LIST-per-interval design (one `load_live` + analysis per interval, as k8sgpt-operator does);
- reconcile time (first pass, and a pass after one change);
- peak RSS of the operator process;
- LLM calls over 10 unchanged intervals (target: 0).

    .venv/bin/python benchmarks/bench_operator.py [--nodes 20] [--pods 1000] [--interval 10] [--intervals 10]

Skipped (exit 0, with a message) when the cluster binaries are not built: `make cluster-build`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for extra in (HERE, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import bench_scale  # noqa: E402
from llm.wire import openai_answer, serve  # noqa: E402

NS = "kubesage-bench"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _audit(cluster: Any, since: int) -> Counter[str]:
    """Requests by kubesage (its client and kopf's) since `since`, as "verb resource"."""
    time.sleep(1.0)  # the audit backend writes after the response
    counts: Counter[str] = Counter()
    with cluster.audit_log.open("rb") as f:
        f.seek(since)
        for line in f:
            ev = json.loads(line)
            agent = str(ev.get("userAgent", ""))
            if ev.get("stage") == "ResponseComplete" and agent.startswith(("kubesage/", "kopf/")):
                resource = (ev.get("objectRef") or {}).get("resource", "")
                counts[f"{ev['verb']} {resource}"] += 1
    return counts


def _metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))


def _wait(check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.5)


def _broken(ns: str) -> list[dict[str, Any]]:
    """A Service selecting nothing and a Deployment that cannot be scheduled."""
    return [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "orphan", "namespace": ns},
         "spec": {"selector": {"app": "nothing"}, "ports": [{"port": 80}]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": ns},
         "spec": {"ingressClassName": "missing",
                  "defaultBackend": {"service": {"name": "orphan", "port": {"number": 80}}}}},
    ]  # fmt: skip


def _fmt(counts: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"


def _baseline(cluster: Any, intervals: int) -> tuple[float, Counter[str], int]:
    """k8sgpt-operator's design: every interval LISTs every kind and analyses from scratch."""
    from kubesage.analysis import AnalyzeRequest, analyze_snapshot, plan
    from kubesage.cluster.live import load_live

    request = AnalyzeRequest()
    specs, _, kinds = plan(request)
    since = cluster.audit_log.stat().st_size
    times, results = [], 0
    for _ in range(intervals):
        start = time.perf_counter()
        snap = load_live(kinds, kubeconfig=str(cluster.kubeconfig), progress=False)
        results = len(analyze_snapshot(snap, request, specs).results)
        times.append(time.perf_counter() - start)
    counts = _audit(cluster, since)
    per = Counter({k: v // intervals for k, v in counts.items()})
    return sum(times) / len(times), per, results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=20)
    parser.add_argument("--pods", type=int, default=1000)
    parser.add_argument("--per-deployment", type=int, default=10)
    parser.add_argument("--interval", type=int, default=10)
    parser.add_argument("--intervals", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    tool = bench_scale._tool()
    if not all(tool.is_built(m) for m in tool.MODULES[:2]):
        print(f"skipped: cluster binaries not built in {tool.bin_dir()} (make cluster-build)")
        return 0
    deployments = max(1, args.pods // args.per_deployment)
    with tempfile.TemporaryDirectory(prefix="kubesage-bench-op-") as tmp:
        cluster = tool.Cluster(Path(tmp) / "state")
        llm_calls: list[int] = []

        def answer(rec: Any) -> Any:
            llm_calls.append(1)
            return openai_answer("Error: explained. Solution: fix it.")

        try:
            cluster.up(nodes=0)
            cluster.add_nodes(args.nodes)
            namespaces = [f"team-{i:02d}" for i in range(max(1, deployments // 50))]
            bench_scale._apply(cluster, [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}}
                                         for n in [*namespaces, NS]])  # fmt: skip
            items = [
                o
                for i in range(deployments)
                for o in bench_scale._workload(namespaces[i % len(namespaces)], i, args.per_deployment)
            ]
            bench_scale._apply(cluster, items + _broken(namespaces[0]))  # fmt: skip
            deadline = time.monotonic() + args.timeout
            while bench_scale._running(cluster) < deployments * args.per_deployment and time.monotonic() < deadline:
                time.sleep(3)
            objects = {k: len(cluster.kubectl("get", k, "-A", "-o", "name").stdout.split())
                       for k in ("pods", "events", "replicasets", "services", "configmaps")}  # fmt: skip
            print(f"cluster: {args.nodes} kwok nodes, {deployments} Deployments, "
                  + ", ".join(f"{v} {k}" for k, v in objects.items()))  # fmt: skip
            for crd in ("kubesage.yaml", "result.yaml"):
                cluster.kubectl("apply", "--server-side", "-f", str(ROOT / "deploy" / "crds" / crd))
            cluster.kubectl("wait", "--for=condition=Established", "crd/kubesages.core.kubesage.dev")
            cluster.kubectl("create", "secret", "generic", "llm-key", "-n", NS, "--from-literal=api-key=sk-bench")
            with serve(answer) as llm:
                ks = {"apiVersion": "core.kubesage.dev/v1alpha1", "kind": "KubeSage",
                      "metadata": {"name": "bench", "namespace": NS},
                      "spec": {"interval": f"{args.interval}s", "excludedNamespaces": [NS],
                               "ai": {"enabled": True, "backend": "openai", "baseUrl": llm.url + "/v1",
                                      "secret": {"name": "llm-key"}}}}  # fmt: skip
                cluster.kubectl("apply", "-f", "-", input=json.dumps(ks))
                port = _port()
                env = {**os.environ, "HOME": tmp, "KUBESAGE_CACHE_DIR": f"{tmp}/cache"}
                start_audit = cluster.audit_log.stat().st_size
                started = time.perf_counter()
                proc = subprocess.Popen(
                    [str(bench_scale.KUBESAGE), "operator", "--kubeconfig", str(cluster.kubeconfig),
                     "--metrics-bind-address", f"127.0.0.1:{port}", "--health-probe-bind-address", "0"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                )  # fmt: skip
                try:
                    _wait(lambda: _port_open(port) and _metric(port, "kubesage_reconcile_duration_seconds_count") >= 1,
                          300)  # fmt: skip
                    first_wall = time.perf_counter() - started
                    first_pass = _metric(port, "kubesage_reconcile_duration_seconds_sum")
                    time.sleep(args.interval)  # let the first pass's writes settle
                    sync = _audit(cluster, start_audit)
                    results = len(json.loads(cluster.kubectl("get", "results", "-n", NS, "-o", "json").stdout)["items"])
                    calls_first = len(llm_calls)

                    since, calls_before = cluster.audit_log.stat().st_size, len(llm_calls)
                    skipped_before = _metric(port, "kubesage_reconcile_skipped_total")
                    time.sleep(args.interval * args.intervals)
                    steady = _audit(cluster, since)
                    steady_calls = len(llm_calls) - calls_before
                    skipped = _metric(port, "kubesage_reconcile_skipped_total") - skipped_before

                    # One change: a new failure; the pass that follows costs one analysis and one LLM call.
                    passes = _metric(port, "kubesage_reconcile_duration_seconds_count")
                    sum_before = _metric(port, "kubesage_reconcile_duration_seconds_sum")
                    change_calls = len(llm_calls)
                    svc = {"apiVersion": "v1", "kind": "Service",
                           "metadata": {"name": "orphan-2", "namespace": namespaces[0]},
                           "spec": {"selector": {"app": "none-2"}, "ports": [{"port": 80}]}}  # fmt: skip
                    cluster.kubectl("apply", "-f", "-", input=json.dumps(svc))
                    _wait(lambda: _metric(port, "kubesage_reconcile_duration_seconds_count") > passes, 120)
                    time.sleep(2)
                    change_pass = (_metric(port, "kubesage_reconcile_duration_seconds_sum") - sum_before) / max(
                        1.0, _metric(port, "kubesage_reconcile_duration_seconds_count") - passes
                    )
                    change_llm = len(llm_calls) - change_calls
                    rss = _peak_rss(proc.pid)
                finally:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
            base_time, base_reqs, base_results = _baseline(cluster, 3)
        finally:
            cluster.down(remove=False)
    lists = sum(v for k, v in steady.items() if k.startswith("list "))
    gets = sum(v for k, v in steady.items() if k.startswith("get "))
    print(f"first sync + pass: {first_wall:.1f} s to the first Results ({first_pass:.2f} s analysing); "
          f"{results} Results, {calls_first} LLM calls; requests: {_fmt(sync)}")  # fmt: skip
    print(f"steady, {args.intervals} intervals of {args.interval} s, nothing changed: {lists} LISTs, {gets} GETs, "
          f"all requests: {_fmt(steady)}; {skipped:.0f} passes skipped; LLM calls: {steady_calls}")  # fmt: skip
    print(f"one new failure: pass {change_pass:.3f} s, LLM calls {change_llm}")
    print(f"operator peak RSS: {rss:.0f} MiB")
    base_lists = sum(v for k, v in base_reqs.items() if k.startswith("list "))
    print(f"LIST-per-interval design (load_live + analyze each interval): {base_lists} LISTs per interval "
          f"({_fmt(base_reqs)}), {base_time:.2f} s per interval, {base_results} results")  # fmt: skip
    return 0 if lists == 0 and gets == 0 and steady_calls == 0 else 1


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _peak_rss(pid: int) -> float:
    """VmHWM of a running process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    sys.exit(main())
