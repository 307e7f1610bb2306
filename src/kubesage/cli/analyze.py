"""`kubesage analyze` (alias `analyse`): k8sgpt's flags, k8sgpt's output."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated, Any

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
    with_doc: Annotated[
        bool, typer.Option("--with-doc", "-d", help="Add the API server's documentation of the failing field.")
    ] = False,
    custom_headers: Annotated[
        list[str] | None,
        typer.Option("--custom-headers", "-r", help="Key:Value header for the AI backend's HTTP requests (repeatable; "
                     "headers configured for the provider win)."),
    ] = None,
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
    if with_doc:
        analysis.errors += _add_docs(analysis, bool(snapshot), kubeconfig, context)

    failed_calls = 0
    session = None
    if explain:
        from kubesage.explain.pipeline import ExplainOptions, explain_analysis

        if custom_headers:
            _apply_custom_headers(config, backend, parse_custom_headers(custom_headers))
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


def parse_custom_headers(values: list[str]) -> list[dict[str, str]]:
    """k8sgpt's `-r Key:Value` (comma-separated or repeated): split on the first colon, trimmed."""
    from kubesage.errors import KubesageError

    headers: list[dict[str, str]] = []
    for entry in split_csv(values):
        key, sep, value = entry.partition(":")
        if not sep or not key.strip():
            raise KubesageError(f"invalid --custom-headers entry {entry.split(':')[0]!r}: expected Key:Value")
        headers.append({key.strip(): value.strip()})
    return headers


def _apply_custom_headers(config: Any, backend: str, headers: list[dict[str, str]]) -> None:
    """Give the selected provider these headers, unless its configuration has its own (those win)."""
    from kubesage.cli.console import warn
    from kubesage.llm.registry import resolve

    _, provider = resolve(config, backend)
    if provider is None:
        warn("--custom-headers has no effect: the selected backend makes no HTTP requests")
    elif not provider.custom_headers:
        provider.custom_headers = headers


def _add_docs(analysis: Any, from_files: bool, kubeconfig: str | None, context: str | None) -> list[str]:
    """--with-doc: warnings in k8sgpt's `[KubernetesDoc] ...` form when the docs cannot be had."""
    if from_files:
        return ["[KubernetesDoc] --with-doc reads the API server's OpenAPI document; not available with --snapshot"]
    from kubesage.cluster.apidoc import add_docs, fetch_schema
    from kubesage.errors import KubesageError

    try:
        add_docs(analysis, fetch_schema(kubeconfig, context))
    except KubesageError as err:
        return [f"[KubernetesDoc] {err}"]
    return []


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)
    app.command("analyse", hidden=True)(analyze)
