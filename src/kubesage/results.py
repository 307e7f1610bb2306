"""Result / Failure / Sensitive: the k8sgpt result model and its JSON shape.

Plain dataclasses (not pydantic): analyzers build hundreds of thousands of these on
large snapshots, and the JSON shape is written by hand to keep k8sgpt's key order.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

# k8sgpt draws masks from this alphabet before base64-encoding them.
_MASK_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_=+[]{}|;':\",./<>?"


def mask_value(value: str) -> str:
    """k8sgpt-shaped mask: base64 of a same-length string from the mask alphabet.

    k8sgpt uses crypto-random bytes, so its masks change every run; ours are derived from
    a hash of the value so that JSON output is reproducible. The mask is cosmetic: the JSON
    carries the unmasked value beside it, and `--anonymize` uses its own token map.
    """
    if not value:
        return ""
    out: list[str] = []
    seed = hashlib.sha256(value.encode()).digest()
    while len(out) < len(value):
        for b in seed:
            out.append(_MASK_ALPHABET[b % len(_MASK_ALPHABET)])
        seed = hashlib.sha256(seed).digest()
    return base64.b64encode("".join(out[: len(value)]).encode()).decode()


@dataclass(slots=True)
class Sensitive:
    unmasked: str
    masked: str

    @classmethod
    def of(cls, value: str) -> Sensitive:
        return cls(value, mask_value(value))

    def to_json(self) -> dict[str, str]:
        return {"Unmasked": self.unmasked, "Masked": self.masked}


@dataclass(slots=True)
class Failure:
    """One failure text. `sensitive=None` serialises as JSON null, `[]` as an empty array,
    matching what each k8sgpt analyzer emits."""

    text: str
    sensitive: list[Sensitive] | None = None
    kubernetes_doc: str = ""
    analyzer: str = ""
    """Filter name of the analyzer that found it (not part of the JSON)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "Text": self.text,
            "KubernetesDoc": self.kubernetes_doc,
            "Sensitive": None if self.sensitive is None else [s.to_json() for s in self.sensitive],
        }


def sensitive(*values: str) -> list[Sensitive]:
    """Sensitive pairs for the given values, in order."""
    return [Sensitive.of(v) for v in values]


@dataclass(slots=True)
class Result:
    kind: str
    name: str
    error: list[Failure] = field(default_factory=list)
    details: str = ""
    parent_object: str = ""
    # kubesage-only metadata, never part of the k8sgpt JSON keys below.
    analyzer: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "error": [f.to_json() for f in self.error],
            "details": self.details,
            "parentObject": self.parent_object,
        }
        # Extra keys are appended after k8sgpt's; k8sgpt's clients ignore unknown fields.
        out.update(self.extra)
        return out

    @property
    def texts(self) -> list[str]:
        return [f.text for f in self.error]


def merge_results(results: list[Result]) -> list[Result]:
    """One result per (kind, name), as k8sgpt emits: failures of the same object found by
    several analyzers (e.g. Pod and Probe) are appended in analyzer order."""
    merged: dict[tuple[str, str], Result] = {}
    for r in results:
        first = merged.setdefault((r.kind, r.name), r)
        if first is r:
            continue
        first.error.extend(r.error)
        first.parent_object = first.parent_object or r.parent_object
        for key, value in r.extra.items():
            old = first.extra.get(key)
            first.extra[key] = old + value if isinstance(old, list) and isinstance(value, list) else old or value
    return list(merged.values())


def sort_results(results: list[Result]) -> list[Result]:
    """Deterministic order: kind, then name (stable for equal keys)."""
    return sorted(results, key=lambda r: (r.kind, r.name))


@dataclass(slots=True)
class Analysis:
    """The outcome of one analyze run, as k8sgpt's `Analysis` struct."""

    results: list[Result]
    errors: list[str] = field(default_factory=list)
    provider: str = ""
    explain: bool = False
    stats: list[tuple[str, float]] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return sum(len(r.error) for r in self.results)

    @property
    def status(self) -> str:
        return "OK" if self.problems == 0 else "ProblemDetected"

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "errors": list(self.errors) if self.errors else None,
            "status": self.status,
            "problems": self.problems,
            "results": [r.to_json() for r in self.results] if self.results else None,
        }
