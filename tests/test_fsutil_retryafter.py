"""The shared low-level helpers: atomic writes, stale temp cleanup, Retry-After."""

from __future__ import annotations

import email.utils
import os
import stat
import time
from pathlib import Path

import pytest

from kubesage.explain.cache import AnswerCache, CachedAnswer, cache_key
from kubesage.fsutil import atomic_write, remove_stale, replace_dir, temp_dir
from kubesage.retryafter import parse_retry_after, retry_after_seconds


def test_atomic_write_replaces_whole_file_with_mode(tmp_path: Path) -> None:
    target = tmp_path / "config.yaml"
    target.write_text("old")
    atomic_write(target, "new: 1\n", mode=0o600)
    assert target.read_text() == "new: 1\n" and stat.S_IMODE(target.stat().st_mode) == 0o600
    atomic_write(target, b"\x00bytes", mode=None, durable=True)
    assert target.read_bytes() == b"\x00bytes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml"]  # no temp file left


def test_atomic_write_failure_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    target.write_text("kept")
    with pytest.raises(TypeError):
        atomic_write(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "kept" and [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_replace_dir_swaps_and_temp_dir_cleans_up_on_error(tmp_path: Path) -> None:
    dest = tmp_path / "snap"
    dest.mkdir()
    (dest / "old.yaml").write_text("old")
    with temp_dir(tmp_path, prefix=".snap.", suffix=".tmp") as new:
        (new / "new.yaml").write_text("new")
        replace_dir(new, dest)
    assert [p.name for p in dest.iterdir()] == ["new.yaml"]
    assert [p.name for p in tmp_path.iterdir()] == ["snap"]
    with pytest.raises(RuntimeError), temp_dir(tmp_path) as doomed:
        (doomed / "x").write_text("x")
        raise RuntimeError("crash while writing")
    assert [p.name for p in tmp_path.iterdir()] == ["snap"]


def test_remove_stale_keeps_recent_temp_entries(tmp_path: Path) -> None:
    old_file, old_dir, fresh = tmp_path / ".tmp-a", tmp_path / ".tmp-b", tmp_path / ".tmp-c"
    old_file.write_text("x")
    old_dir.mkdir()
    (old_dir / "inner").write_text("x")
    fresh.write_text("x")
    hour_ago = time.time() - 7200
    for p in (old_file, old_dir):
        os.utime(p, (hour_ago, hour_ago))
    assert remove_stale(tmp_path) == 2
    assert [p.name for p in tmp_path.iterdir()] == [".tmp-c"]


def test_answer_cache_cleans_a_crashed_writers_temp_files(tmp_path: Path) -> None:
    leftover = tmp_path / ".tmp-crashed"
    leftover.write_text("half an answer")
    os.utime(leftover, (time.time() - 7200,) * 2)
    cache = AnswerCache(tmp_path)
    key = cache_key("openai", "gpt-4o", "t", "english", "sig")
    cache.put(key, CachedAnswer("answer", ()))
    assert sorted(p.name for p in tmp_path.iterdir()) == [key]


def test_retry_after_forms() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(" 1.5 ") == 1.5
    assert retry_after_seconds("-3") == 0.0
    assert retry_after_seconds("nan") is None and retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None and retry_after_seconds("") is None
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= (retry_after_seconds(date, now=now) or 0) <= 31
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({"retry-after": "9"}) == 9.0
    assert parse_retry_after({}) is None and parse_retry_after(None) is None
