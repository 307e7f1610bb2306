"""Go `encoding/json` byte compatibility: string escaping, float32 formatting, MarshalIndent.

One escape table serves both the compact marshaller (customrest request bodies) and the
indented one (k8sgpt's `-o json`).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from typing import Any

_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# encoding/json escapes these even in MarshalIndent output (HTML-safe JSON).
_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
# A lone surrogate cannot be UTF-8; Go writes U+FFFD for invalid UTF-8.
_SURROGATES = {chr(c): "\\ufffd" for c in range(0xD800, 0xE000)}
_INDENT_TABLE = str.maketrans({**_HTML, **_SURROGATES})


def go_json(value: Any) -> str:
    """JSON as Go's json.MarshalIndent(v, "", "  ") writes it (HTML-safe, UTF-8 kept)."""
    return json.dumps(value, indent=2, ensure_ascii=False, separators=(",", ": ")).translate(_INDENT_TABLE)


def go_string(value: str) -> str:
    """A JSON string as Go's json.Marshal writes it (HTML-safe, UTF-8 kept)."""
    out = ['"']
    for ch in value:
        if ch in _SHORT:
            out.append(_SHORT[ch])
        elif ch in _HTML:
            out.append(_HTML[ch])
        elif ord(ch) < 0x20 or 0xD800 <= ord(ch) <= 0xDFFF:
            out.append("\\ufffd" if ord(ch) >= 0xD800 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def go_float32(value: float) -> str:
    """Go's float32 JSON number: the shortest decimal that round-trips through float32."""
    f32 = struct.unpack("f", struct.pack("f", value))[0]
    if f32 == int(f32) and abs(f32) < 1e21:
        return str(int(f32))
    for digits in range(1, 10):
        text = f"{f32:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == f32:
            break
    if "e" in text:
        mantissa, exp = text.split("e")
        n = int(exp)
        if -6 <= n < 21:
            return f"{float(text):.{max(0, len(mantissa.replace('-', '').replace('.', '')) - 1 - n)}f}"
        return f"{mantissa}e{'-' if n < 0 else '+'}{abs(n):02d}"
    return text


def go_marshal(value: Any) -> str:
    """Compact JSON like Go: dict order kept (structs), `GoMap` keys sorted, floats as float32."""
    if isinstance(value, GoMap):
        return "{" + ",".join(f"{go_string(k)}:{go_marshal(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{go_string(str(k))}:{go_marshal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float32(value)
    if isinstance(value, str):
        return go_string(value)
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(go_marshal(v) for v in value) + "]"
    raise TypeError(f"cannot marshal {type(value).__name__}")


class GoMap(dict[str, Any]):
    """A Go `map[string]interface{}`: marshalled with sorted keys."""
