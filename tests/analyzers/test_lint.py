"""The lint (hygiene) group: finding format, metadata in JSON, `--lint` selection, docs."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kubesage.analyzers._lint import SEVERITIES, Check
from kubesage.analyzers.base import AnalysisContext
from kubesage.analyzers.registry import all_specs, run_analyzers, select
from kubesage.cli.app import app
from kubesage.cluster.snapshot import ClusterSnapshot

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"
_FINDING = re.compile(r"^\[(KS-LINT-\d{3})/(critical|warning|info)\] .+\. Fix: (.+)$")


def _lint_specs() -> list[str]:
    return [n for n, s in all_specs().items() if s.group == "lint"]


def _checks() -> dict[str, Check]:
    checks: dict[str, Check] = {}
    for name in _lint_specs():
        module = importlib.import_module(all_specs()[name].module)
        for value in vars(module).values():
            if isinstance(value, Check):
                assert checks.get(value.id, value) == value, f"check id {value.id} reused"
                checks[value.id] = value
    return checks


def _fixture_snapshot() -> ClusterSnapshot:
    """Every object of every Lint*.yaml case, in one snapshot (names are per-case unique enough)."""
    snap = ClusterSnapshot()
    for path in sorted(CASES.glob("Lint*.yaml")):
        for i, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]):
            for obj in case.get("objects") or []:
                meta = obj.setdefault("metadata", {})
                if meta.get("namespace"):
                    meta["namespace"] = f"{meta['namespace']}-{path.stem.lower()}-{i}"
                else:
                    meta["name"] = f"{meta['name']}-{path.stem.lower()}-{i}"
                snap.add(obj)
    return snap


def test_at_least_ten_checks_with_ids_severities_and_hints() -> None:
    checks = _checks()
    assert len(checks) >= 10
    for check in checks.values():
        assert re.fullmatch(r"KS-LINT-\d{3}", check.id)
        assert check.severity in SEVERITIES
        assert check.hint and "\n" not in check.hint


def test_findings_carry_id_severity_and_hint_in_text_and_extra() -> None:
    specs = [all_specs()[n] for n in _lint_specs()]
    analysis = run_analyzers(AnalysisContext(_fixture_snapshot()), specs)
    assert analysis.errors == []
    seen: set[str] = set()
    for result in analysis.results:
        entries = result.extra["lint"]
        assert len(entries) == len(result.error)
        for failure, entry in zip(result.error, entries, strict=True):
            m = _FINDING.match(failure.text)
            assert m, failure.text
            assert (m.group(1), m.group(2), m.group(3)) == (entry["id"], entry["severity"], entry["hint"])
            seen.add(entry["id"])
    # The fixtures exercise every check.
    assert seen == set(_checks())


def test_lint_runs_only_with_the_flag() -> None:
    default, _ = select()
    assert not [s for s in default if s.group == "lint"]
    with_lint, _ = select(lint=True)
    assert {s.name for s in with_lint if s.group == "lint"} == set(_lint_specs())
    filtered, _ = select(filters=["Pod"], lint=True)
    assert filtered[0].name == "Pod" and len(filtered) == 1 + len(_lint_specs())


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    objs = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "debug", "namespace": "shop"},
            "spec": {"containers": [{"name": "sh", "image": "busybox"}]},
            "status": {"phase": "Running"},
        }
    ]
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all(objs), encoding="utf-8")
    return path


def test_cli_lint_json_appends_metadata_after_k8sgpt_keys(snap: Path) -> None:
    result = CliRunner().invoke(app, ["analyze", "--snapshot", str(snap), "--lint", "-o", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    lint = [r for r in doc["results"] if "lint" in r]
    assert lint, doc
    for r in lint:
        assert list(r) == ["kind", "name", "error", "details", "parentObject", "lint"]
        assert [e["id"] for e in r["lint"]] == [_FINDING.match(f["Text"]).group(1) for f in r["error"]]  # type: ignore[union-attr]
    ids = {e["id"] for r in lint for e in r["lint"]}
    assert {"KS-LINT-001", "KS-LINT-003", "KS-LINT-004", "KS-LINT-006"} <= ids


def test_cli_without_lint_reports_no_hygiene(snap: Path) -> None:
    result = CliRunner().invoke(app, ["analyze", "--snapshot", str(snap), "-o", "json"])
    assert result.exit_code == 0, result.output
    assert "KS-LINT" not in result.stdout


def test_text_output_shows_findings(snap: Path) -> None:
    result = CliRunner().invoke(app, ["analyze", "--snapshot", str(snap), "--lint", "-f", "LintImages"])
    assert result.exit_code == 0, result.output
    assert "[KS-LINT-003/warning] Container sh in Pod shop/debug uses image busybox without a tag" in result.stdout


def test_docs_list_every_check() -> None:
    doc = (ROOT / "docs" / "lint.md").read_text(encoding="utf-8")
    for check in _checks().values():
        row = next((line for line in doc.splitlines() if line.startswith(f"| {check.id} ")), None)
        assert row is not None, f"{check.id} missing from docs/lint.md"
        assert f"| {check.severity} |" in row and check.hint in row
