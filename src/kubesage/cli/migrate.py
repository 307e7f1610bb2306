"""`kubesage migrate k8sgpt FILE`: turn K8sGPT objects into KubeSage objects."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Migrate configuration from other tools.", no_args_is_help=True)


@app.command("k8sgpt")
def k8sgpt(
    file: Annotated[str, typer.Argument(help="A YAML file with one or more K8sGPT objects ('-' for stdin).")],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write the KubeSage YAML here (default: stdout).")
    ] = None,
) -> None:
    """Convert k8sgpt-operator K8sGPT objects; fields without an equivalent are listed on stderr."""
    import yaml

    from kubesage.cli.console import warn
    from kubesage.errors import KubesageError
    from kubesage.operator.migrate import migrate_k8sgpt
    from kubesage.yamlsafe import safe_load_all

    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as err:
        raise KubesageError(f"{file}: cannot read: {err.strerror or err}") from None
    try:
        docs = [d for d in safe_load_all(text) if d is not None]
    except yaml.YAMLError as err:
        raise KubesageError(f"{file}: invalid YAML: {getattr(err, 'problem', None) or err}") from None
    if not docs:
        raise KubesageError(f"{file}: no K8sGPT object found")
    out: list[str] = []
    for i, doc in enumerate(docs, 1):
        try:
            migration = migrate_k8sgpt(doc)
        except KubesageError as err:
            raise KubesageError(f"{file}: document {i}: {err}") from None
        out.append(yaml.safe_dump(migration.document, sort_keys=False))
        name = migration.document["metadata"]["name"]
        for note in migration.notes:
            warn(f"{name}: {note}")
    text_out = "---\n".join(out)
    if output:
        Path(output).write_text(text_out, encoding="utf-8")
    else:
        sys.stdout.write(text_out)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="migrate")
