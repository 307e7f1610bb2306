"""100k-object analysis benchmark: kubesage load + analyze against a plain `json.load`.

Each measurement runs in a fresh interpreter (for an honest peak RSS), three times; the
median is reported. Timed inside the child: from opening the file to having the results
(imports and interpreter start-up excluded; they are measured separately below).

    python benchmarks/bench_analyze.py [--objects 100000] [--runs 3] [--strict]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import gen_snapshot

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo-cluster"

MAX_RATIO_DEFAULT = 3.0
MAX_RATIO_ALL = 4.0
MAX_RSS_MB = 2048.0
MAX_STARTUP_S = 1.0

# mode -> label; "json" is the baseline every ratio is taken against.
MODES = {
    "json": "json.load",
    "json-nogc": "json.load, GC paused (reference)",
    "default": "load + default analyzers",
    "all": "load + all analyzers",
}


def _peak_rss_mb() -> float:
    """VmHWM of this process, in MB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(mode: str, path: str) -> dict[str, Any]:
    """One measurement, run in a fresh interpreter."""
    out: dict[str, Any] = {"mode": mode}
    if mode in ("json", "json-nogc"):
        import gc

        if mode == "json-nogc":
            gc.disable()
        start = time.perf_counter()
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        out["wall"] = time.perf_counter() - start
        out["objects"] = len(doc["items"])
    else:
        from kubesage.analysis import AnalyzeRequest, analyze_snapshot
        from kubesage.analyzers.registry import all_specs
        from kubesage.cluster.files import load_snapshot

        names = list(all_specs()) if mode == "all" else []
        start = time.perf_counter()
        snap = load_snapshot([path])
        loaded = time.perf_counter()
        analysis = analyze_snapshot(snap, AnalyzeRequest(filters=names))
        end = time.perf_counter()
        out |= {
            "wall": end - start,
            "load": loaded - start,
            "objects": snap.count(),
            "analyzers": len(analysis.stats),
            "results": len(analysis.results),
            "problems": analysis.problems,
            "analyzer_errors": [e for e in analysis.errors if e.startswith("[")],
            "slowest": sorted(analysis.stats, key=lambda s: -s[1])[:3],
        }
    out["rss_mb"] = _peak_rss_mb()
    return out


def _run_child(mode: str, path: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", mode, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"benchmark child {mode!r} failed (exit {proc.returncode}): {tail}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def measure(mode: str, path: Path, runs: int) -> dict[str, Any]:
    """Median wall time and peak RSS of `runs` fresh-process runs of `mode`."""
    samples = [_run_child(mode, path) for _ in range(runs)]
    best = samples[0]
    best["wall"] = statistics.median(s["wall"] for s in samples)
    best["rss_mb"] = statistics.median(s["rss_mb"] for s in samples)
    if "load" in best:
        best["load"] = statistics.median(s["load"] for s in samples)
    return best


def _time_command(args: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(args, capture_output=True, text=True, check=False, cwd=ROOT)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"{' '.join(args)} failed (exit {proc.returncode}): {tail}")
    return statistics.median(times)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def startup(runs: int) -> list[tuple[str, float, bool]]:
    """Wall time of `kubesage --help` and of analyzing a small snapshot, as subprocesses."""
    exe = str(Path(sys.executable).with_name("kubesage"))
    if not Path(exe).exists():
        exe_args = [sys.executable, "-m", "kubesage.cli.app"]
    else:
        exe_args = [exe]
    small = DEMO
    if not small.is_dir():
        small = gen_snapshot.default_path(1000, 7)
        if not small.exists():
            gen_snapshot.write(small, 1000, 7)
    rows = []
    rel = small.relative_to(ROOT)
    for label, extra in (
        ("kubesage --help", ["--help"]),
        (f"kubesage analyze --snapshot {rel} -o json", ["analyze", "--snapshot", str(small), "-o", "json"]),
    ):
        t = _time_command(exe_args + extra, runs)
        rows.append((label, t, t < MAX_STARTUP_S))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="kubesage 100k-object analysis benchmark")
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.child:
        print(json.dumps(_child(args.child[0], args.child[1])))
        return 0

    path = gen_snapshot.default_path(args.objects, args.seed)
    if not path.exists():
        start = time.perf_counter()
        n = gen_snapshot.write(path, args.objects, args.seed)
        print(f"generated {n:,} objects in {time.perf_counter() - start:.1f} s")
    size_mb = path.stat().st_size / 1e6
    results = {mode: measure(mode, path, args.runs) for mode in MODES}
    base = results["json"]["wall"]
    strict = results["json-nogc"]["wall"]
    objects = results["default"]["objects"]
    print(f"analyze benchmark: {objects:,} objects, {size_mb:.1f} MB JSON ({path.relative_to(ROOT)})")
    print(f"median of {args.runs} fresh-process runs; ratio = wall / plain json.load wall (target basis);")
    print("vs-nogc = wall / json.load with the GC paused (kubesage pauses it while loading, so this is stricter)")
    print(f"  {'step':<44}{'wall s':>8}{'peak RSS MB':>13}{'objects/s':>12}{'ratio':>8}{'vs-nogc':>9}")
    ok = True
    for mode, label in MODES.items():
        r = results[mode]
        if "analyzers" in r:
            label = f"{label} ({r['analyzers']})"
        ratio = r["wall"] / base
        line = (
            f"  {label:<44}{r['wall']:>8.2f}{r['rss_mb']:>13.0f}{objects / r['wall']:>12,.0f}"
            f"{ratio:>7.2f}x{r['wall'] / strict:>8.2f}x"
        )
        limit = {"default": MAX_RATIO_DEFAULT, "all": MAX_RATIO_ALL}.get(mode)
        if limit is not None:
            passed = ratio <= limit
            ok &= passed
            line += f"  {_verdict(passed)} (<= {limit:g}x; load {r['load']:.2f} s, {r['problems']} problems)"
        print(line)
    for mode in ("default", "all"):
        r = results[mode]
        slow = ", ".join(f"{name} {sec:.2f} s" for name, sec in r["slowest"])
        print(f"  slowest analyzers ({mode}): {slow}")
        for err in r["analyzer_errors"]:
            print(f"  analyzer error ({mode}): {err}")
    peak = max(r["rss_mb"] for r in results.values())
    rss_ok = peak < MAX_RSS_MB
    ok &= rss_ok
    print(f"  peak RSS {peak:.0f} MB: {_verdict(rss_ok)} (< {MAX_RSS_MB:.0f} MB)")
    for label, seconds, passed in startup(args.runs):
        ok &= passed
        print(f"  {label}: {seconds:.2f} s  {_verdict(passed)} (< {MAX_STARTUP_S:g} s)")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
