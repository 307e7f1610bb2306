"""Runs every YAML fixture case in tests/analyzers/cases/: objects in, results out.

Case file format (one file per analyzer, named after its filter, e.g. `Pod.yaml`):

    analyzer: Pod                # filter name
    cases:
      - name: crashloop-last-termination
        namespace: ""            # optional --namespace
        selector: ""             # optional --selector
        options: {}              # optional AnalysisOptions fields
        objects: [...]           # Kubernetes objects as `kubectl get -o yaml` shows them
        logs:                    # optional container logs
          - {namespace: ns, pod: p, container: c, previous: false, text: "..."}
        expected:                # the exact results, in output order ([] = no failure)
          - kind: Pod
            name: ns/p
            parentObject: Deployment/web     # optional, default ""
            errors: ["the last termination reason is ..."]
            sensitive: [["ns", "p"]]          # optional: Unmasked values per error (null = JSON null)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kubesage.analyzers.base import AnalysisContext, AnalysisOptions
from kubesage.analyzers.registry import all_specs, run_analyzers
from kubesage.cluster.snapshot import ClusterSnapshot

CASES_DIR = Path(__file__).parent / "cases"


def _load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            params.append(pytest.param(doc["analyzer"], case, id=f"{path.stem}:{case['name']}"))
    return params


def _snapshot(case: dict[str, Any]) -> ClusterSnapshot:
    snap = ClusterSnapshot()
    for obj in case.get("objects") or []:
        snap.add(obj)
    for log in case.get("logs") or []:
        snap.add_log(log["namespace"], log["pod"], log["container"], log["text"], bool(log.get("previous")))
    return snap


@pytest.mark.parametrize(("analyzer", "case"), _load_cases())
def test_case(analyzer: str, case: dict[str, Any]) -> None:
    spec = all_specs()[analyzer]
    ctx = AnalysisContext(
        _snapshot(case),
        namespace=case.get("namespace") or "",
        selector=case.get("selector") or "",
        options=AnalysisOptions(**(case.get("options") or {})),
    )
    analysis = run_analyzers(ctx, [spec])
    assert analysis.errors == [], analysis.errors
    got = [
        {"kind": r.kind, "name": r.name, "parentObject": r.parent_object, "errors": r.texts}
        for r in analysis.results
    ]
    want = [
        {"kind": e["kind"], "name": e["name"], "parentObject": e.get("parentObject", ""), "errors": e["errors"]}
        for e in case["expected"] or []
    ]
    assert got == want
    for result, exp in zip(analysis.results, case["expected"] or [], strict=True):
        if "sensitive" in exp:
            got_s = [None if f.sensitive is None else [s.unmasked for s in f.sensitive] for f in result.error]
            assert got_s == exp["sensitive"]


def test_every_analyzer_has_cases() -> None:
    covered = {yaml.safe_load(p.read_text(encoding="utf-8"))["analyzer"] for p in CASES_DIR.glob("*.yaml")}
    missing = sorted(set(all_specs()) - covered)
    assert not missing, f"analyzers without fixture cases: {missing}"


def test_every_analyzer_has_a_no_failure_case() -> None:
    clean: set[str] = set()
    for p in CASES_DIR.glob("*.yaml"):
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
        if any(not c.get("expected") for c in doc["cases"]):
            clean.add(doc["analyzer"])
    missing = sorted(set(all_specs()) - clean)
    assert not missing, f"analyzers without a no-failure case: {missing}"
