"""Kubernetes label selectors: the `-L` string syntax and `LabelSelector` objects."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from kubesage.errors import KubesageError

Matcher = Callable[[Mapping[str, str]], bool]

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(notin|in)\s*\(([^)]*)\))?\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)\s*$")


def _split_terms(text: str) -> list[str]:
    terms: list[str] = []
    depth = 0
    cur: list[str] = []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    terms.append("".join(cur))
    return [t for t in terms if t.strip()]


def _term(op: str, key: str, values: frozenset[str]) -> Matcher:
    def check(labels: Mapping[str, str]) -> bool:
        value = labels.get(key)
        if op == "=":
            return value is not None and value in values
        if op == "!=":
            return value is None or value not in values
        if op == "in":
            return value is not None and value in values
        if op == "notin":
            return value is None or value not in values
        if op == "exists":
            return value is not None
        return value is None  # "!exists"

    return check


def parse_selector(text: str) -> Matcher:
    """Parse `a=b,c!=d,e in (x,y),f notin (z),g,!h` into a predicate over labels."""
    checks: list[Matcher] = []
    for term in _split_terms(text):
        m = _EQ_RE.match(term)
        if m:
            key, op, val = m.groups()
            checks.append(_term("!=" if op == "!=" else "=", key, frozenset([val])))
            continue
        m = _SET_RE.match(term)
        if not m:
            raise KubesageError(f"invalid label selector {text!r}: cannot parse {term.strip()!r}")
        neg, key, op, values = m.groups()
        if op:
            if neg:
                raise KubesageError(f"invalid label selector {text!r}: '!' cannot be combined with {op}")
            checks.append(_term(op, key, frozenset(v.strip() for v in values.split(",") if v.strip())))
        else:
            checks.append(_term("!exists" if neg else "exists", key, frozenset()))

    def match(labels: Mapping[str, str]) -> bool:
        return all(c(labels) for c in checks)

    return match


def label_selector_matcher(selector: Mapping[str, Any] | None) -> Matcher | None:
    """Predicate for a `metav1.LabelSelector`; None for a nil selector (matches nothing).

    An empty selector `{}` matches everything, as in the API.
    """
    if selector is None:
        return None
    match_labels: Mapping[str, str] = selector.get("matchLabels") or {}
    exprs: list[Mapping[str, Any]] = selector.get("matchExpressions") or []

    def match(labels: Mapping[str, str]) -> bool:
        for k, v in match_labels.items():
            if labels.get(k) != v:
                return False
        for e in exprs:
            key, op, values = e.get("key", ""), e.get("operator", ""), e.get("values") or []
            if op == "In" and labels.get(key) not in values:
                return False
            if op == "NotIn" and key in labels and labels[key] in values:
                return False
            if op == "Exists" and key not in labels:
                return False
            if op == "DoesNotExist" and key in labels:
                return False
        return True

    return match
