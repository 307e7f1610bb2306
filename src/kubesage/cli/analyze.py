"""`kubesage analyze` (alias `analyse`): k8sgpt's flags, k8sgpt's output."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from kubesage.cli.options import (
    Context,
    Kubeconfig,
    MaxConcurrency,
    Namespace,
    Selector,
    Snapshots,
    clamp_concurrency,
    split_csv,
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def analyze(
    filter: Annotated[
        list[str] | None,
        typer.Option("--filter", "-f", help="Analyzers to run (comma-separated or repeated)."),
    ] = None,
    namespace: Namespace = "",
    selector: Selector = "",
    output: Annotated[OutputFormat, typer.Option("--output", "-o", help="Output format.")] = OutputFormat.text,
    with_stat: Annotated[bool, typer.Option("--with-stat", "-s", help="Print time taken per analyzer.")] = False,
    max_concurrency: MaxConcurrency = 10,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    snapshot: Snapshots = None,
    lint: Annotated[bool, typer.Option("--lint", help="Also run the hygiene (lint) checks.")] = False,
    explain: Annotated[bool, typer.Option("--explain", "-e", help="Explain each failure with an AI backend.")] = False,
    backend: Annotated[
        str, typer.Option("--backend", "-b", help="AI provider (default: the configured default, else offline kb).")
    ] = "",
    anonymize: Annotated[
        bool, typer.Option("--anonymize", "-a", help="Mask names before sending anything to the AI backend.")
    ] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", "-c", help="Neither read nor write the answer cache.")
    ] = False,
    language: Annotated[str, typer.Option("--language", "-l", help="Language of the explanation.")] = "english",
    interactive: Annotated[
        bool, typer.Option("--interactive", "-i", help="Chat about the results after the output (needs --explain).")
    ] = False,
) -> None:
    """Find what is broken in the cluster (k8sgpt-compatible)."""
    from kubesage.analysis import AnalyzeRequest, analyze_snapshot, plan
    from kubesage.cli.console import err, out
    from kubesage.cli.source import load_source
    from kubesage.config import load_config
    from kubesage.output import render_json, render_text
    from kubesage.output.text import render_stats

    config = load_config()
    node = config.analysis.node_conditions
    from kubesage.analyzers.base import AnalysisOptions

    request = AnalyzeRequest(
        filters=split_csv(filter),
        active_filters=config.active_filters,
        namespace=namespace,
        selector=selector,
        lint=lint,
        options=AnalysisOptions(node.positive, node.negative, node.ignored),
    )
    specs, warnings, kinds = plan(request)
    concurrency = clamp_concurrency(max_concurrency)
    snap = load_source(
        snapshot,
        kinds,
        kubeconfig=kubeconfig,
        context=context,
        namespace=namespace,
        max_concurrency=concurrency,
        progress=output is OutputFormat.text,
        logs=any(s.name == "Log" for s in specs),
    )
    analysis = analyze_snapshot(snap, request, specs)
    analysis.errors = warnings + analysis.errors

    failed_calls = 0
    session = None
    if explain:
        from kubesage.explain.pipeline import ExplainOptions, explain_analysis

        outcome = explain_analysis(
            analysis,
            snap,
            config,
            ExplainOptions(
                backend=backend,
                anonymize=anonymize,
                no_cache=no_cache,
                language=language,
                max_concurrency=concurrency,
                progress=output is OutputFormat.text,
            ),
        )
        failed_calls, session = outcome.failed, outcome.session
    elif interactive:
        err().print("[yellow]Warning:[/yellow] --interactive needs --explain; ignored")

    if with_stat:
        # k8sgpt prints stats on stdout; with JSON that would corrupt the document.
        (err() if output is OutputFormat.json else out()).print(render_stats(analysis), end="")
    if output is OutputFormat.json:
        sys.stdout.write(render_json(analysis))
        sys.stdout.flush()
    else:
        out().print(render_text(analysis))
    if interactive and session is not None:
        from kubesage.explain.interactive import chat_loop

        chat_loop(session, analysis)
    if failed_calls:
        from kubesage.errors import KubesageError

        raise KubesageError(
            f"{failed_calls} explanation call(s) failed; their results are in the output with the error noted"
        )


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)
    app.command("analyse", hidden=True)(analyze)
