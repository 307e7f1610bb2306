"""`kubesage filters list|add|remove`: the active analyzer set, kept in the config file."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Manage which analyzers run by default.", no_args_is_help=True)

_LOG_WARNING = (
    "The Log filter sends container log lines to the AI backend when you use --explain; "
    "they may contain sensitive data. Use --anonymize to mask names."
)


def _active(config_filters: list[str]) -> list[str]:
    from kubesage.analyzers.registry import default_names

    return list(config_filters) if config_filters else default_names()


@app.command("list")
def list_filters(
    details: Annotated[
        bool, typer.Option("--details/--no-details", help="Also show each group's analyzers with a description.")
    ] = True,
) -> None:
    """Show active and unused analyzers, grouped (core, optional, beyond-k8sgpt, lint)."""
    from rich.markup import escape

    from kubesage.analyzers.registry import GROUP_TITLES, GROUPS, all_specs
    from kubesage.cli.console import out
    from kubesage.config import load_config

    specs = all_specs()
    active = _active(load_config().active_filters)
    console = out()
    console.print("Active: ")
    for name in active:
        console.print(f"> [green]{escape(name)}[/green]")
    console.print("Unused: ")
    for name in specs:
        if name not in active and specs[name].group != "lint":
            console.print(f"> [red]{escape(name)}[/red]")
    if not details:
        return
    width = max(len(n) for n in specs) + 2
    for group in GROUPS:
        members = [s for s in specs.values() if s.group == group]
        if not members:
            continue
        console.print(f"\n[bold]{escape(GROUP_TITLES[group])}[/bold]")
        for s in members:
            console.print(f"  {escape(s.name.ljust(width))}{escape(s.description)}")


def _parse_names(arg: str) -> list[str]:
    return [p.strip() for p in arg.split(",") if p.strip()]


@app.command("add")
def add_filters(
    filters: Annotated[str, typer.Argument(help="Comma-separated analyzer names, e.g. Log,HorizontalPodAutoscaler")],
) -> None:
    """Add analyzers to the active set."""
    from kubesage.analyzers.registry import all_specs
    from kubesage.cli.console import out, warn
    from kubesage.config import load_config, save_config
    from kubesage.errors import KubesageError

    specs = all_specs()
    names = _parse_names(filters)
    for n in names:
        if n not in specs:
            raise KubesageError(f"filter {n} does not exist; run `kubesage filters list`")
    config = load_config()
    active = _active(config.active_filters)
    dupes = [n for n in names if n in active]
    if dupes:
        raise KubesageError(f"filter {', '.join(dupes)} already in the active filters")
    if "Log" in names:
        warn(_LOG_WARNING)
    config.active_filters = active + names
    save_config(config)
    out().print(f"Filter {', '.join(names)} added")


@app.command("remove")
def remove_filters(filters: Annotated[str, typer.Argument(help="Comma-separated analyzer names.")]) -> None:
    """Remove analyzers from the active set."""
    from kubesage.cli.console import out
    from kubesage.config import load_config, save_config
    from kubesage.errors import KubesageError

    names = _parse_names(filters)
    config = load_config()
    active = _active(config.active_filters)
    missing = [n for n in names if n not in active]
    if missing:
        raise KubesageError(f"filter {', '.join(missing)} is not in the active filters")
    config.active_filters = [n for n in active if n not in names]
    save_config(config)
    out().print(f"Filter {', '.join(names)} removed")
