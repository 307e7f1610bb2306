"""Renderers for an Analysis: k8sgpt's text layout and its JSON schema."""

from kubesage.output.json import render_json
from kubesage.output.text import render_text

__all__ = ["render_json", "render_text"]
