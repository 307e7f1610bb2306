"""`eval.toml`: the CI gate's thresholds, the pinned held-out test set and the per-model price table.

The gate reads only the held-out test set: a threshold on a `dev.` or `sanity.` metric is
rejected when the file is loaded."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubesage.errors import KubesageError
from kubesage.eval.format import dig


@dataclass(frozen=True)
class Threshold:
    metric: str
    """Dotted path into report.json, e.g. `retrieval.by_language.zh.hit@3`."""
    minimum: float | None = None
    maximum: float | None = None
    backends: tuple[str, ...] = ()

    def applies_to(self, backend: str) -> bool:
        return not self.backends or backend in self.backends

    @property
    def op(self) -> str:
        return ">=" if self.minimum is not None else "<="

    @property
    def limit(self) -> float:
        value = self.minimum if self.minimum is not None else self.maximum
        assert value is not None
        return value


@dataclass(frozen=True)
class TestSetPin:
    path: Path
    """The held-out question set (relative paths in eval.toml resolve against its directory)."""
    sha256: str


@dataclass(frozen=True)
class GateConfig:
    thresholds: tuple[Threshold, ...]
    prices: dict[str, tuple[float, float]]
    test_set: TestSetPin | None = None


_NOT_GATED = ("dev.", "sanity.")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _test_set(data: Any, path: Path) -> TestSetPin | None:
    if data is None:
        return None
    where = f"{path}: test_set"
    if not isinstance(data, dict) or not isinstance(data.get("path"), str) or not data["path"].strip():
        raise KubesageError(f"{where}: needs `path` (the held-out question file) and `sha256`")
    digest = data.get("sha256")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest.lower()):
        raise KubesageError(f"{where}.sha256: must be 64 hex digits")
    return TestSetPin((path.parent / data["path"]).resolve(), digest.lower())


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise KubesageError(f"{where}: must be a number")
    return float(value)


def load_gate(path: Path) -> GateConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KubesageError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as err:
        raise KubesageError(f"{path}: invalid TOML: {err}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise KubesageError(f"{path}: cannot read: {err}") from None
    thresholds: list[Threshold] = []
    for i, entry in enumerate(data.get("gate") or []):
        where = f"{path}: gate[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("metric"), str):
            raise KubesageError(f"{where}: needs a `metric`")
        if entry["metric"].startswith(_NOT_GATED):
            raise KubesageError(f"{where}: {entry['metric']} is not gated: the gate reads only the held-out "
                                "test set (`test.` metrics), detection, latency and duration")
        has_min, has_max = "min" in entry, "max" in entry
        if has_min == has_max:
            raise KubesageError(f"{where}: give exactly one of `min` or `max`")
        backends = entry.get("backends") or []
        if not isinstance(backends, list) or not all(isinstance(b, str) for b in backends):
            raise KubesageError(f"{where}: `backends` must be a list of names")
        thresholds.append(Threshold(
            entry["metric"],
            _number(entry["min"], f"{where}.min") if has_min else None,
            _number(entry["max"], f"{where}.max") if has_max else None,
            tuple(backends),
        ))
    prices: dict[str, tuple[float, float]] = {}
    for model, price in (data.get("cost") or {}).items():
        if not isinstance(price, dict):
            raise KubesageError(f"{path}: cost.{model} must be {{input = ..., output = ...}}")
        prices[model] = (_number(price.get("input"), f"{path}: cost.{model}.input"),
                         _number(price.get("output"), f"{path}: cost.{model}.output"))
    return GateConfig(tuple(thresholds), prices, _test_set(data.get("test_set"), path))


def metric_value(report: dict[str, Any], path: str) -> Any:
    """The value at a dotted path (keys may contain `@`, `^`), or None when absent."""
    return dig(report, path)


def check_gate(report: dict[str, Any], thresholds: tuple[Threshold, ...]) -> dict[str, Any]:
    """{passed, checks: [{metric, value, op, threshold, passed}], failed: [metric, ...]}."""
    backend = str(report.get("backend") or "kb")
    checks: list[dict[str, Any]] = []
    # A threshold naming this backend replaces the general one for the same metric and bound.
    specific = {(t.metric, t.op) for t in thresholds if t.backends and backend in t.backends}
    for t in thresholds:
        if not t.applies_to(backend) or (not t.backends and (t.metric, t.op) in specific):
            continue
        value = metric_value(report, t.metric)
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok:
            ok = value >= t.limit if t.minimum is not None else value <= t.limit
        checks.append({"metric": t.metric, "value": value, "op": t.op, "threshold": t.limit, "passed": bool(ok)})
    failed = [c["metric"] for c in checks if not c["passed"]]
    return {"passed": not failed, "checks": checks, "failed": failed}


def default_gate_path() -> Path:
    from kubesage.eval.scenarios import default_path

    return default_path("eval.toml")
