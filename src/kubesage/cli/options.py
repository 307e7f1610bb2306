"""Option types shared by several commands."""

from __future__ import annotations

from typing import Annotated

import typer

Snapshots = Annotated[
    list[str] | None,
    typer.Option(
        "--snapshot",
        help="Analyze files instead of a live cluster: a YAML/JSON file or a directory "
        "(also `kubectl cluster-info dump` output). Repeatable.",
    ),
]
# `kubesage --kubeconfig X --kubecontext Y analyze` (k8sgpt's global flags) sets these; a command's
# own --kubeconfig / --context, given after the subcommand, wins.
GLOBAL_CLUSTER: dict[str, str | None] = {"kubeconfig": None, "context": None}


def _global_kubeconfig(value: str | None) -> str | None:
    return value or GLOBAL_CLUSTER["kubeconfig"]


def _global_context(value: str | None) -> str | None:
    return value or GLOBAL_CLUSTER["context"]


Kubeconfig = Annotated[
    str | None, typer.Option("--kubeconfig", help="Path to a kubeconfig file.", callback=_global_kubeconfig)
]
Context = Annotated[
    str | None,
    typer.Option("--context", "--kubecontext", help="Kubeconfig context to use.", callback=_global_context),
]
Namespace = Annotated[str, typer.Option("--namespace", "-n", help="Namespace to analyze (default: all).")]
Selector = Annotated[
    str, typer.Option("--selector", "-L", help="Label selector, e.g. app=web,tier!=db.")
]
MaxConcurrency = Annotated[
    int,
    typer.Option(
        "--max-concurrency", "-m", help="Concurrent API LISTs and LLM calls (1-100).", min=0
    ),
]


def split_csv(values: list[str] | None) -> list[str]:
    """`-f A,B -f C` -> [A, B, C]."""
    out: list[str] = []
    for v in values or ():
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


def clamp_concurrency(value: int) -> int:
    """k8sgpt's rule: <=0 means 10, capped at 100."""
    if value <= 0:
        return 10
    return min(value, 100)
