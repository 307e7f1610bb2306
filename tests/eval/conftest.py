"""Shared eval fixtures: repo paths and one full offline `kb` eval per session."""

from __future__ import annotations

from typing import Any

import pytest
from eval_paths import GATE, QUESTIONS, SCENARIOS, TEST_QUESTIONS


@pytest.fixture(scope="session")
def full_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The full offline eval with the `kb` backend on the dev and the held-out test set, in its own
    data dir (starter KB only). The test set's pinned hash is checked, as `kubesage eval --test` does."""
    from kubesage.eval.gate import check_gate, load_gate
    from kubesage.eval.runner import EvalOptions, run_eval

    mp = pytest.MonkeyPatch()
    base = tmp_path_factory.mktemp("eval-xdg")
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache"), ("XDG_DATA_HOME", "data")):
        mp.setenv(var, str(base / sub))
    for var in ("KUBESAGE_CONFIG", "KUBESAGE_CACHE_DIR", "KUBESAGE_DATA_DIR"):
        mp.delenv(var, raising=False)
    try:
        gate = load_gate(GATE)
        assert gate.test_set is not None and gate.test_set.path == TEST_QUESTIONS, "eval.toml must pin the test set"
        report = run_eval(EvalOptions(SCENARIOS, QUESTIONS, TEST_QUESTIONS, gate.test_set.sha256, prices=gate.prices))
        report["gate"] = check_gate(report, gate.thresholds)
    finally:
        mp.undo()
    return report
