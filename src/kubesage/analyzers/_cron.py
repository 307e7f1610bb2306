"""Cron schedule validation with robfig/cron v3 `ParseStandard` semantics and error texts.

k8sgpt's CronJob analyzer reports the parser's error verbatim, so the messages here are
the Go library's, byte for byte (including Go's `%q` quoting of strconv/time errors).
Only validation is needed: nothing computes next run times.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass

from kubesage.analyzers.base import go_quote, go_slice


class CronError(ValueError):
    """A schedule robfig/cron rejects; `str(err)` is the library's message."""


@dataclass(frozen=True)
class _Bounds:
    min: int
    max: int
    names: dict[str, int] | None = None


_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i + 1 for i, m in enumerate(_MONTH_NAMES)}
_DOWS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
# Field order of a standard spec: minute, hour, day of month, month, day of week.
_FIELDS = (_Bounds(0, 59), _Bounds(0, 23), _Bounds(1, 31), _Bounds(1, 12, _MONTHS), _Bounds(0, 6, _DOWS))
_DESCRIPTORS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
_EVERY = "@every "
_INT64_MAX = (1 << 63) - 1


def parse_standard(spec: str) -> None:
    """Raise CronError with robfig/cron's message if `spec` is not a valid standard schedule."""
    if not spec:
        raise CronError("empty spec string")
    if spec.startswith(("TZ=", "CRON_TZ=")):
        # robfig slices up to the first space and panics when there is none; we treat the
        # schedule as empty instead (the message below then names the missing fields).
        space = spec.find(" ")
        end = space if space >= 0 else len(spec)
        name = spec[spec.index("=") + 1 : end]
        problem = _location_error(name)
        if problem:
            raise CronError(f"provided bad location {name}: {problem}")
        spec = spec[end:].strip()
    if spec.startswith("@"):
        _parse_descriptor(spec)
        return
    fields = spec.split()
    if len(fields) != len(_FIELDS):
        raise CronError(f"expected exactly {len(_FIELDS)} fields, found {len(fields)}: {go_slice(fields)}")
    for text, bounds in zip(fields, _FIELDS, strict=True):
        for expr in (part for part in text.split(",") if part):
            _check_range(expr, bounds)


def _parse_descriptor(spec: str) -> None:
    if spec in _DESCRIPTORS:
        return
    if spec.startswith(_EVERY):
        problem = duration_error(spec[len(_EVERY) :])
        if problem:
            raise CronError(f"failed to parse duration {spec}: {problem}")
        return
    raise CronError(f"unrecognized descriptor: {spec}")


def _check_range(expr: str, r: _Bounds) -> None:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    if low_and_high[0] in ("*", "?"):
        start, end = r.min, r.max  # robfig ignores anything after "*-"
    else:
        start = _int_or_name(low_and_high[0], r.names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], r.names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _non_negative_int(range_and_step[1])
        if len(low_and_high) == 1:
            end = r.max  # "N/step" means "N-max/step"
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < r.min:
        raise CronError(f"beginning of range ({start}) below minimum ({r.min}): {expr}")
    if end > r.max:
        raise CronError(f"end of range ({end}) above maximum ({r.max}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")


def _int_or_name(expr: str, names: dict[str, int] | None) -> int:
    if names is not None and expr.lower() in names:
        return names[expr.lower()]
    return _non_negative_int(expr)


def _non_negative_int(expr: str) -> int:
    num = _atoi(expr)
    if num < 0:
        raise CronError(f"negative number ({num}) not allowed: {expr}")
    return num


def _atoi(expr: str) -> int:
    """Go's strconv.Atoi: optional sign, ASCII digits only, int64 range."""
    digits = expr[1:] if expr[:1] in ("+", "-") else expr
    if not digits or not all("0" <= c <= "9" for c in digits):
        raise CronError(f"failed to parse int from {expr}: strconv.Atoi: parsing {go_quote(expr)}: invalid syntax")
    value = -int(digits) if expr[0] == "-" else int(digits)
    if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
        raise CronError(f"failed to parse int from {expr}: strconv.Atoi: parsing {go_quote(expr)}: value out of range")
    return value


def _location_error(name: str) -> str:
    """Go's time.LoadLocation error for `name`, or "" when it loads."""
    if name in ("", "UTC", "Local"):
        return ""
    if ".." in name or name[0] in "/\\":
        return "time: invalid location name"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return f"unknown time zone {name}"
    return ""


# -- Go's time.ParseDuration (validation only) ----------------------------------------------

_UNITS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,
    "\u03bcs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}


def _time_quote(s: str) -> str:
    """The time package's own quoting: non-ASCII and control bytes as `\\xNN`."""
    out = ['"']
    for ch in s:
        if ord(ch) >= 0x80 or ch < " ":
            out.extend(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogatepass"))
        else:
            out.append("\\" + ch if ch in '"\\' else ch)
    out.append('"')
    return "".join(out)


def duration_error(text: str) -> str:
    """Go's time.ParseDuration error for `text`, or "" when it parses."""
    invalid = f"time: invalid duration {_time_quote(text)}"
    s = text
    neg = False
    if s[:1] in ("-", "+"):
        neg, s = s[0] == "-", s[1:]
    if s == "0":
        return ""
    if not s:
        return invalid
    total = 0
    while s:
        if not (s[0] == "." or "0" <= s[0] <= "9"):
            return invalid
        i = 0
        while i < len(s) and "0" <= s[i] <= "9":
            i += 1
        pre, whole, s = i > 0, int(s[:i] or "0"), s[i:]
        if whole > 1 << 63:
            return invalid
        frac, scale, post = 0, 1, False
        if s[:1] == ".":
            s = s[1:]
            i = 0
            while i < len(s) and "0" <= s[i] <= "9":
                i += 1
            post = i > 0
            if post:
                frac, scale = int(s[:i]), 10**i
            s = s[i:]
        if not pre and not post:
            return invalid
        i = 0
        while i < len(s) and not (s[i] == "." or "0" <= s[i] <= "9"):
            i += 1
        if i == 0:
            return f"time: missing unit in duration {_time_quote(text)}"
        unit_name, s = s[:i], s[i:]
        unit = _UNITS.get(unit_name)
        if unit is None:
            return f"time: unknown unit {_time_quote(unit_name)} in duration {_time_quote(text)}"
        if whole > (1 << 63) // unit:
            return invalid
        value = whole * unit + (frac * unit) // scale
        total += value
        if value > 1 << 63 or total > 1 << 63:
            return invalid
    if not neg and total > _INT64_MAX:
        return invalid
    return ""
