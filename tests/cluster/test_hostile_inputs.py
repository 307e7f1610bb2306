"""Hostile and empty snapshot inputs: alias bombs, FIFOs, devices, binary data, malformed objects.

Each one must end in one clear error line (non-zero exit), or cost only itself; never a hang,
a memory blow-up, or a false "No problems detected".
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubesage.cli.app import app
from kubesage.cluster.files import load_snapshot
from kubesage.errors import SourceError

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-cluster"
KUBESAGE = str(Path(sys.executable).parent / "kubesage")


def _one_error_line(args: list[str]) -> str:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output and "No problems detected" not in result.output
    return lines[0]


def test_alias_bomb_is_refused_fast_in_little_memory() -> None:
    bomb = HOSTILE / "alias-bomb-configmap.yaml"
    assert bomb.stat().st_size < 512
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    line = _one_error_line(["analyze", "--snapshot", str(bomb)])
    assert time.perf_counter() - started < 5.0  # was 110 s and 5.5 GB; generous for loaded CI
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB
    assert str(bomb) in line and "aliases" in line


def test_recursive_alias_is_refused() -> None:
    line = _one_error_line(["analyze", "--snapshot", str(HOSTILE / "recursive-alias.yaml")])
    assert "recursive-alias.yaml" in line and "refers to itself" in line


def test_alias_bomb_inside_a_directory_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text((HOSTILE / "malformed-pod-status.yaml").read_text())
    (tmp_path / "z-bomb.yaml").write_bytes((HOSTILE / "alias-bomb-configmap.yaml").read_bytes())
    with pytest.raises(SourceError, match=r"z-bomb\.yaml: YAML aliases expand"):
        load_snapshot([tmp_path])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX-only")
def test_fifo_named_yaml_in_a_directory_is_skipped(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")  # nobody ever writes to it: reading it would block forever
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n"
        "status: {phase: Failed, reason: Evicted, message: evicted}\n"
    )
    proc = subprocess.run(
        [KUBESAGE, "analyze", "--snapshot", str(tmp_path), "-o", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert f"{tmp_path / 'pipe.yaml'}: not a regular file; skipped" in out["errors"]


@pytest.mark.parametrize("case", ["empty-dir", "unrelated-files", "empty-file", "comments-only", "dev-zero"])
def test_input_without_kubernetes_objects_is_an_error(tmp_path: Path, case: str) -> None:
    if case == "empty-dir":
        path = tmp_path / "empty"
        path.mkdir()
        expected = "no Kubernetes objects found (empty directory"
    elif case == "unrelated-files":
        path = tmp_path / "repo"
        path.mkdir()
        (path / "README.md").write_text("# hello\n")
        (path / "settings.yaml").write_text("theme: dark\nfont: mono\n")
        (path / "notes.txt").write_text("nothing to see\n")
        expected = "no Kubernetes objects found (1 file(s) read, none holds one"
    elif case == "empty-file":
        path = tmp_path / "empty.yaml"
        path.write_text("")
        expected = "no Kubernetes objects found"
    elif case == "comments-only":
        path = tmp_path / "c.yaml"
        path.write_text("# only a comment\n---\n")
        expected = "no Kubernetes objects found"
    else:
        path = Path("/dev/zero")
        if not path.exists():
            pytest.skip("no /dev/zero")
        expected = "binary data (NUL bytes)"
    line = _one_error_line(["analyze", "--snapshot", str(path)])
    assert line.startswith(f"Error: {path}: ") and expected in line


def test_empty_typed_list_is_a_listed_empty_kind_not_an_error(tmp_path: Path) -> None:
    """`kubectl get pods -o json` of an empty namespace is an answer: no pods."""
    f = tmp_path / "pods.json"
    f.write_text('{"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": []}')
    snap = load_snapshot([f])
    assert snap.count() == 0 and snap.has_kind("Pod")


def _demo_json(*extra: Path) -> dict[str, object]:
    args = ["analyze", "--snapshot", str(DEMO)]
    for p in extra:
        args += ["--snapshot", str(p)]
    result = CliRunner().invoke(app, [*args, "-o", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_malformed_objects_cost_only_themselves() -> None:
    clean = _demo_json()
    broken = _demo_json(HOSTILE / "malformed-pod-status.yaml", HOSTILE / "malformed-pod-fields.yaml")
    assert clean["problems"] == broken["problems"] == 47
    assert broken["results"] == clean["results"]
    errors = broken["errors"]
    assert isinstance(errors, list)
    assert any("Pod default/broken-status: status is a number (7), not an object; object skipped" in e for e in errors)
    # The shape is sound at the top, broken below: every analyzer that trips over it names it.
    tripped = [e for e in errors if "Pod default/broken-fields:" in e]
    assert tripped and all(e.endswith("object skipped") for e in tripped)
    assert any(e.startswith("[Pod] ") for e in tripped)


def test_only_malformed_objects_is_an_error_not_a_clean_bill() -> None:
    line = _one_error_line(["analyze", "--snapshot", str(HOSTILE / "malformed-pod-status.yaml")])
    assert "no usable Kubernetes objects (1 malformed, skipped)" in line and "status is a number (7)" in line


def _as_events_v1(event: dict[str, object]) -> dict[str, object]:
    """A core/v1 Event in the `events.k8s.io/v1` shape (field names of the v1 API)."""
    rename = {
        "involvedObject": "regarding",
        "message": "note",
        "count": "deprecatedCount",
        "firstTimestamp": "deprecatedFirstTimestamp",
        "lastTimestamp": "deprecatedLastTimestamp",
        "source": "deprecatedSource",
        "reportingComponent": "reportingController",
    }
    out = {rename.get(k, k): v for k, v in event.items()}
    out["apiVersion"] = "events.k8s.io/v1"
    return out


def test_demo_with_events_k8s_io_v1_finds_the_same_problems(tmp_path: Path) -> None:
    import shutil

    import yaml

    copy = tmp_path / "demo"
    shutil.copytree(DEMO, copy)
    converted = 0
    for f in copy.rglob("events.yaml"):
        doc = yaml.safe_load(f.read_text())
        doc["items"] = [_as_events_v1(e) for e in doc["items"]]
        converted += len(doc["items"])
        f.write_text(yaml.safe_dump(doc))
    assert converted > 10
    clean = _demo_json()
    result = CliRunner().invoke(app, ["analyze", "--snapshot", str(copy), "-o", "json"])
    assert result.exit_code == 0, result.output
    moved = json.loads(result.stdout)
    assert moved["problems"] == clean["problems"] == 47
    assert moved["results"] == clean["results"]


def test_alias_bomb_in_the_config_file_is_refused() -> None:
    from kubesage import paths

    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_bytes((HOSTILE / "alias-bomb-configmap.yaml").read_bytes())
    started = time.perf_counter()
    line = _one_error_line(["auth", "list"])
    assert time.perf_counter() - started < 5.0  # was 110 s and 5.5 GB; generous for loaded CI
    assert str(config) in line and "aliases" in line
