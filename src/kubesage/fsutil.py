"""Crash-safe writes: a reader sees the old content or the complete new one, never a torn file.

Temporary files and directories are created next to their destination (same file system,
so the final rename is atomic) with names starting `.tmp-`, which the owners of those
directories clean up after a crash.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMP_PREFIX = ".tmp-"


def atomic_write(
    path: Path, data: str | bytes, *, mode: int | None = 0o600, prefix: str = TEMP_PREFIX, durable: bool = False
) -> None:
    """Write `data` to a temp file beside `path`, set `mode`, and rename it over `path`.

    `mode=None` keeps mkstemp's 0600; `durable=True` fsyncs before the rename (survives power loss).
    """
    fd, tmp = tempfile.mkstemp(prefix=prefix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def temp_dir(parent: Path, prefix: str = TEMP_PREFIX, suffix: str = "") -> Iterator[Path]:
    """A private directory under `parent`, removed if the block raises (kept otherwise)."""
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def replace_dir(new: Path, dest: Path) -> None:
    """Put directory `new` at `dest`; an existing `dest` is swapped out and deleted afterwards.

    If the final rename fails, the earlier `dest` is put back.
    """
    if dest.is_dir() and any(dest.iterdir()):
        with temp_dir(dest.parent, prefix=f".{dest.name}.", suffix=".old") as old:
            os.rename(dest, old / "previous")
            try:
                os.rename(new, dest)
            except OSError:
                os.rename(old / "previous", dest)
                raise
        shutil.rmtree(old, ignore_errors=True)
        return
    if dest.is_dir():
        dest.rmdir()
    os.rename(new, dest)


STALE_AFTER = 3600.0
"""Seconds after which a leftover temp file or directory is taken to be from a crashed writer."""


def remove_stale(parent: Path, pattern: str = TEMP_PREFIX + "*", older_than: float = STALE_AFTER) -> int:
    """Delete `pattern` entries under `parent` not modified for `older_than` seconds (a crash's
    leftovers; a writer still running touches its temp entries). Returns how many went."""
    removed = 0
    cutoff = time.time() - older_than
    try:
        candidates = list(parent.glob(pattern))
    except OSError:
        return 0
    for path in candidates:
        try:
            if path.lstat().st_mtime > cutoff:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed += 1
        except OSError:
            continue
    return removed
