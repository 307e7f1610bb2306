"""`kubesage kb`: ingest, list, search, stats, remove the knowledge base."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from kubesage.rag.starter import KBSettings

app = typer.Typer(help="Manage the RAG knowledge base (runbooks, wiki, SOPs, docs).", no_args_is_help=True)

KBDir = Annotated[
    str | None, typer.Option("--kb", help="Knowledge-base directory (default: config kb.path, else the data dir).")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _settings(kb: str | None) -> KBSettings:
    from kubesage.config import load_config
    from kubesage.rag.starter import settings

    return settings(load_config(), kb)


def _print_json(data: object) -> None:
    import json
    import sys

    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@app.command("ingest")
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files or directories (.md, .html, .rst, .txt).")],
    kb: KBDir = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove documents that were ingested from these directories but are gone.")
    ] = False,
    base_url: Annotated[str, typer.Option("--base-url", help="Cite documents as BASE_URL/<relative path>/.")] = "",
    attribution: Annotated[str, typer.Option("--attribution", help="Attribution appended to citations.")] = "",
    output_json: Json = False,
) -> None:
    """Add or update documents (unchanged files are skipped by content hash)."""
    from kubesage.cli.console import out, warn
    from kubesage.rag.starter import open_kb

    s = _settings(kb)
    store = open_kb(s, must_exist=False)
    report = store.ingest(paths, base_url=base_url, attribution=attribution, prune=prune, embeddings=s.embeddings)
    for message in report.warnings:
        warn(message)
    if output_json:
        _print_json({"kb": str(store.path), "added": report.added, "updated": report.updated,
                     "removed": report.removed, "unchanged": report.unchanged, "warnings": report.warnings,
                     "docs": report.docs, "chunks": report.chunks, "seconds": round(report.seconds, 3)})  # fmt: skip
        return
    out().print(
        f"{store.path}: {len(report.added)} added, {len(report.updated)} updated, {report.unchanged} unchanged, "
        f"{len(report.removed)} removed, {len(report.warnings)} skipped; {report.docs} documents, "
        f"{report.chunks} chunks ({report.seconds:.2f}s)"
    )


@app.command("list")
def list_docs(kb: KBDir = None, output_json: Json = False) -> None:
    """List the documents in the knowledge base."""
    from rich.markup import escape

    from kubesage.cli.console import out
    from kubesage.rag.starter import open_kb

    docs = open_kb(_settings(kb)).manifest()["docs"]
    rows = [
        {"doc_id": d, "title": m.get("title", ""), "source": m.get("source", ""), "reasons": m.get("reasons", []),
         "chunks": m.get("chunks", 0), "updated": m.get("updated", "")}
        for d, m in sorted(docs.items())
    ]  # fmt: skip
    if output_json:
        _print_json(rows)
        return
    for row in rows:
        reasons = f" [{', '.join(row['reasons'])}]" if row["reasons"] else ""
        out().print(f"{escape(row['doc_id'])}  {escape(row['title'])}{escape(reasons)}")


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Error message or question.")],
    k: Annotated[int, typer.Option("-k", "--top", min=1, max=100, help="Number of documents.")] = 5,
    kb: KBDir = None,
    output_json: Json = False,
) -> None:
    """Retrieve the best-matching documents, best first."""
    from rich.markup import escape

    from kubesage.cli.console import out
    from kubesage.rag.retrieve import Retriever
    from kubesage.rag.starter import open_kb

    s = _settings(kb)
    retriever = Retriever(open_kb(s), threshold=s.threshold, dense=None if s.embeddings else False)
    result = retriever.search(query, k)
    if output_json:
        _print_json([h.to_json() for h in result.hits])
        return
    if not result.hits:
        out().print("No matching documents.")
        return
    for n, hit in enumerate(result.hits, 1):
        mark = "" if hit.confidence >= result.threshold else "  (below relevance threshold)"
        out().print(f"{n}. {escape(hit.title)}  score={hit.score:.2f} confidence={hit.confidence:.2f}{mark}")
        out().print(f"   {escape(hit.doc_id)} — {escape(hit.source)}")
        if hit.section:
            out().print(f"   § {escape(hit.section)}")


@app.command("stats")
def stats(kb: KBDir = None, output_json: Json = False) -> None:
    """Documents, chunks, vocabulary and generation of the knowledge base."""
    from kubesage.cli.console import out
    from kubesage.rag.starter import open_kb

    store = open_kb(_settings(kb))
    manifest = store.manifest()
    index = store.index()
    data = {"kb": str(store.path), "generation": index.generation, "docs": len(manifest["docs"]),
            "chunks": index.num_docs, "vocabulary": len(index.vocab), "updated": manifest.get("updated", ""),
            "embeddings": manifest.get("embeddings") or None,
            "languages": sorted({c.lang for c in index.chunks})}  # fmt: skip
    if output_json:
        _print_json(data)
        return
    for key, value in data.items():
        out().print(f"{key}: {value}")


@app.command("remove")
def remove(
    doc_ids: Annotated[list[str], typer.Argument(help="Document ids, or an id prefix such as k8s-docs.")],
    kb: KBDir = None,
) -> None:
    """Remove documents from the knowledge base."""
    from kubesage.cli.console import out
    from kubesage.rag.starter import open_kb

    gone = open_kb(_settings(kb)).remove(doc_ids)
    out().print(f"removed {len(gone)} document(s)")
