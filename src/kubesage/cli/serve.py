"""`kubesage serve`: the RAG server (k8sgpt customrest, OpenAI-compatible, search, metrics)."""

from __future__ import annotations

from typing import Annotated

import typer

from kubesage.cli.mcp_source import MaxOutput, Refresh
from kubesage.cli.options import Context, Kubeconfig, Namespace, Snapshots


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="Port to listen on.")] = 8000,
    kb: Annotated[str | None, typer.Option("--kb", help="Knowledge-base directory (default: the starter KB).")] = None,
    backend: Annotated[
        str, typer.Option("--backend", "-b", help="kb (offline, default) or a configured provider that writes answers.")
    ] = "kb",
    token: Annotated[
        str, typer.Option("--token", envvar="KUBESAGE_SERVE_TOKEN", help="Require `Authorization: Bearer TOKEN`.")
    ] = "",
    max_body: Annotated[int, typer.Option("--max-body", min=1024, help="Request body limit in bytes.")] = 1 << 20,
    workers: Annotated[
        int, typer.Option("--workers", min=0, help="Worker processes for answers (0: one per core, at most 4).")
    ] = 0,
    request_timeout: Annotated[
        float, typer.Option("--request-timeout", min=0, help="Seconds an answer may take (0: 10 for kb, 180 upstream).")
    ] = 0.0,
    max_connections: Annotated[
        int, typer.Option("--max-connections", min=16, help="Open connections; the longest-idle are closed above it.")
    ] = 1000,
    mcp: Annotated[
        bool, typer.Option("--mcp", help="Also serve kubesage's read-only MCP tools at /mcp (streamable HTTP).")
    ] = False,
    snapshot: Snapshots = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    namespace: Namespace = "",
    refresh: Refresh = 30.0,
    max_output: MaxOutput = 8000,
) -> None:
    """Serve the knowledge base to k8sgpt (customrest), OpenAI clients and Prometheus."""
    from kubesage.cli.console import err, warn
    from kubesage.config import load_config
    from kubesage.errors import KubesageError
    from kubesage.server import listen
    from kubesage.server.app import ServerSettings, create_app

    if not mcp and (snapshot or namespace):
        raise KubesageError("--snapshot and --namespace only apply with --mcp")
    if not token and not listen.is_loopback(host):
        warn(f"--host {host} without --token: anyone who can reach this address can use the server; set --token "
             "(or KUBESAGE_SERVE_TOKEN) or put an authenticating proxy in front (docs/security.md)")  # fmt: skip
    workspace = None
    mount = None
    if mcp:
        from kubesage.cli.mcp_source import open_workspace, start_server
        from kubesage.mcp.server import session_manager
        from kubesage.server.app import MCPMount

        workspace = open_workspace(snapshot, kubeconfig, context, namespace, refresh, backend=backend, kb=kb)
        manager = session_manager(start_server(workspace, max_output=max_output), host=host)
        mcp_token = token
        if not mcp_token:  # the tools read the cluster: /mcp never goes without a token
            import secrets

            mcp_token = secrets.token_urlsafe(24)
            err().print(f"MCP bearer token (for /mcp only; set --token to use one for everything): {mcp_token}",
                        highlight=False)  # fmt: skip
        mount = MCPMount(manager.handle_request, manager.run, mcp_token)
    try:
        app = create_app(ServerSettings(kb_path=kb, backend=backend, token=token, max_body=max_body, workers=workers,
                                        request_timeout=request_timeout, config=load_config()), mcp=mount)  # fmt: skip
    except BaseException:
        if workspace is not None:
            workspace.close()
        raise

    def listening(bound_host: str, bound_port: int) -> None:
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        err().print(f"kubesage serving on http://{shown}:{bound_port} (POST /completions for k8sgpt customrest"
                    + (", MCP at /mcp)" if mcp else ")"), highlight=False)  # fmt: skip

    server = listen.ListeningServer(listen.config(app, host, port, max_connections=max_connections), listening)
    try:
        server.run()
    except SystemExit:
        if server.started:
            raise
    finally:
        if workspace is not None:
            workspace.close()
    if not server.started:
        raise KubesageError(f"could not listen on {host}:{port} (address in use, or not an address of this host)")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
