"""benchmarks/bench_explain.py on a zero-latency server: the synthetic input really has 50 signatures."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from kubesage.config import ProviderConfig
from kubesage.llm.openai import LocalAIBackend

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_explain.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_explain_under_test", PATH)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def test_synthetic_snapshot_dedupes_to_50_calls() -> None:
    bench = _module()
    analysis, snap = bench.synthetic()
    assert len(analysis.results) == 1000
    # Deduping identical texts would still make 400+ calls; signatures normalise the names away.
    assert len({r.texts[0] for r in analysis.results}) > 400
    server = bench.LatencyServer(0.0)
    try:
        backend = LocalAIBackend(ProviderConfig(name="localai", baseurl=server.url, model="m"), "localai")
        ks = bench.run_kubesage(analysis, snap, backend, 10, server)
        per = bench.run_per_result(analysis, backend, 10, server, limit=100)
    finally:
        server.stop()
    assert ks.calls == 50
    assert per.calls == 1000 and per.estimated
    assert all(r.details.startswith("Error: ") for r in analysis.results)
    # Each answer was re-targeted at its own pod.
    r = next(r for r in analysis.results if "pod=" in r.texts[0])
    assert r.name.split("/")[1] in r.details
