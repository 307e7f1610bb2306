"""`kubesage mcp`: serve kubesage's read-only tools over MCP (stdio or streamable HTTP)."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated

import typer

from kubesage.cli.mcp_source import MaxOutput, Refresh
from kubesage.cli.options import Context, Kubeconfig, Namespace, Snapshots


class Transport(StrEnum):
    stdio = "stdio"
    http = "http"


def mcp_command(
    transport: Annotated[Transport, typer.Option("--transport", "-t", help="stdio or http (streamable HTTP).")] = (
        Transport.stdio
    ),
    host: Annotated[str, typer.Option("--host", help="HTTP bind address (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="HTTP port.", min=0, max=65535)] = 8089,
    token: Annotated[
        str,
        typer.Option(
            "--token",
            envvar="KUBESAGE_MCP_TOKEN",
            help="Bearer token HTTP clients must send (default: a random one, printed on stderr).",
        ),
    ] = "",
    snapshot: Snapshots = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    namespace: Namespace = "",
    backend: Annotated[
        str, typer.Option("--backend", "-b", help="Backend of the explain tool (default: offline kb).")
    ] = "kb",
    kb: Annotated[str | None, typer.Option("--kb", help="Knowledge base directory (default: configured).")] = None,
    max_output: MaxOutput = 8000,
    refresh: Refresh = 30.0,
    allow_write: Annotated[
        bool,
        typer.Option("--allow-write", help="Also offer submit_remediation (live cluster only), through the "
                     "remediation pipeline, its policy and the agents' credentials."),
    ] = False,
    policy: Annotated[
        str | None, typer.Option("--policy", help="Remediation policy YAML for --allow-write (default: approve mode).")
    ] = None,
    agents_namespace: Annotated[str, typer.Option("--agents-namespace", help="Agents' namespace.")] = "kubesage",
    record_namespace: Annotated[
        str, typer.Option("--record-namespace", help="Where Remediation records go.")
    ] = "kubesage",
    agents_prefix: Annotated[
        str, typer.Option("--agents-prefix", help="Name prefix of the agents' ServiceAccounts.")
    ] = "kubesage-agent-",
) -> None:
    """Serve the tools (analyze, explain, kb_search, list/get resources, events, logs, filters) over MCP."""
    import anyio

    from kubesage.cli.console import err
    from kubesage.cli.mcp_source import open_workspace, start_server
    from kubesage.errors import KubesageError
    from kubesage.mcp.server import LOOPBACK, http_app, serve_stdio

    workspace = open_workspace(snapshot, kubeconfig, context, namespace, refresh, backend=backend, kb=kb)
    extra = []
    if allow_write:
        if snapshot:
            raise KubesageError("--allow-write needs a live cluster; a snapshot cannot be changed")
        from kubesage.cli.remediate import load_policy
        from kubesage.mcp.remediation import WriteSettings, write_tools

        rules = load_policy(policy, namespace, None)
        settings = WriteSettings(rules, agents_namespace, record_namespace, agents_prefix)
        extra = write_tools(settings)
    elif policy:
        raise KubesageError("--policy only applies with --allow-write")
    server = start_server(workspace, max_output=max_output, extra=extra)
    if transport is Transport.stdio:
        try:
            anyio.run(serve_stdio, server)
        finally:
            workspace.close()
        return
    import secrets

    import uvicorn

    if host not in LOOPBACK:
        err().print(f"[yellow]Warning:[/yellow] serving MCP on {host}, reachable beyond this machine")
    if not token:
        token = secrets.token_urlsafe(24)
        err().print(f"MCP bearer token: {token}")
    elif len(token) < 16:
        raise KubesageError("--token must be at least 16 characters")
    os.environ.pop("KUBESAGE_MCP_TOKEN", None)
    app = http_app(server, token=token, host=host, port=port)
    err().print(f"MCP (streamable HTTP) on http://{host}:{port}/mcp")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        workspace.close()


def register(app: typer.Typer) -> None:
    app.command("mcp")(mcp_command)
