"""Helpers for analyzers that check references to other objects."""

from __future__ import annotations

from kubesage.analyzers.base import AnalysisContext


def is_missing(ctx: AnalysisContext, kind: str, namespace: str, name: str) -> bool:
    """True only when `kind` was listed and the object is not in the snapshot.

    A kind the source could not list (e.g. Secrets behind a 403) proves nothing, so
    references to it are never reported as missing: no false positives.
    """
    return ctx.snapshot.has_kind(kind) and ctx.snapshot.get(kind, namespace, name) is None
