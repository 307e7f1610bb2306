"""Repository paths the eval tests share (a plain module: `conftest` names clash across dirs)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "benchmarks" / "scenarios"
QUESTIONS = ROOT / "benchmarks" / "questions-dev.yaml"
TEST_QUESTIONS = ROOT / "benchmarks" / "questions-test.yaml"
GATE = ROOT / "eval.toml"
