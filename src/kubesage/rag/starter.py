"""Which knowledge base to use, and the bundled starter runbooks (`knowledge/`).

With no `--kb` and no `kb.path` in the config, the KB lives in `<data dir>/kb` and always
contains the starter runbooks: built on first use and refreshed when their hashes change.
User documents ingested into it are kept across refreshes.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubesage import paths
from kubesage.errors import KubesageError
from kubesage.rag.ingest import iter_files
from kubesage.rag.retrieve import DEFAULT_THRESHOLD
from kubesage.rag.store import IngestReport, KnowledgeBase

_CHECKED: set[tuple[str, str]] = set()
_CHECK_LOCK = threading.Lock()


@dataclass(frozen=True)
class KBSettings:
    path: Path
    default: bool
    threshold: float = DEFAULT_THRESHOLD
    top_k: int = 4
    embeddings: bool = False


def knowledge_dir() -> Path | None:
    """The starter runbooks: `$KUBESAGE_KNOWLEDGE_DIR`, the repo's `knowledge/` (editable install),
    or the packaged copy in `kubesage/data/knowledge`."""
    explicit = os.environ.get("KUBESAGE_KNOWLEDGE_DIR")
    here = Path(__file__).resolve()
    bundled = [here.parents[3] / "knowledge", here.parents[1] / "data" / "knowledge"]
    candidates = [Path(explicit)] if explicit else bundled
    for cand in candidates:
        if cand.is_dir() and any(iter_files(cand)):
            return cand
    return None


def starter_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for file in iter_files(root):
        digest.update(file.relative_to(root).as_posix().encode())
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def default_kb_path() -> Path:
    return paths.data_dir() / "kb"


def settings(config: Any = None, explicit: str | Path | None = None) -> KBSettings:
    """KB settings from `--kb` and the config's `kb:` mapping (path, threshold, top_k, embeddings)."""
    raw: dict[str, Any] = dict(getattr(config, "kb", None) or {})
    try:
        threshold = float(raw.get("threshold", DEFAULT_THRESHOLD))
        top_k = int(raw.get("top_k", 4))
    except (TypeError, ValueError):
        raise KubesageError("config kb.threshold must be a number and kb.top_k an integer") from None
    if not 0.0 <= threshold <= 1.0:
        raise KubesageError(f"config kb.threshold must be between 0 and 1, got {threshold}")
    configured = explicit or raw.get("path")
    path = Path(str(configured)).expanduser() if configured else default_kb_path()
    return KBSettings(path, not configured, threshold, max(1, top_k), bool(raw.get("embeddings", False)))


def open_kb(s: KBSettings, *, must_exist: bool = True) -> KnowledgeBase:
    """The KB for these settings; the default KB gets the starter runbooks first."""
    kb = KnowledgeBase(s.path)
    if s.default:
        ensure_starter(kb, embeddings=s.embeddings)
    elif must_exist and not kb.exists():
        raise KubesageError(f"no knowledge base at {s.path}; run `kubesage kb ingest PATH --kb {s.path}`")
    return kb


def ensure_starter(kb: KnowledgeBase, *, embeddings: bool = False) -> IngestReport | None:
    """Build or refresh the starter runbooks in `kb` (checked once per process and KB)."""
    src = knowledge_dir()
    if src is None:
        if not kb.exists():
            raise KubesageError("the starter knowledge base is not installed; use `kubesage kb ingest`")
        return None
    digest = starter_hash(src)
    key = (str(kb.path), digest)
    with _CHECK_LOCK:
        if key in _CHECKED:
            return None
    report = None
    if not kb.exists() or kb.manifest().get("starter_hash") != digest:
        report = kb.ingest([src], prune=True, embeddings=embeddings, extra={"starter_hash": digest})
    with _CHECK_LOCK:
        _CHECKED.add(key)
    return report
