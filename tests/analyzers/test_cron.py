"""robfig/cron v3 ParseStandard semantics and its exact error messages."""

from __future__ import annotations

import pytest

from kubesage.analyzers._cron import CronError, duration_error, parse_standard

VALID = [
    "* * * * *",
    "*/5 * * * *",
    "0 0 * * 0",
    "15,45 9-17 * * mon-fri",
    "0 12 1 JAN,jul *",
    "? ? ? ? ?",
    "5/15 * * * *",
    "0-59/10 0-23 1-31 1-12 0-6",
    "*-5 * * * *",  # robfig ignores anything after "*-"
    "1,,2 * * * *",
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
    "@every 1h30m",
    "@every 500ms",
    "@every -1.5h",
    "@every 0",
    "TZ=UTC 0 * * * *",
    "CRON_TZ=Europe/Paris 0 3 * * *",
    "TZ=Europe/Berlin @daily",
    "  0  *  *  *  *  ",
]

INVALID = [
    ("", "empty spec string"),
    ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
    ("0 * * * * *", "expected exactly 5 fields, found 6: [0 * * * * *]"),
    ("   ", "expected exactly 5 fields, found 0: []"),
    ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
    ("0-70 * * * *", "end of range (70) above maximum (59): 0-70"),
    ("* 24 * * *", "end of range (24) above maximum (23): 24"),
    ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
    ("* * * 13 *", "end of range (13) above maximum (12): 13"),
    ("* * * * 7", "end of range (7) above maximum (6): 7"),
    ("30-10 * * * *", "beginning of range (30) beyond end of range (10): 30-10"),
    ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
    ("*/2/3 * * * *", "too many slashes: */2/3"),
    ("*/0 * * * *", "step of range should be a positive number: */0"),
    ("*/-5 * * * *", "negative number (-5) not allowed: -5"),
    ("-5 * * * *", 'failed to parse int from : strconv.Atoi: parsing "": invalid syntax'),
    ("* * * foo *", 'failed to parse int from foo: strconv.Atoi: parsing "foo": invalid syntax'),
    ("* * * * funday", 'failed to parse int from funday: strconv.Atoi: parsing "funday": invalid syntax'),
    (
        "99999999999999999999 * * * *",
        "failed to parse int from 99999999999999999999: strconv.Atoi: parsing "
        '"99999999999999999999": value out of range',
    ),
    ("@foo", "unrecognized descriptor: @foo"),
    ("@daily ", "unrecognized descriptor: @daily "),
    ("@every", "unrecognized descriptor: @every"),
    ("@every 1x", 'failed to parse duration @every 1x: time: unknown unit "x" in duration "1x"'),
    ("@every 10", 'failed to parse duration @every 10: time: missing unit in duration "10"'),
    ("@every ", 'failed to parse duration @every : time: invalid duration ""'),
    ("@every .s", 'failed to parse duration @every .s: time: invalid duration ".s"'),
    ("@every 1hx", 'failed to parse duration @every 1hx: time: unknown unit "hx" in duration "1hx"'),
    ("TZ=Mars/Olympus 0 * * * *", "provided bad location Mars/Olympus: unknown time zone Mars/Olympus"),
    ("TZ=../etc/passwd 0 * * * *", "provided bad location ../etc/passwd: time: invalid location name"),
    ("TZ=UTC", "expected exactly 5 fields, found 0: []"),
    ("CRON_TZ=UTC 0 * *", "expected exactly 5 fields, found 3: [0 * *]"),
]


@pytest.mark.parametrize("spec", VALID)
def test_valid_schedules(spec: str) -> None:
    parse_standard(spec)


@pytest.mark.parametrize(("spec", "message"), INVALID)
def test_invalid_schedules_have_robfig_messages(spec: str, message: str) -> None:
    with pytest.raises(CronError) as err:
        parse_standard(spec)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("1h", ""),
        ("+2m3.5s", ""),
        ("1.s", ""),
        ("1.", 'time: missing unit in duration "1."'),
        (".5us", ""),
        ("3µs", ""),
        ("-", 'time: invalid duration "-"'),
        ("1h 2m", 'time: unknown unit "h " in duration "1h 2m"'),
        ("1é", 'time: unknown unit "\\xc3\\xa9" in duration "1\\xc3\\xa9"'),
        ("9999999999h", 'time: invalid duration "9999999999h"'),
        ("9223372036854775807ns", ""),
        ("9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'),
    ],
)
def test_go_parse_duration(text: str, error: str) -> None:
    assert duration_error(text) == error
