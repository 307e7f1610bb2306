"""RAG benchmarks: ingest 10,000 synthetic documents, query latency at that size, and server
throughput for k8sgpt's `POST /completions` with the offline `kb` backend under 50 concurrent
clients (loopback only, bounded run time).

    python benchmarks/bench_rag.py [--docs 10000] [--queries 300] [--seconds 10] [--clients 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUERY_P50_TARGET_MS = 20.0
THROUGHPUT_TARGET_RPS = 200.0

_WORD_TEXT = (
    "pod container node deployment service ingress volume claim secret configmap image registry tag pull "
    "backoff restart crash memory limit request cpu quota schedule taint toleration affinity probe "
    "readiness liveness endpoint selector label namespace kubelet runtime network policy dns coredns "
    "webhook admission certificate tls storage class provisioner mount attach cordon drain eviction "
    "pressure disk pid job cronjob rollout replica autoscaler metrics server rbac role binding account "
    "token sandbox cni plugin timeout latency error failed pending ready available upgrade version "
    "cluster control plane etcd apiserver"
)
_FILLER_TEXT = (
    "the a check then verify after before when with for from into each every your team our on-call "
    "engineer should must may run apply edit describe logs events status output confirm ticket escalate "
    "page runbook"
)
WORDS, FILLER = _WORD_TEXT.split(), _FILLER_TEXT.split()
FAILURES = [
    'Back-off pulling image "registry.example.com/shop/web:{n}"',
    "the last termination reason is OOMKilled container=app pod=api-{n}",
    "0/3 nodes are available: 3 Insufficient cpu. pod=batch-{n}",
    "Service has no endpoints, expected label app=web-{n}",
    "Readiness probe failed: HTTP probe failed with statuscode: 503 pod=web-{n}",
    'MountVolume.SetUp failed for volume "config-{n}" : configmap "app-config" not found',
    "Ingress uses the ingress class nginx-{n} which does not exist.",
    "Job has reached the specified backoff limit job=etl-{n}",
    "容器記憶體不足被 OOMKilled pod=worker-{n}",
    "Pod 一直 Pending，無法調度 pod=db-{n}",
]


def synthetic_docs(root: Path, count: int, seed: int = 7) -> None:
    from kubesage.rag.reasons import VOCABULARY

    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        reasons = rng.sample(VOCABULARY, 2)
        title = f"{reasons[0]} runbook {i}: " + " ".join(rng.choices(WORDS, k=4))
        sections = []
        for heading in ("Symptoms", "Diagnose", "Causes", "Fix", "Verify"):
            lines = [
                "- " + " ".join(rng.choices(WORDS, k=6) + rng.choices(FILLER, k=4) + [f"svc-{rng.randrange(10**6)}"])
                for _ in range(3)
            ]
            sections.append(f"## {heading}\n" + "\n".join(lines))
        text = (
            f"---\ntitle: \"{title}\"\nreasons: [{', '.join(reasons)}]\nsource: synthetic/{i}\n---\n# {title}\n\n"
            + "\n\n".join(sections)
            + "\n"
        )
        (root / f"doc-{i:05d}.md").write_text(text, encoding="utf-8")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def bench_ingest_and_query(docs: int, queries: int) -> tuple[bool, Path]:
    from kubesage.rag.retrieve import Retriever
    from kubesage.rag.store import KnowledgeBase

    work = Path(tempfile.mkdtemp(prefix="kubesage-bench-rag-"))
    src = work / "docs"
    t0 = time.perf_counter()
    synthetic_docs(src, docs)
    gen_s = time.perf_counter() - t0
    kb = KnowledgeBase(work / "kb")
    report = kb.ingest([src])
    print(f"generate {docs} docs: {gen_s:.1f}s")
    print(f"ingest {report.docs} docs ({report.chunks} chunks): {report.seconds:.2f}s "
          f"({report.docs / report.seconds:.0f} docs/s)")  # fmt: skip
    t0 = time.perf_counter()
    kb.index()
    print(f"index load: {(time.perf_counter() - t0) * 1000:.0f} ms")
    t0 = time.perf_counter()
    again = kb.ingest([src])
    print(f"re-ingest unchanged: {again.seconds:.2f}s (no new generation: {again.generation == report.generation})")
    retriever = Retriever(kb, dense=False, cache_size=0)
    retriever.search("warm up", 5)
    times = []
    for n in range(queries):
        text = FAILURES[n % len(FAILURES)].format(n=n)
        t0 = time.perf_counter()
        retriever.search(text, 5)
        times.append((time.perf_counter() - t0) * 1000)
    p50, p95 = statistics.median(times), percentile(times, 95)
    ok = p50 <= QUERY_P50_TARGET_MS
    verdict = f"[{'PASS' if ok else 'MISS'} p50 <= {QUERY_P50_TARGET_MS:.0f} ms]"
    print(f"query at {report.chunks} chunks (BM25 + reason boost, cache off, {queries} queries): "
          f"p50 {p50:.2f} ms, p95 {p95:.2f} ms  {verdict}")  # fmt: skip
    return ok, work


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _body(w: int, counter: int) -> bytes:
    # Every request is unique (real failure texts differ by pod name): no answer-cache hits.
    message = FAILURES[counter % len(FAILURES)].format(n=f"{w}-{counter}")
    return json.dumps({"model": "kb", "prompt": message, "options": {
        "language": "english", "message": message, "temperature": 0, "top_k": 50, "top_p": 0.5}}).encode()  # fmt: skip


async def _load_raw(port: int, clients: int, seconds: float) -> tuple[list[float], int]:
    """Keep-alive HTTP/1.1 clients on plain asyncio streams: cheap enough not to be the bottleneck."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker(w: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        counter = 0
        while time.perf_counter() < stop:
            counter += 1
            body = _body(w, counter)
            head = (f"POST /completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    f"Accept: application/x-ndjson\r\nContent-Length: {len(body)}\r\n\r\n").encode()  # fmt: skip
            t0 = time.perf_counter()
            writer.write(head + body)
            status_and_headers = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in status_and_headers.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            if not status_and_headers.startswith(b"HTTP/1.1 200"):
                errors += 1
        writer.close()

    await asyncio.gather(*(worker(w) for w in range(clients)))
    return latencies, errors


async def _load_httpx(port: int, clients: int, seconds: float) -> tuple[list[float], int]:
    import httpx

    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker(w: int) -> None:
            nonlocal errors
            counter = 0
            while time.perf_counter() < stop:
                counter += 1
                t0 = time.perf_counter()
                resp = await client.post(f"http://127.0.0.1:{port}/completions", content=_body(w, counter),
                                         headers={"Content-Type": "application/json"})  # fmt: skip
                latencies.append(time.perf_counter() - t0)
                errors += resp.status_code != 200

        await asyncio.gather(*(worker(w) for w in range(clients)))
    return latencies, errors


def bench_server(kb_path: Path | None, clients: int, seconds: float, label: str, with_httpx: bool = False) -> bool:
    import httpx

    port = _free_port()
    cmd = [sys.executable, "-m", "kubesage.cli.app", "serve", "--port", str(port)]
    if kb_path is not None:
        cmd += ["--kb", str(kb_path)]
    data_dir = tempfile.mkdtemp(prefix="kubesage-bench-data-")  # the starter KB is built here, not in ~
    env = {**os.environ, "KUBESAGE_DATA_DIR": data_dir}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    print(f"server did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
                    return False
                time.sleep(0.2)
        asyncio.run(_load_raw(port, clients, 1.0))  # warm-up
        ok = _report(f"{label}, asyncio clients", *asyncio.run(_load_raw(port, clients, seconds)), clients, seconds)
        if with_httpx:  # for comparison: httpx's async pool is the bottleneck here (encode/httpx#3215)
            latencies, errors = asyncio.run(_load_httpx(port, clients, seconds))
            _report(f"{label}, httpx.AsyncClient, client-bound", latencies, errors, clients, seconds, verdict=False)
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(data_dir, ignore_errors=True)
    return ok


def _report(
    label: str, latencies: list[float], errors: int, clients: int, seconds: float, verdict: bool = True
) -> bool:
    rps = len(latencies) / seconds
    p50, p95 = statistics.median(latencies) * 1000, percentile(latencies, 95) * 1000
    ok = rps >= THROUGHPUT_TARGET_RPS and errors == 0
    mark = f"  [{'PASS' if ok else 'MISS'} >= {THROUGHPUT_TARGET_RPS:.0f} req/s]" if verdict else ""
    print(f"server POST /completions ({label}, kb backend, {clients} concurrent, {seconds:.0f}s): {rps:.0f} req/s, "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, errors {errors}{mark}")  # fmt: skip
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    print(f"== RAG benchmark (cpus: {os.cpu_count()})")
    query_ok, work = bench_ingest_and_query(args.docs, args.queries)
    server_ok = bench_server(None, args.clients, args.seconds, "starter KB", with_httpx=True)
    bench_server(work / "kb", args.clients, args.seconds, f"{args.docs} synthetic docs")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if query_ok and server_ok else 1


if __name__ == "__main__":
    sys.exit(main())
