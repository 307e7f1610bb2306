"""`kubesage snapshot save`: write a live cluster to a snapshot directory."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from kubesage.cli.options import Context, Kubeconfig, MaxConcurrency, Namespace, clamp_concurrency, split_csv


class SnapshotFormat(StrEnum):
    yaml = "yaml"
    json = "json"


app = typer.Typer(help="Save a live cluster as a snapshot directory.", no_args_is_help=True)


@app.command("save")
def save(
    output: Annotated[str, typer.Option("--output", "-o", help="Directory to write (absent or empty; see --force).")],
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    namespace: Namespace = "",
    kinds: Annotated[
        list[str] | None,
        typer.Option("--kinds", help="Kinds to save, comma-separated or repeated (default: all known kinds)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace DIR if it holds an earlier kubesage snapshot.")
    ] = False,
    logs: Annotated[
        bool, typer.Option("--logs/--no-logs", help="Save the last 100 log lines of failing containers.")
    ] = True,
    fmt: Annotated[
        SnapshotFormat,
        typer.Option("--format", help="File format: yaml (readable) or json (much faster for big clusters)."),
    ] = SnapshotFormat.yaml,
    max_concurrency: MaxConcurrency = 10,
) -> None:
    """Save the live cluster as YAML files that `kubesage analyze --snapshot DIR` reads back.

    Secrets are saved as metadata only: their values never touch disk.
    """
    from datetime import UTC, datetime
    from pathlib import Path

    from kubesage.cli.console import out, warn
    from kubesage.cluster.kinds import KINDS
    from kubesage.cluster.live import connect, fetch_logs, validate_namespace
    from kubesage.cluster.writer import check_destination, write_snapshot

    dest = Path(output).expanduser()
    check_destination(dest, force)  # before any API call: fail fast, lose nothing
    validate_namespace(namespace)
    concurrency = clamp_concurrency(max_concurrency)
    wanted = split_csv(kinds) or list(KINDS)
    cluster = connect(kubeconfig, context, concurrency)
    try:
        cluster.check()
        snap = cluster.snapshot(wanted, namespace=namespace, max_concurrency=concurrency)
        n_logs = fetch_logs(snap, cluster=cluster, max_concurrency=concurrency, progress=True) if logs else 0
    finally:
        cluster.close()
    manifest = {
        "createdAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "context": cluster.context,
        "server": {"host": cluster.host, "version": cluster.server_version},
        "namespace": namespace,
        "listedKinds": sorted(snap.listed_kinds),
        "objects": snap.count(),
        "logs": n_logs,
        "warnings": list(snap.warnings),
    }
    skipped = write_snapshot(snap, dest, manifest, force=force, fmt=fmt.value)
    for message in [*snap.warnings, *skipped]:
        warn(message)
    out().print(f"Saved {snap.count()} objects of {len(snap.listed_kinds)} kinds and {n_logs} container logs to {dest}")
