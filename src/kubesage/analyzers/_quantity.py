"""Kubernetes resource quantities: parse to an exact value, print Go's canonical form."""

from __future__ import annotations

import re
from fractions import Fraction

_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIX = {v: k for k, v in _DECIMAL.items()}
_RE = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$")

GI = 1 << 30


def parse_quantity(text: object) -> tuple[Fraction, str] | None:
    """(value, format) with format "binary", "decimal" or "exponent"; None if unparsable."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return Fraction(str(text)), "decimal"
    m = _RE.match(str(text).strip()) if isinstance(text, str) else None
    if not m:
        return None
    number, suffix = Fraction(m.group(1)), m.group(2) or ""
    if suffix in _BINARY:
        return number * (1 << _BINARY[suffix]), "binary"
    if suffix[:1] in ("e", "E"):
        return number * Fraction(10) ** int(suffix[1:]), "exponent"
    return number * Fraction(10) ** _DECIMAL[suffix], "decimal"


def format_quantity(value: Fraction, fmt: str) -> str:
    """Go's resource.Quantity String(): the canonical form of `value` in `fmt`."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    if fmt == "binary" and value >= 1024 and value.denominator == 1:
        n, exp = value.numerator, 0
        while n % 1024 == 0 and exp < 60:
            n //= 1024
            exp += 10
        suffix = {v: k for k, v in _BINARY.items()}.get(exp, "")
        return f"{sign}{n}{suffix}"
    # Decimal: the largest exponent (multiple of 3) leaving an integer mantissa; below
    # nano the value rounds up, as Go does.
    scaled = value * Fraction(10) ** 9
    n = -(-scaled.numerator // scaled.denominator)
    if n == 0:
        return "0"
    exp = -9
    while n % 1000 == 0 and exp < 18:
        n //= 1000
        exp += 3
    if fmt == "exponent":
        return f"{sign}{n}" + (f"e{exp}" if exp else "")
    return f"{sign}{n}{_DECIMAL_SUFFIX[exp]}"


def canonical(text: object) -> str:
    parsed = parse_quantity(text)
    return format_quantity(*parsed) if parsed else str(text)
