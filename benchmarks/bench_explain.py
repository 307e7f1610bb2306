"""`--explain` cost and speed: kubesage (dedupe + concurrency) against k8sgpt's one call per result.

A local OpenAI-compatible server adds a fixed latency to every call (default 200 ms). Three
ways to explain the same results are timed and their calls counted:

* kubesage: one call per failure signature, `--max-concurrency` at a time (cache off);
* per-result, sequential: k8sgpt's approach (extrapolated from a sample unless --full);
* per-result at the same concurrency: k8sgpt's call count with kubesage's parallelism.

Inputs: the demo cluster (`examples/demo-cluster`, skipped if absent) and a synthetic
snapshot of 1,000 failing pods with 50 distinct failure signatures.
Targets on the synthetic snapshot: >= 10x fewer calls than per-result, and kubesage's wall
time <= calls x latency / concurrency x 1.2.

    python benchmarks/bench_explain.py [--latency 0.2] [--concurrency 10] [--full]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from llm.wire import FakeServer, Recorded, Reply, openai_answer  # noqa: E402

DEMO = ROOT / "examples" / "demo-cluster"
SEQUENTIAL_SAMPLE = 40


class LatencyServer:
    """The test suite's OpenAI wire server (`tests/llm/wire.py`), sleeping `latency` s per call."""

    def __init__(self, latency: float) -> None:
        self._server = FakeServer(_answer, latency=latency).start()
        self.url = f"{self._server.url}/v1"

    @property
    def calls(self) -> int:
        return len(self._server.requests)

    def stop(self) -> None:
        self._server.stop()


def _answer(request: Recorded) -> Reply:
    body = request.json()
    # Quote the failure text, as a real answer would name the object.
    failure = body["messages"][-1]["content"].split("language; --- ", 1)[-1].split(" ---.", 1)[0]
    return openai_answer(f"Error: {failure[:200]}\nSolution: fix it.", body["model"])


def synthetic(n_results: int = 1000, n_signatures: int = 50) -> tuple[Any, Any]:
    """(Analysis, ClusterSnapshot): `n_results` failing pods spread over `n_signatures` failure kinds."""
    from kubesage.cluster.snapshot import ClusterSnapshot
    from kubesage.results import Analysis, Failure, Result

    families: list[Callable[[int, str, str], str]] = [
        lambda k, pod, c: f"the termination reason is Error exitCode={k + 1} container={c} pod={pod}",
        lambda k, pod, c: f"Readiness probe failed: HTTP probe failed with statuscode: {500 + k}",
        lambda k, pod, c: f"0/{k + 3} nodes are available: {k + 3} Insufficient cpu.",
        lambda k, pod, c: f'Back-off pulling image "reg.example.io/team/{c}:v{k}.0": manifest unknown',
        lambda k, pod, c: f"the last termination reason is OOMKilled limit={64 * (k + 1)}Mi container={c} pod={pod}",
    ]
    snap = ClusterSnapshot()
    results: list[Result] = []
    for i in range(n_results):
        sig = i % n_signatures
        ns, app = f"team-{i % 10}", f"svc-{sig}"
        pod = f"{app}-{(i * 7919) % 0xFFFFFF:06x}{sig:02x}-{i:05d}"[:40]
        container = f"ctr-{sig}"
        snap.add(
            {
                "kind": "Pod",
                "metadata": {"name": pod, "namespace": ns, "labels": {"app": app}},
                "spec": {"containers": [{"name": container, "image": f"reg.example.io/team/{container}:v{sig}.0"}]},
            }
        )
        text = families[sig % len(families)](sig // len(families), pod, container)
        results.append(Result("Pod", f"{ns}/{pod}", [Failure(text, [])]))
    return Analysis(results=results), snap


def demo() -> tuple[Any, Any] | None:
    if not DEMO.is_dir():
        return None
    from kubesage.analysis import AnalyzeRequest, analyze_snapshot
    from kubesage.cluster.files import load_snapshot

    snap = load_snapshot([DEMO])
    return analyze_snapshot(snap, AnalyzeRequest()), snap


@dataclass
class Run:
    calls: int
    wall: float
    estimated: bool = False


def run_kubesage(analysis: Any, snap: Any, backend: Any, concurrency: int, server: LatencyServer) -> Run:
    from kubesage.config import Config
    from kubesage.explain.pipeline import ExplainOptions, explain_analysis

    before = server.calls
    start = time.perf_counter()
    outcome = explain_analysis(
        analysis, snap, Config(), ExplainOptions(no_cache=True, max_concurrency=concurrency), backend=backend
    )
    wall = time.perf_counter() - start
    if outcome.failed:
        raise RuntimeError(f"{outcome.failed} calls failed")
    return Run(server.calls - before, wall)


def run_per_result(analysis: Any, backend: Any, concurrency: int, server: LatencyServer, limit: int = 0) -> Run:
    """k8sgpt's approach: one prompt per result (texts joined by a space), no dedupe."""
    from kubesage.explain.prompts import fill, template_for
    from kubesage.llm.base import CompletionRequest

    todo = [r for r in analysis.results if r.error]
    total = len(todo)
    if limit:
        todo = todo[:limit]

    def call(r: Any) -> None:
        joined = " ".join(r.texts)
        backend.complete(CompletionRequest(prompt=fill(template_for(r.kind), "english", joined), message=joined))

    before = server.calls
    start = time.perf_counter()
    if concurrency <= 1:
        for r in todo:
            call(r)
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(call, todo))
    wall = time.perf_counter() - start
    calls = server.calls - before
    if limit and len(todo) < total:
        return Run(total, wall * total / len(todo), estimated=True)
    return Run(calls, wall)


def _fmt(run: Run) -> str:
    est = " (extrapolated)" if run.estimated else ""
    return f"{run.calls:5d} calls  {run.wall:8.2f} s{est}"


def bench(name: str, analysis: Any, snap: Any, backend: Any, args: argparse.Namespace, server: LatencyServer,
          targets: bool) -> bool:  # fmt: skip
    n = sum(1 for r in analysis.results if r.error)
    print(f"\n{name}: {n} results with failures")
    if n == 0:
        print("  nothing to explain")
        return True
    ks = run_kubesage(analysis, snap, backend, args.concurrency, server)
    seq = run_per_result(analysis, backend, 1, server, 0 if args.full else SEQUENTIAL_SAMPLE)
    par = run_per_result(analysis, backend, args.concurrency, server)
    print(f"  kubesage (dedupe, concurrency {args.concurrency}):  {_fmt(ks)}")
    print(f"  per result, sequential (k8sgpt):         {_fmt(seq)}")
    print(f"  per result, concurrency {args.concurrency}:            {_fmt(par)}")
    call_ratio = par.calls / max(ks.calls, 1)
    print(f"  call ratio (per-result / kubesage):      {call_ratio:.1f}x fewer calls")
    print(f"  wall-time ratio vs sequential k8sgpt:    {seq.wall / ks.wall:.1f}x faster")
    print(f"  wall-time ratio vs per-result parallel:  {par.wall / ks.wall:.1f}x faster")
    bound = math.ceil(ks.calls / args.concurrency) * args.latency
    limit = ks.calls * args.latency / args.concurrency * 1.2
    print(f"  kubesage wall {ks.wall:.2f} s; ideal {bound:.2f} s; target <= calls x latency / concurrency x 1.2 = "
          f"{limit:.2f} s")  # fmt: skip
    if not targets:
        return True
    ok_calls = call_ratio >= 10
    ok_wall = ks.wall <= limit
    print(f"  target >= 10x fewer calls: {'PASS' if ok_calls else 'MISS'} ({call_ratio:.1f}x)")
    print(f"  target wall time:          {'PASS' if ok_wall else 'MISS'} ({ks.wall:.2f} s <= {limit:.2f} s)")
    return ok_calls and ok_wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds the server waits per call")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--full", action="store_true", help="run the sequential baseline in full (slow)")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])

    src = str(ROOT / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    os.environ.setdefault("KUBESAGE_CACHE_DIR", tempfile.mkdtemp(prefix="kubesage-bench-"))
    from kubesage.config import ProviderConfig
    from kubesage.llm.openai import LocalAIBackend

    server = LatencyServer(args.latency)
    try:
        backend = LocalAIBackend(ProviderConfig(name="localai", baseurl=server.url, model="bench"), "localai")
        from kubesage.llm.base import CompletionRequest

        backend.complete(CompletionRequest(prompt="warm-up"))  # SDK lazy imports: a one-time cost for every mode
        print(f"explain benchmark: server latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency}")
        ok = True
        found = demo()
        if found is None:
            print(f"\ndemo cluster: {DEMO} not found, skipped")
        else:
            ok &= bench("demo cluster", found[0], found[1], backend, args, server, targets=False)
        analysis, snap = synthetic()
        ok &= bench("synthetic (1,000 failures, 50 signatures)", analysis, snap, backend, args, server, targets=True)
    finally:
        server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
