"""What `kubesage mcp` and `kubesage serve --mcp` share: the tools' cluster source and output bound."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server

    from kubesage.mcp.tools import ToolSpec
    from kubesage.mcp.workspace import Workspace

MaxOutput = Annotated[
    int, typer.Option("--max-output", help="Characters per MCP tool output before truncation.", min=200)
]
Refresh = Annotated[
    float, typer.Option("--refresh", help="Re-list a live cluster when the data is older (seconds).", min=0)
]


def open_workspace(snapshot: Sequence[str] | None, kubeconfig: str | None, context: str | None, namespace: str,
                   refresh: float, *, backend: str = "kb", kb: str | None = None) -> Workspace:  # fmt: skip
    """The tools' workspace: `--snapshot` files, else the kubeconfig/context (not read yet)."""
    from kubesage.mcp.workspace import Source, Workspace

    return Workspace(
        Source(tuple(snapshot or ()), kubeconfig, context, namespace, refresh), explain_backend=backend, kb_path=kb
    )


def start_server(workspace: Workspace, *, max_output: int, extra: Sequence[ToolSpec] = ()) -> Server[Any]:
    """Read the source once (a bad kubeconfig or snapshot fails now, with one line), then build the server."""
    from kubesage.mcp.server import build_server
    from kubesage.mcp.workspace import probe

    probe(workspace)
    return build_server(workspace, extra=extra, limit=max_output)
