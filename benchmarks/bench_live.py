"""LIST + parse throughput of the live source, against the fake API server in another process.

Compares our path (raw GET through ApiClient, `json.loads`) with the client's typed
`CoreV1Api.list_pod_for_all_namespaces` (model deserialisation), both paginated at 500.

    .venv/bin/python benchmarks/bench_live.py [--pods 20000] [--runs 3] [--gzip] [--skip-typed]

The fake API server is the test suite's (`tests/cluster/fake_apiserver.py`).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "tests" / "cluster"
sys.path.insert(0, str(HERE))

from fake_apiserver import write_kubeconfig  # noqa: E402

from kubesage.cluster.live import PAGE_SIZE, connect, load_live  # noqa: E402


def _ours(kubeconfig: str) -> int:
    return len(load_live(["Pod"], kubeconfig=kubeconfig, progress=False).objects("Pod"))


def _typed(kubeconfig: str) -> int:
    from kubernetes import client

    live = connect(kubeconfig)
    api = client.CoreV1Api(live._api)
    count, token = 0, None
    try:
        while True:
            page = api.list_pod_for_all_namespaces(limit=PAGE_SIZE, _continue=token)
            count += len(page.items)
            token = page.metadata._continue
            if not token:
                return count
    finally:
        live.close()


def _median(fn: Callable[[str], int], kubeconfig: str, runs: int) -> tuple[float, int]:
    times, n = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        n = fn(kubeconfig)
        times.append(time.perf_counter() - start)
    return statistics.median(times), n


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-typed", action="store_true")
    parser.add_argument("--gzip", action="store_true", help="the server compresses its replies")
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, str(HERE / "fake_apiserver.py"), "--pods", str(args.pods), *(["--gzip"] if args.gzip else [])],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as tmp:
            kc = str(write_kubeconfig(Path(tmp) / "kubeconfig", url))
            _ours(kc)  # warm the server's page cache and the connection pool
            t, n = _median(_ours, kc, args.runs)
            print(f"kubesage raw LIST+json.loads: {n} pods in {t:.2f} s = {n / t:,.0f} pods/s (median of {args.runs})")
            if not args.skip_typed:
                t2, n2 = _median(_typed, kc, 1)
                rate = f"{n2 / t2:,.0f} pods/s ({t2 / t:.1f}x slower)"
                print(f"kubernetes typed models:      {n2} pods in {t2:.2f} s = {rate}")
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
