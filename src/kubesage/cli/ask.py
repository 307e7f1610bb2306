"""`kubesage ask "question"`: investigate with read-only tools and answer with citations (`-i`: a conversation)."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from kubesage.cli.options import Context, Kubeconfig, Snapshots


class AskFormat(StrEnum):
    text = "text"
    json = "json"


def ask_command(
    question: Annotated[str, typer.Argument(help="The question, e.g. \"why is checkout not rolling out?\"")] = "",
    interactive: Annotated[bool, typer.Option("--interactive", "-i", help="Keep asking follow-up questions.")] = False,
    snapshot: Snapshots = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    namespace: Annotated[str, typer.Option("--namespace", "-n", help="Only look at this namespace.")] = "",
    backend: Annotated[
        str, typer.Option("--backend", "-b", help="AI provider (default: the configured one; none: offline planner).")
    ] = "",
    offline: Annotated[bool, typer.Option("--offline", help="Use the offline planner even with a model.")] = False,
    anonymize: Annotated[
        bool, typer.Option("--anonymize", "-a", help="Mask names in everything sent to the model.")
    ] = False,
    language: Annotated[str, typer.Option("--language", "-l", help="en or zh (default: the question's).")] = "",
    show_tools: Annotated[bool, typer.Option("--show-tools", help="End with the trace of tool calls.")] = False,
    max_steps: Annotated[int, typer.Option("--max-steps", help="Model turns that may call tools.", min=1)] = 8,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="Token budget per question.", min=1)] = 60_000,
    max_calls: Annotated[int, typer.Option("--max-calls", help="Tool calls per question.", min=1)] = 24,
    max_output: Annotated[
        int, typer.Option("--max-output", help="Characters of each tool output the model sees.", min=200)
    ] = 4000,
    no_mcp: Annotated[bool, typer.Option("--no-mcp", help="Ignore ask.mcp_servers from the config.")] = False,
    kb: Annotated[str | None, typer.Option("--kb", help="Knowledge base directory (default: configured).")] = None,
    output: Annotated[AskFormat, typer.Option("--output", "-o", help="text or json.")] = AskFormat.text,
) -> None:
    """Answer a question about the cluster by calling read-only tools; cites what it used."""
    import json

    from kubesage.ask.loop import Limits
    from kubesage.ask.session import AskOptions, Session
    from kubesage.cli.console import out
    from kubesage.config import load_config
    from kubesage.errors import KubesageError
    from kubesage.mcp.workspace import Source, Workspace, probe

    if not question.strip() and not interactive:
        raise KubesageError('ask needs a question, e.g. kubesage ask "why is checkout not rolling out?" (or -i)')
    if language and language.lower() not in ("en", "zh", "zh-tw", "english", "traditional chinese"):
        raise KubesageError(f"--language must be en or zh, got {language!r}")
    config = load_config()
    workspace = Workspace(Source(tuple(snapshot or ()), kubeconfig, context, namespace), config=config, kb_path=kb)
    probe(workspace)
    limits = Limits(max_steps=max_steps, max_tokens=max_tokens, max_calls=max_calls, output_chars=max_output)
    options = AskOptions(backend=backend, offline=offline, anonymize=anonymize,
                         language="zh" if language.lower().startswith(("zh", "trad")) else language and "en",
                         limits=limits, external=not no_mcp)  # fmt: skip

    def answer(q: str, session: Session) -> None:
        result = session.ask(q)
        if output is AskFormat.json:
            sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
            sys.stdout.flush()
        else:
            out().print(result.render(show_tools), markup=False, end="")

    try:
        with Session(workspace, config, options) as session:
            if question.strip():
                answer(question, session)
            while interactive:
                try:
                    follow = input("> " if sys.stdin.isatty() else "")
                except EOFError:
                    break
                if follow.strip().lower() in ("", "exit", "quit"):
                    break
                answer(follow, session)
    finally:
        workspace.close()


def register(app: typer.Typer) -> None:
    app.command("ask")(ask_command)
