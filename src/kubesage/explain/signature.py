"""Failure signatures: masked texts with per-instance parts normalised, for dedupe and caching.

Two results share a signature when their masked texts differ only in tokens (`pod-3` vs
`pod-9`), uids, hashes, pod-hash or numbered names, durations or timestamps. The normalised
parts ("spans") are kept in order so one answer can be re-targeted at every result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kubesage.explain.anonymize import replace_terms

_UID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_TIME = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"
_HEX = r"(?:sha256:)?[0-9a-f]{12,}"
_DURATION = r"\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))*"
_HASHED_NAME = r"[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?-[a-z0-9]{5,10}-[a-z0-9]{5}"
_NUMBERED_NAME = r"[a-z][a-z0-9.]*(?:-[a-z0-9.]+)*-\d+"
_EDGE_L = r"(?<![A-Za-z0-9])"
_EDGE_R = r"(?![A-Za-z0-9])"


@dataclass(frozen=True)
class Signature:
    text: str
    spans: tuple[str, ...]


def _pattern(prefixes: Iterable[str]) -> re.Pattern[str]:
    alts = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
    token = rf"(?P<token>(?:{alts})-\d+)" if alts else r"(?P<token>(?!x)x)"
    return re.compile(
        rf"{_EDGE_L}(?:(?P<time>{_TIME})|(?P<uid>{_UID})|{token}|(?P<hashed>{_HASHED_NAME})"
        rf"|(?P<numbered>{_NUMBERED_NAME})|(?P<hex>{_HEX})|(?P<duration>{_DURATION})){_EDGE_R}"
    )


class Signer:
    """Computes signatures for texts masked with tokens of the given prefixes."""

    def __init__(self, token_prefixes: Iterable[str] = ()) -> None:
        self._re = _pattern(token_prefixes)

    def normalize(self, text: str) -> tuple[str, list[str]]:
        spans: list[str] = []

        def sub(m: re.Match[str]) -> str:
            spans.append(m.group())
            group = m.lastgroup or "x"
            if group == "token":
                return "<" + m.group().rsplit("-", 1)[0] + ">"
            return f"<{group}>"

        return self._re.sub(sub, text), spans

    def sign(self, kind: str, masked_texts: Sequence[str]) -> Signature:
        parts: list[str] = []
        spans: list[str] = []
        for t in masked_texts:
            norm, found = self.normalize(t)
            parts.append(norm)
            spans.extend(found)
        return Signature(f"{kind}\n" + " ".join(parts), tuple(spans))


def retarget(answer: str, from_spans: Sequence[str], to_spans: Sequence[str]) -> str:
    """Rewrite an answer about one result for another result with the same signature."""
    mapping: dict[str, str] = {}
    for a, b in zip(from_spans, to_spans, strict=False):
        if a != b and a not in mapping:
            mapping[a] = b
    return replace_terms(answer, mapping) if mapping else answer
