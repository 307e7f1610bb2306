"""A knowledge-base directory: generations, atomic updates, a lock, incremental ingest.

Layout::

    KB/CURRENT          name of the live generation (replaced atomically)
    KB/gen-000007/      manifest.json, chunks.jsonl, bm25/ (bm25s save), dense.npy (optional)
    KB/.lock            held while an ingest or remove runs

An update builds a new generation in a private temp directory, renames it into place and
only then swaps CURRENT, so a crash at any point leaves the previous generation live.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kubesage.errors import KubesageError
from kubesage.fsutil import atomic_write
from kubesage.rag import index as index_mod
from kubesage.rag.ingest import (
    MAX_DOCUMENT_BYTES,
    SUFFIXES,
    Chunk,
    Collection,
    DocumentError,
    detect_collection,
    doc_id_for,
    iter_files,
    load_document,
    sha256_bytes,
)
from kubesage.rag.tokenize import TOKENIZER_VERSION

FORMAT = 1
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
LOCK = ".lock"
KEEP_GENERATIONS = 2


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)
    docs: int = 0
    chunks: int = 0
    seconds: float = 0.0
    generation: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


class KnowledgeBase:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()

    # ------------------------------------------------------------ reading

    def exists(self) -> bool:
        return self.generation_dir() is not None

    def generation_dir(self) -> Path | None:
        try:
            name = (self.path / CURRENT).read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as err:
            raise KubesageError(f"{self.path}: cannot read knowledge base: {err.strerror or err}") from None
        gen = self.path / name
        if not name or "/" in name or not (gen / MANIFEST).is_file():
            raise KubesageError(f"{self.path}: knowledge base pointer is broken; re-run `kubesage kb ingest`")
        return gen

    def manifest(self) -> dict[str, Any]:
        gen = self.generation_dir()
        return _read_manifest(gen) if gen else _empty_manifest()

    def index(self) -> index_mod.KBIndex:
        gen = self.generation_dir()
        if gen is None:
            raise KubesageError(f"no knowledge base at {self.path}; run `kubesage kb ingest PATH --kb {self.path}`")
        return index_mod.load_index(gen, _read_manifest)

    def chunks(self) -> list[Chunk]:
        gen = self.generation_dir()
        return self.index().chunks if gen else []

    # ------------------------------------------------------------ writing

    @contextmanager
    def lock(self, timeout: float = 60.0) -> Iterator[None]:
        self._check_writable()
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise KubesageError(f"{self.path}: another ingest holds the lock; try again later") from None
                    time.sleep(0.05)
            yield
        finally:
            os.close(fd)

    def _check_writable(self) -> None:
        if self.path.exists() and not self.path.is_dir():
            raise KubesageError(f"{self.path}: not a directory")
        if self.path.is_dir() and not (self.path / CURRENT).exists():
            ours = (LOCK, ".tmp-", "gen-")
            others = [p for p in self.path.iterdir() if not p.name.startswith(ours)]
            if others:
                raise KubesageError(f"{self.path}: directory is not empty and is not a kubesage knowledge base")

    def ingest(
        self,
        paths: Sequence[Path | str],
        *,
        base_url: str = "",
        attribution: str = "",
        prune: bool = False,
        embeddings: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> IngestReport:
        """Add or update documents from files/directories; unchanged files (same hash) are not re-parsed."""
        started = time.perf_counter()
        report = IngestReport()
        if not paths:
            raise KubesageError("nothing to ingest: give one or more files or directories")
        missing = [str(p) for p in paths if not Path(p).expanduser().exists()]
        if len(missing) == len(paths):
            raise KubesageError(f"{missing[0]}: no such file or directory")
        with self.lock():
            manifest = self.manifest()
            docs: dict[str, dict[str, Any]] = dict(manifest["docs"])
            by_doc = _chunks_by_doc(self.chunks() if self.exists() else [])
            same_tokenizer = manifest.get("tokenizer") == TOKENIZER_VERSION
            seen_roots: dict[str, set[str]] = {}
            for raw in paths:
                path = Path(raw).expanduser()
                if not path.exists():
                    report.warnings.append(f"{path}: no such file or directory")
                    continue
                collection = detect_collection(path.resolve(), base_url, attribution) if path.is_dir() else None
                root_key = str(path.resolve())
                seen = seen_roots.setdefault(root_key, set())
                for file in iter_files(path.resolve()):
                    self._ingest_file(file, collection, root_key, docs, by_doc, seen, same_tokenizer, report)
            if prune:
                for root_key, seen in seen_roots.items():
                    for doc_id in [d for d, meta in docs.items() if meta.get("root") == root_key and d not in seen]:
                        docs.pop(doc_id)
                        by_doc.pop(doc_id, None)
                        report.removed.append(doc_id)
            changed_extra = bool(extra) and any(manifest.get(k) != v for k, v in (extra or {}).items())
            embed_changed = embeddings != bool(manifest.get("embeddings"))
            if report.changed or not self.exists() or not same_tokenizer or changed_extra or embed_changed:
                report.generation = self._commit(docs, by_doc, {**manifest, **(extra or {})}, embeddings)
            else:
                gen = self.generation_dir()
                report.generation = gen.name if gen else ""
            report.docs = len(docs)
            report.chunks = sum(len(v) for v in by_doc.values())
        report.seconds = time.perf_counter() - started
        return report

    def _ingest_file(
        self,
        file: Path,
        collection: Collection | None,
        root_key: str,
        docs: dict[str, dict[str, Any]],
        by_doc: dict[str, list[Chunk]],
        seen: set[str],
        same_tokenizer: bool,
        report: IngestReport,
    ) -> None:
        if file.suffix.lower() not in SUFFIXES:
            report.warnings.append(f"{file}: unsupported file type (use .md, .html, .rst or .txt)")
            return
        doc_id = doc_id_for(file, collection)
        seen.add(doc_id)
        try:
            size = file.stat().st_size
            if size > MAX_DOCUMENT_BYTES:
                limit = MAX_DOCUMENT_BYTES // (1024 * 1024)
                report.warnings.append(f"{file}: too large ({size / 1e6:.0f} MB, limit {limit} MiB); skipped")
                return
            data = file.read_bytes()
        except OSError as err:
            report.warnings.append(f"{file}: cannot read: {err.strerror or err}; skipped")
            return
        digest = sha256_bytes(data)
        old = docs.get(doc_id)
        if old is not None and old.get("sha256") == digest and doc_id in by_doc and same_tokenizer:
            report.unchanged += 1
            return
        try:
            doc = load_document(file, collection, data)
        except DocumentError as err:
            report.warnings.append(f"{err}; skipped")
            return
        docs[doc_id] = {
            "title": doc.title, "source": doc.source, "path": doc.path, "sha256": digest, "root": root_key,
            "chunks": len(doc.chunks), "reasons": list(doc.reasons), "kinds": list(doc.kinds), "updated": doc.updated,
        }  # fmt: skip
        by_doc[doc_id] = doc.chunks
        (report.updated if old is not None else report.added).append(doc_id)

    def remove(self, selectors: Sequence[str]) -> list[str]:
        """Remove documents by id, or every document under an id prefix (`k8s-docs` → `k8s-docs/...`)."""
        with self.lock():
            manifest = self.manifest()
            docs = dict(manifest["docs"])
            gone = [d for d in docs if any(d == s or d.startswith(s.rstrip("/") + "/") for s in selectors)]
            if not gone:
                raise KubesageError(f"no document matches {', '.join(selectors)}")
            by_doc = _chunks_by_doc(self.chunks())
            for doc_id in gone:
                docs.pop(doc_id)
                by_doc.pop(doc_id, None)
            self._commit(docs, by_doc, manifest, bool(manifest.get("embeddings")))
        return gone

    def _commit(
        self, docs: dict[str, dict[str, Any]], by_doc: dict[str, list[Chunk]], base: dict[str, Any], embeddings: bool
    ) -> str:
        self.path.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temp()
        current = self.generation_dir()
        number = int(current.name.split("-")[1]) + 1 if current else 1
        chunks: list[Chunk] = []
        for doc_id in docs:
            for chunk in by_doc.get(doc_id, []):
                chunks.append(chunk)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.path))
        try:
            index_mod.write_index(tmp, chunks)
            manifest = {**base, "format": FORMAT, "tokenizer": TOKENIZER_VERSION, "generation": number,
                        "updated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "docs": docs,
                        "chunks": len(chunks), "embeddings": None}  # fmt: skip
            if embeddings:
                from kubesage.rag import embed

                manifest["embeddings"] = embed.write_vectors(tmp, chunks)
            (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
            gen = self.path / f"gen-{number:06d}"
            if gen.exists():
                shutil.rmtree(gen)
            os.replace(tmp, gen)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        atomic_write(self.path / CURRENT, gen.name + "\n", mode=None, durable=True)
        self._prune_generations(gen.name)
        return gen.name

    def clean_stale_temp(self) -> int:
        """Remove `.tmp-*` left by a crashed ingest (at server start), unless an ingest runs now."""
        try:
            with self.lock(timeout=0):
                return self._remove_stale_temp()
        except (KubesageError, OSError):
            return 0  # an ingest holds the lock, or the KB is read-only

    def _remove_stale_temp(self) -> int:
        stale = list(self.path.glob(".tmp-*"))
        for path in stale:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        return len(stale)

    def _prune_generations(self, live: str) -> None:
        gens = sorted(p for p in self.path.glob("gen-*") if p.is_dir())
        for old in gens[:-KEEP_GENERATIONS]:
            if old.name != live:
                shutil.rmtree(old, ignore_errors=True)


def _empty_manifest() -> dict[str, Any]:
    return {"format": FORMAT, "tokenizer": TOKENIZER_VERSION, "generation": 0, "docs": {}, "chunks": 0}


def _read_manifest(gen: Path) -> dict[str, Any]:
    try:
        data = json.loads((gen / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise KubesageError(f"{gen / MANIFEST}: unreadable manifest: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("docs"), dict):
        raise KubesageError(f"{gen / MANIFEST}: not a kubesage manifest")
    return data


def _chunks_by_doc(chunks: list[Chunk]) -> dict[str, list[Chunk]]:
    out: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        out.setdefault(chunk.doc_id, []).append(chunk)
    return out
