"""The benchmark generator and harness (`make bench`), on small inputs."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import bench_analyze  # noqa: E402
import gen_snapshot  # noqa: E402
import run as bench_run  # noqa: E402
from kubesage.analysis import AnalyzeRequest, analyze_snapshot  # noqa: E402
from kubesage.cluster.files import load_snapshot  # noqa: E402


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "snap.json"
    gen_snapshot.write(path, objects=3000, seed=7)
    return path


def test_generator_is_deterministic() -> None:
    a = json.dumps(gen_snapshot.generate(1500, seed=3))
    b = json.dumps(gen_snapshot.generate(1500, seed=3))
    c = json.dumps(gen_snapshot.generate(1500, seed=4))
    assert a == b
    assert a != c


def test_generator_mix_and_size(small: Path) -> None:
    doc = json.loads(small.read_text(encoding="utf-8"))
    assert doc["kind"] == "List"
    kinds = Counter(item["kind"] for item in doc["items"])
    assert 2800 <= len(doc["items"]) <= 3200
    assert set(kinds) == {"Namespace", "Node", "Deployment", "ReplicaSet", "Pod", "Service", "Endpoints", "Event",
                          "ConfigMap"}
    assert kinds["Pod"] == 3 * kinds["Deployment"]
    assert kinds["Endpoints"] == kinds["Service"]


def test_generated_snapshot_has_broken_and_healthy_objects(small: Path) -> None:
    snap = load_snapshot([small])
    assert snap.warnings == []
    analysis = analyze_snapshot(snap, AnalyzeRequest())
    assert analysis.errors == []
    flagged = Counter(r.kind for r in analysis.results)
    pods = len(snap.objects("Pod"))
    assert 0 < flagged["Pod"] < pods * 0.1
    assert flagged["Node"] >= 1
    assert flagged["Deployment"] >= 1
    # Owner chains resolve: broken pods name their Deployment.
    assert all(r.parent_object.startswith("Deployment/") for r in analysis.results if r.kind == "Pod")


def test_default_path_encodes_size_seed_and_version() -> None:
    path = gen_snapshot.default_path(100_000, 42)
    assert path.parent == BENCH / "out"
    assert path.name == f"snapshot-100000-s42-v{gen_snapshot.GENERATOR_VERSION}.json"


@pytest.mark.parametrize("mode", ["json", "default", "all"])
def test_child_measurement_reports_figures(small: Path, mode: str) -> None:
    out = bench_analyze._child(mode, str(small))
    assert out["wall"] > 0
    assert out["rss_mb"] > 10
    assert 2800 <= out["objects"] <= 3200
    if mode != "json":
        assert out["analyzers"] >= 1 and out["problems"] > 0
        assert out["analyzer_errors"] == []


def test_measure_runs_a_fresh_process(small: Path) -> None:
    got = bench_analyze.measure("default", small, runs=1)
    assert got["mode"] == "default" and got["results"] > 0


def _write_bench(directory: Path, name: str, body: str) -> Path:
    path = directory / f"bench_{name}.py"
    path.write_text(body, encoding="utf-8")
    return path


def test_runner_reports_errors_and_return_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok = _write_bench(tmp_path, "ok", "def main():\n    print('figure: 1.0 s')\n    return 0\n")
    boom = _write_bench(tmp_path, "boom", "def main():\n    raise RuntimeError('bench broke')\n")
    code = _write_bench(tmp_path, "code", "def main():\n    return 3\n")
    nomain = _write_bench(tmp_path, "nomain", "X = 1\n")
    dataclass_bench = _write_bench(
        tmp_path,
        "dc",
        "from dataclasses import dataclass\n\n@dataclass\nclass Row:\n    x: int\n\ndef main():\n    return Row(0).x\n",
    )
    assert bench_run.run_one(dataclass_bench) == 0
    assert bench_run.run_one(ok) == 0
    assert "figure: 1.0 s" in capsys.readouterr().out
    assert bench_run.run_one(boom) == 1
    assert "bench broke" in capsys.readouterr().err
    assert bench_run.run_one(code) == 3
    assert bench_run.run_one(nomain) == 1


def test_runner_only_and_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_run.main(["--list"]) == 0
    assert "analyze" in capsys.readouterr().out.split()
    assert bench_run.main(["--only", "no-such-bench"]) == 2
    assert "unknown benchmark no-such-bench" in capsys.readouterr().err
