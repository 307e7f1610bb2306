"""k8sgpt's `-o json`: 2-space indent, its key order, and Go's HTML-safe escaping."""

from __future__ import annotations

import json
from typing import Any

from kubesage.results import Analysis

# encoding/json escapes these even inside MarshalIndent output.
_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_GO_TABLE = str.maketrans(_GO_ESCAPES)


def go_json(value: Any) -> str:
    """JSON as Go's json.MarshalIndent(v, "", "  ") writes it."""
    return json.dumps(value, indent=2, ensure_ascii=False, separators=(",", ": ")).translate(_GO_TABLE)


def render_json(analysis: Analysis) -> str:
    return go_json(analysis.to_json()) + "\n"
