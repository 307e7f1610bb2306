"""Server hardening figures (issue 14): the hostile 28 KB prompt, /healthz latency while under attack
(hostile prompts, idle half-sent connections), and load req/s with p99 — loopback only, bounded.

    python benchmarks/bench_server.py [--seconds 30] [--clients 50] [--idle 2000]

Each part runs `kubesage serve` in a subprocess with its defaults (the starter KB, kb backend).
The load clients are bench_rag.py's keep-alive asyncio clients (every request a distinct failure text).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_rag import _free_port, _load_raw, percentile

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = json.loads((ROOT / "tests" / "server" / "fixtures" / "hostile_customrest.json").read_text())


@contextmanager
def server(*args: str) -> Iterator[int]:
    import httpx

    port = _free_port()
    data_dir = tempfile.mkdtemp(prefix="kubesage-bench-data-")
    cmd = [sys.executable, "-m", "kubesage.cli.app", "serve", "--port", str(port), *args]
    proc = subprocess.Popen(cmd, env={**os.environ, "KUBESAGE_DATA_DIR": data_dir}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    reason = proc.stderr.read().decode() if proc.stderr else ""
                    raise SystemExit(f"server did not start: {reason}") from None
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(15)
        shutil.rmtree(data_dir, ignore_errors=True)


def healthz_samples(port: int, running: threading.Event, interval: float = 0.05) -> list[tuple[float, int]]:
    """(seconds, status) of /healthz every `interval` while `running` is set (at least 5 samples)."""
    import httpx

    out: list[tuple[float, int]] = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        client.get("/healthz")
        while running.is_set() or len(out) < 5:
            t0 = time.perf_counter()
            try:
                status = client.get("/healthz").status_code
            except httpx.HTTPError:
                status = 0
            out.append((time.perf_counter() - t0, status))
            time.sleep(interval)
    return out


HEALTHZ_TARGET_S = 1.0
FAILED: list[str] = []


def summary(samples: list[tuple[float, int]], what: str) -> str:
    times = [t * 1000 for t, _ in samples]
    bad = sum(1 for _, s in samples if s != 200)
    if bad or max(times) > HEALTHZ_TARGET_S * 1000:
        FAILED.append(f"/healthz during {what}")
    return (f"/healthz p50 {statistics.median(times):.1f} ms, max {max(times):.1f} ms over {len(samples)} probes, "
            f"{bad} not 200")  # fmt: skip


def hostile_prompt(port: int) -> None:
    import httpx

    running = threading.Event()
    running.set()
    result: dict[str, float | int] = {}

    def post() -> None:
        t0 = time.perf_counter()
        resp = httpx.post(f"http://127.0.0.1:{port}/completions", json=HOSTILE, timeout=120)
        result.update(status=resp.status_code, seconds=time.perf_counter() - t0)
        running.clear()

    thread = threading.Thread(target=post)
    thread.start()
    samples = healthz_samples(port, running)
    thread.join()
    if result["status"] not in (200, 504):
        FAILED.append("hostile prompt status")
    print(f"hostile 28 KB prompt: HTTP {result['status']} in {result['seconds']:.2f} s; "
          f"meanwhile {summary(samples, 'the hostile prompt')}")  # fmt: skip


def idle_connections(port: int, count: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, count + 256) if hard != resource.RLIM_INFINITY else count + 256
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    socks: list[socket.socket] = []
    t0 = time.perf_counter()
    try:
        for _ in range(count):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                s.sendall(b"POST /completions HTTP/1.1\r\nHost: x\r\nContent-Type: appl")
                socks.append(s)
            except OSError:
                break
        opened = time.perf_counter() - t0
        running = threading.Event()
        samples = healthz_samples(port, running, interval=0.1)[:20]
        print(f"{len(socks)} idle half-sent connections (opened in {opened:.1f} s): "
              f"{summary(samples, 'idle connections')}")  # fmt: skip
    finally:
        for s in socks:
            s.close()


def load(port: int, clients: int, seconds: float, label: str, attack: bool = False) -> None:
    import httpx

    asyncio.run(_load_raw(port, clients, 1.0))  # warm-up
    running = threading.Event()
    running.set()
    hostile: list[int] = []

    def attacker() -> None:
        while running.is_set():
            hostile.append(httpx.post(f"http://127.0.0.1:{port}/completions", json=HOSTILE, timeout=120).status_code)

    threads = [threading.Thread(target=attacker)] if attack else []
    probe: list[list[tuple[float, int]]] = []
    threads.append(threading.Thread(target=lambda: probe.append(healthz_samples(port, running, interval=0.25))))
    for t in threads:
        t.start()
    latencies, errors = asyncio.run(_load_raw(port, clients, seconds))
    running.clear()
    for t in threads:
        t.join()
    rps = len(latencies) / seconds
    p50, p99 = statistics.median(latencies) * 1000, percentile(latencies, 99) * 1000
    extra = f"; {len(hostile)} hostile prompts sent alongside ({sorted(set(hostile))})" if attack else ""
    if errors:
        FAILED.append(f"load {label}: {errors} errors")
    print(f"load {label}: POST /completions, {clients} clients, {seconds:.0f} s: {rps:.0f} req/s, p50 {p50:.1f} ms, "
          f"p99 {p99:.1f} ms, errors {errors}{extra}; {summary(probe[0], 'load ' + label)}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--idle", type=int, default=2000)
    args = parser.parse_args()
    print(f"== server benchmark (cpus: {os.cpu_count()})")
    with server() as port:
        hostile_prompt(port)
        idle_connections(port, args.idle)
        load(port, args.clients, args.seconds, "plain")
        load(port, args.clients, args.seconds, "under attack", attack=True)
    if FAILED:
        print(f"MISS: {', '.join(FAILED)} (target: /healthz always 200 within {HEALTHZ_TARGET_S:g} s, no errors)")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
