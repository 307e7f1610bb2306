"""`kubesage cache list|purge|get`: the local answer cache."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Manage the explanation cache (masked answers, one file per failure signature).",
                  no_args_is_help=True)  # fmt: skip


@app.command("list")
def list_() -> None:
    """Show the cache directory, entry count and entries (key, last update)."""
    from datetime import datetime

    from kubesage.explain.cache import AnswerCache

    cache = AnswerCache()
    entries = cache.entries()
    typer.echo(f"Cache directory: {cache.dir}")
    typer.echo(f"Entries: {len(entries)}")
    if entries:
        typer.echo(f"{'Name':<64}  UpdatedAt")
        for e in entries:
            when = datetime.fromtimestamp(e.updated).astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
            typer.echo(f"{e.key:<64}  {when}")


@app.command("get")
def get() -> None:
    """Name the cache in use (k8sgpt's `cache get`)."""
    typer.echo("Current cache is: file")


@app.command("purge")
def purge(
    key: Annotated[str | None, typer.Argument(help="Entry to delete (a key from `cache list`).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Delete every entry.")] = False,
) -> None:
    """Delete one entry, or all with --all."""
    from kubesage.errors import KubesageError
    from kubesage.explain.cache import AnswerCache

    cache = AnswerCache()
    if all_:
        n = cache.purge_all()
        typer.echo(f"Purged {n} cache entr{'y' if n == 1 else 'ies'} from {cache.dir}")
        return
    if not key:
        raise KubesageError("give a KEY from `kubesage cache list`, or --all")
    if not cache.purge(key.strip()):
        raise KubesageError(f"no cache entry {key.strip()}")
    typer.echo(f"Purged {key.strip()}")
