"""The answer cache: one JSON file per signature under `<XDG cache>/kubesage/answers`.

Key = sha256 over backend, model, template, language and the masked signature, so changing
any of them misses (k8sgpt's key ignores model and template). Values hold the answer as
masked text plus the spans it was written for, so a hit works with and without
`--anonymize` and for any result of the same signature. Files are written atomically, 0600.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from kubesage import paths
from kubesage.errors import KubesageError
from kubesage.fsutil import atomic_write, remove_stale
from kubesage.redact import redact

_KEY = re.compile(r"^[0-9a-f]{64}$")


def cache_key(backend: str, model: str, template: str, language: str, signature: str) -> str:
    payload = json.dumps([backend, model, template, language.strip().lower(), signature], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class CachedAnswer:
    answer: str
    """Masked answer text."""
    spans: tuple[str, ...]
    backend: str = ""
    model: str = ""
    created: float = 0.0


@dataclass(frozen=True)
class CacheEntry:
    key: str
    updated: float
    size: int


class AnswerCache:
    def __init__(self, directory: Path | None = None) -> None:
        self.dir = directory or paths.cache_dir() / "answers"
        self.warnings: list[str] = []
        self._cleaned = False

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise KubesageError(f"not a cache key: {key!r} (expected 64 hex characters)")
        return self.dir / key

    def get(self, key: str) -> CachedAnswer | None:
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return CachedAnswer(
                answer=str(data["answer"]),
                spans=tuple(str(s) for s in data.get("spans", ())),
                backend=str(data.get("backend", "")),
                model=str(data.get("model", "")),
                created=float(data.get("created", 0.0)),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as err:
            self.warnings.append(f"ignoring unreadable cache entry {key[:12]}…: {type(err).__name__}")
            return None

    def put(self, key: str, entry: CachedAnswer) -> None:
        path = self._path(key)
        data = {
            "answer": redact(entry.answer),  # an answer may echo a credential: never store one
            "spans": list(entry.spans),
            "backend": entry.backend,
            "model": entry.model,
            "created": entry.created or time.time(),
        }
        try:
            self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self._cleaned:  # `.tmp-*` left by a run that crashed mid-write
                remove_stale(self.dir)
                self._cleaned = True
            atomic_write(path, json.dumps(data, ensure_ascii=False), mode=0o600)
        except OSError as err:
            self.warnings.append(f"cannot write cache entry in {self.dir}: {err.strerror or err}")

    def entries(self) -> list[CacheEntry]:
        if not self.dir.is_dir():
            return []
        out: list[CacheEntry] = []
        for p in self.dir.iterdir():
            if _KEY.match(p.name) and p.is_file():
                st = p.stat()
                out.append(CacheEntry(p.name, st.st_mtime, st.st_size))
        return sorted(out, key=lambda e: (e.updated, e.key))

    def purge(self, key: str) -> bool:
        path = self._path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def purge_all(self) -> int:
        n = 0
        for e in self.entries():
            n += self.purge(e.key)
        return n
