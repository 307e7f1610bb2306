"""`kubesage operator`: run the reconcile loop (kopf) against a cluster, from a kubeconfig or in-cluster."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from kubesage.cli.options import Context, Kubeconfig, split_csv


class LogFormat(StrEnum):
    text = "text"
    json = "json"


def operator(
    namespace: Annotated[
        list[str] | None,
        typer.Option(
            "--namespace",
            "-n",
            help="Namespaces to analyse and take KubeSage objects from (comma-separated or repeated; default: all).",
        ),
    ] = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    metrics_bind_address: Annotated[
        str, typer.Option("--metrics-bind-address", help="Prometheus /metrics address (host:port; 0 disables).")
    ] = ":8080",
    health_probe_bind_address: Annotated[
        str, typer.Option("--health-probe-bind-address", help="/healthz and /readyz address (host:port; 0 disables).")
    ] = ":8081",
    log_format: Annotated[LogFormat, typer.Option("--log-format", help="Log lines as text or JSON.")] = LogFormat.text,
    leader_elect: Annotated[
        bool, typer.Option("--leader-elect/--no-leader-elect", help="Only the Lease holder analyses and notifies.")
    ] = False,
    leader_election_namespace: Annotated[
        str,
        typer.Option("--leader-election-namespace", help="Namespace of the Lease (default: the pod's, or default)."),
    ] = "",
    leader_election_id: Annotated[
        str, typer.Option("--leader-election-id", help="Name of the Lease.")
    ] = "kubesage-operator",
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
) -> None:
    """Run the operator: watch the cluster, keep Result objects current, notify sinks."""
    from kubesage.operator.handlers import run
    from kubesage.operator.runtime import OperatorOptions, split_address

    split_address(metrics_bind_address)
    split_address(health_probe_bind_address)
    run(
        OperatorOptions(
            kubeconfig=kubeconfig,
            context=context,
            namespaces=split_csv(namespace),
            metrics_address=metrics_bind_address,
            health_address=health_probe_bind_address,
            log_format=log_format.value,
            leader_elect=leader_elect,
            lease_name=leader_election_id,
            lease_namespace=leader_election_namespace,
            verbose=verbose,
        )
    )


def register(app: typer.Typer) -> None:
    app.command("operator")(operator)
