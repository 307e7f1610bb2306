"""`kubesage snapshot save`: write a live cluster to a snapshot directory."""

from __future__ import annotations

import typer

app = typer.Typer(help="Save a live cluster as a snapshot directory.", no_args_is_help=True)
