"""k8sgpt's `-o json`: 2-space indent, its key order, and Go's HTML-safe escaping."""

from __future__ import annotations

from kubesage.gojson import go_json
from kubesage.results import Analysis


def render_json(analysis: Analysis) -> str:
    return go_json(analysis.to_json()) + "\n"
