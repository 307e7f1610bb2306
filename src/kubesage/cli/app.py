"""Entry point: `kubesage` (and `kubectl-sage`, so `kubectl sage ...` works)."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from kubesage import __version__
from kubesage.cli import analyze, ask, auth, cache, filters, kb, remediate, serve, snapshot
from kubesage.cli import eval as eval_cmd
from kubesage.cli import mcp as mcp_cmd
from kubesage.cli import migrate as migrate_cmd
from kubesage.cli import operator as operator_cmd


class _Group(TyperGroup):
    """Root group: a KubesageError from any command becomes one red line and its exit code."""

    def invoke(self, ctx: Any) -> Any:
        from kubesage.errors import KubesageError

        try:
            return super().invoke(ctx)
        except KubesageError as error:
            _report(str(error))
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    cls=_Group,
    name="kubesage",
    help="AI SRE assistant for Kubernetes: find what is broken (k8sgpt-compatible), explain it, "
    "ground the answer in your runbooks, and measure it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kubesage {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    config: Annotated[
        str | None, typer.Option("--config", help="Config file (default ~/.config/kubesage/config.yaml).")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    kubeconfig: Annotated[
        str | None, typer.Option("--kubeconfig", help="Kubeconfig for every command (k8sgpt's global flag).")
    ] = None,
    kubecontext: Annotated[
        str | None, typer.Option("--kubecontext", help="Kubeconfig context for every command (k8sgpt's global flag).")
    ] = None,
) -> None:
    from kubesage.cli.options import GLOBAL_CLUSTER

    if config:
        os.environ["KUBESAGE_CONFIG"] = config
    GLOBAL_CLUSTER.update(kubeconfig=kubeconfig, context=kubecontext)


@app.command("version")
def version_cmd() -> None:
    """Print the version."""
    typer.echo(f"kubesage {__version__}")


analyze.register(app)
app.add_typer(filters.app, name="filters")
app.add_typer(filters.app, name="filter", hidden=True)  # k8sgpt's spelling
app.add_typer(snapshot.app, name="snapshot")
app.add_typer(auth.app, name="auth")
app.add_typer(cache.app, name="cache")
app.add_typer(kb.app, name="kb")
app.add_typer(remediate.app, name="remediate")
serve.register(app)
eval_cmd.register(app)
mcp_cmd.register(app)
ask.register(app)
operator_cmd.register(app)
migrate_cmd.register(app)


def main() -> None:
    """Run the CLI; user errors become one red line on stderr and a non-zero exit."""
    # Invoked as the kubectl plugin `kubectl-sage`, help and usage say `kubectl sage`.
    prog = "kubectl sage" if os.path.basename(sys.argv[0]) == "kubectl-sage" else "kubesage"
    try:
        app(prog_name=prog)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(1)
    except Exception as error:  # last resort: no tracebacks for users
        if os.environ.get("KUBESAGE_DEBUG"):
            raise
        _fail(f"unexpected {type(error).__name__}: {error} (set KUBESAGE_DEBUG=1 for a traceback)", 1)


def _report(message: str) -> None:
    from rich.markup import escape

    from kubesage.cli.console import err

    first = message.strip().splitlines()[0] if message.strip() else "failed"
    err().print(f"[red]Error:[/red] {escape(first)}")


def _fail(message: str, code: int) -> None:
    _report(message)
    sys.exit(code)


if __name__ == "__main__":
    main()
