"""`kubesage serve`: the RAG server (k8sgpt customrest, OpenAI-compatible, search, metrics)."""

from __future__ import annotations

from typing import Annotated

import typer


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
) -> None:
    """Serve the knowledge base to k8sgpt (customrest), OpenAI clients and Prometheus."""
    import uvicorn

    from kubesage.cli.console import err
    from kubesage.config import load_config
    from kubesage.server.app import ServerSettings, create_app

    app = create_app(ServerSettings(kb_path=kb, backend=backend, token=token, max_body=max_body,
                                    config=load_config()))  # fmt: skip
    err().print(f"kubesage serving on http://{host}:{port} (POST /completions for k8sgpt customrest)")
    # uvicorn picks httptools / uvloop by itself when they are installed.
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
