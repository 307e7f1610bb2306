"""Shared rich consoles: results on stdout, diagnostics on stderr."""

from __future__ import annotations

from functools import cache

from rich.console import Console


@cache
def out() -> Console:
    return Console(highlight=False, soft_wrap=True)


@cache
def err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    from rich.markup import escape

    err().print(f"[yellow]Warning:[/yellow] {escape(message)}")
