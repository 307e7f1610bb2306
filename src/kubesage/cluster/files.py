"""File source: YAML/JSON files, directories and `kubectl cluster-info dump` output.

Accepted inputs (`--snapshot PATH`, repeatable):
- a YAML or JSON file with one object, a `kind: List` (or `PodList`, ...) with `items`,
  or a multi-document YAML stream;
- the stdout of `kubectl cluster-info dump` (concatenated JSON lists with
  `==== START logs for container ... ====` sections), under any file name;
- a directory, read recursively (`*.yaml`, `*.yml`, `*.json`, and `*.txt` files that hold a
  dump), including the layout of `kubectl cluster-info dump --output-directory` (typed lists
  whose items carry no kind, and `<namespace>/<pod>/logs.txt`);
- container logs at `logs/<namespace>/<pod>/<container>.log` and `.previous.log`.

Files are untrusted: YAML aliases are expanded only within a small budget
(`kubesage.yamlsafe`), only regular files are read inside directories (a FIFO would block),
binary data is refused, and a malformed object is skipped with a warning naming it. A path
that yields no Kubernetes object at all is an error, never an empty, healthy cluster.
"""

from __future__ import annotations

import gc
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kubesage.cluster.snapshot import ClusterSnapshot, malformed, meta
from kubesage.errors import SourceError

_OBJECT_SUFFIXES = (".yaml", ".yml", ".json")

# File names of `kubectl cluster-info dump`, for lists whose `kind` is missing.
_DUMP_FILES = {
    "nodes": "Node",
    "pods": "Pod",
    "services": "Service",
    "deployments": "Deployment",
    "replicasets": "ReplicaSet",
    "daemonsets": "DaemonSet",
    "replication-controllers": "ReplicationController",
    "events": "Event",
    "statefulsets": "StatefulSet",
    "configmaps": "ConfigMap",
    "endpoints": "Endpoints",
}

_LOG_START = "==== START logs for container "
_DUMP_LOG_START = re.compile(r"==== START logs for container (\S+) of pod ([^/\s]+)/(\S+) ====")
# What kubectl writes instead of the logs when it could not fetch them.
KUBECTL_LOG_PLACEHOLDERS = ("Request log error: ", "Create log request error: ")
_SPACE = re.compile(r"\s*")
_CHUNK = 1 << 20

# Above this many new objects, the loaded objects are moved out of the collector's reach.
_FREEZE_AFTER = 20_000


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a snapshot is parsed and indexed.

    Parsed documents hold no reference cycles; on a 100k-object file the collector's
    repeated scans of the growing heap cost more than the parse itself.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_yaml(path: Path, text: str) -> list[Any]:
    import yaml

    from kubesage.yamlsafe import AliasBombError, safe_load_all

    try:
        return [d for d in safe_load_all(text) if d is not None]
    except AliasBombError as err:
        raise SourceError(f"{path}: {err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise SourceError(f"{path}{line}: invalid YAML: {problem}") from None


class _Dump:
    """What one file held: documents, and container logs from dump sections."""

    def __init__(self) -> None:
        self.docs: list[Any] = []
        self.logs: list[tuple[str, str, str, str]] = []
        """(namespace, pod, container, text)"""
        self.not_collected: list[str] = []
        """Containers whose section holds only kubectl's placeholder, as `ns/pod/container`."""


def _log_section(text: str, pos: int, out: _Dump) -> int:
    """Read one `==== START logs ... ====` section at `pos`; returns the position after it."""
    eol = text.find("\n", pos)
    header = text[pos : eol if eol >= 0 else len(text)]
    m = _DUMP_LOG_START.match(header)
    if m is None or eol < 0:
        return len(text) if eol < 0 else eol + 1
    container, ns, pod = m.groups()
    body_start = eol + 1
    # The END marker follows the log bytes directly: not on a line of its own when the
    # log did not end with a newline.
    end_marker = f"==== END logs for container {container} of pod {ns}/{pod} ===="
    end = text.find(end_marker, body_start)
    body = text[body_start : end if end >= 0 else len(text)]
    after = len(text) if end < 0 else end + len(end_marker)
    if after < len(text) and text[after] == "\n":
        after += 1
    body = body[:-1] if body.endswith("\n") else body
    lines = body.split("\n") if body else []
    if lines and lines[-1].startswith(KUBECTL_LOG_PLACEHOLDERS):
        lines.pop()  # kubectl's note that it could not fetch the logs: not a log line
        if not lines:
            out.not_collected.append(f"{ns}/{pod}/{container}")
            return after
    out.logs.append((ns, pod, container, "\n".join(lines)))
    return after


def _parse_dump(path: Path, text: str) -> _Dump | None:
    """A JSON stream: one or more JSON values, with kubectl's log sections between them.

    None when the first value is not JSON (the caller then tries YAML flow style).
    """
    out = _Dump()
    decoder = json.JSONDecoder()
    pos, n = 0, len(text)
    while True:
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= n:
            return out
        if text[pos] in "{[":
            try:
                doc, pos = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as err:
                if not out.docs and not out.logs and path.suffix != ".json":
                    return None
                raise SourceError(f"{path}:{err.lineno}: invalid JSON: {err.msg}") from None
            out.docs.append(doc)
        elif text.startswith(_LOG_START, pos):
            pos = _log_section(text, pos, out)
        else:
            line = text.count("\n", 0, pos) + 1
            if not out.docs and not out.logs and path.suffix != ".json":
                return None
            raise SourceError(f"{path}:{line}: invalid JSON: unexpected text between JSON values")


def _parse_logs_file(text: str) -> _Dump:
    """`<ns>/<pod>/logs.txt` of `--output-directory`: log sections only."""
    out = _Dump()
    pos = text.find(_LOG_START)
    while 0 <= pos < len(text):
        pos = _log_section(text, pos, out)
        pos = text.find(_LOG_START, pos)
    return out


def _parse(path: Path, text: str) -> _Dump:
    """Every document (and dump log section) of one file. Raises SourceError naming the file."""
    head = text.lstrip()[:1]
    if head in ("{", "[") or (path.suffix == ".json" and head):
        dump = _parse_dump(path, text)
        if dump is not None:
            return dump
        # YAML is a superset of JSON; let the YAML parser have a go at flow style.
    out = _Dump()
    out.docs = _parse_yaml(path, text)
    return out


def _read(path: Path, *, binary_ok: bool = False) -> str:
    """The text of `path`, read in chunks so that a device or a pipe of binary data fails fast."""
    chunks: list[bytes] = []
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                if not binary_ok and b"\x00" in chunk:
                    raise SourceError(f"{path}: binary data (NUL bytes), not YAML or JSON")
                chunks.append(chunk)
    except OSError as err:
        raise SourceError(f"{path}: cannot read: {err.strerror or err}") from None
    data = b"".join(chunks)
    if binary_ok:
        return data.decode("utf-8", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SourceError(f"{path}: not UTF-8 text (byte {err.start})") from None


def _item_kind(list_kind: str | None, path: Path) -> str | None:
    if list_kind and list_kind != "List" and list_kind.endswith("List"):
        return list_kind[: -len("List")]
    return _DUMP_FILES.get(path.stem)


def _describe(obj: Any, kind: str | None) -> str:
    m = meta(obj)
    ns, name = m.get("namespace"), m.get("name")
    ref = f"{ns}/{name}" if isinstance(ns, str) and ns else str(name) if name is not None else "(no name)"
    return f"{kind or obj.get('kind') or 'object'} {ref}"


def _add_object(snap: ClusterSnapshot, obj: dict[str, Any], path: Path, kind: str | None = None) -> None:
    problem = malformed(obj)
    if problem is not None:
        snap.warnings.append(f"{path}: {_describe(obj, kind)}: {problem}; object skipped")
        snap.malformed += 1
        return
    snap.add(obj, kind)


def _add_document(snap: ClusterSnapshot, doc: Any, path: Path, index: int) -> None:
    if isinstance(doc, list) and doc and all(isinstance(d, dict) for d in doc):  # a bare array of objects
        for item in doc:
            _add_document(snap, item, path, index)
        return
    if not isinstance(doc, dict):
        snap.warnings.append(f"{path}: document {index + 1} is not a Kubernetes object; skipped")
        return
    kind = doc.get("kind")
    items = doc.get("items")
    if items is None and isinstance(kind, str) and kind.endswith("List") and "items" in doc:
        items = []  # Go marshals an empty typed list as `"items": null`
    if isinstance(items, list) and (not kind or str(kind).endswith("List")):
        item_kind = _item_kind(kind if isinstance(kind, str) else None, path)
        if item_kind:
            snap.mark_listed(item_kind)
        for i, item in enumerate(items):
            if isinstance(item, dict):
                _add_object(snap, item, path, None if item.get("kind") else item_kind)
            else:
                snap.warnings.append(f"{path}: item {i + 1} of document {index + 1} is not an object; skipped")
        return
    if not kind:
        snap.warnings.append(f"{path}: document {index + 1} has no kind; skipped")
        return
    if kind == "KubesageSnapshot":  # the `snapshot save` manifest, not a cluster object
        snap.warnings.extend(str(w) for w in doc.get("warnings") or ())
        return
    _add_object(snap, doc, path)


def _add_dump(snap: ClusterSnapshot, dump: _Dump, path: Path) -> None:
    for i, doc in enumerate(dump.docs):
        _add_document(snap, doc, path, i)
    for ns, pod, container, text in dump.logs:
        snap.add_log(ns, pod, container, text)
    if dump.not_collected:
        shown = ", ".join(dump.not_collected[:3]) + (" …" if len(dump.not_collected) > 3 else "")
        snap.warnings.append(
            f"{path}: kubectl could not fetch the logs of {len(dump.not_collected)} container(s) ({shown}); "
            "their logs are not analysed"
        )


def load_file(snap: ClusterSnapshot, path: Path) -> None:
    _add_dump(snap, _parse(path, _read(path)), path)


def _log_key(rel: tuple[str, ...]) -> tuple[str, str, str, bool] | None:
    """`.../logs/<ns>/<pod>/<container>[.previous].log` -> (ns, pod, container, previous)."""
    if len(rel) < 4 or rel[-4] != "logs":
        return None
    ns, pod, fname = rel[-3], rel[-2], rel[-1]
    if fname.endswith(".previous.log"):
        return ns, pod, fname[: -len(".previous.log")], True
    if fname.endswith(".log"):
        return ns, pod, fname[: -len(".log")], False
    return None


def _holds_dump(path: Path) -> bool:
    """A `.txt` file that starts like `kubectl cluster-info dump` output (a JSON object)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError:
        return False
    return head.lstrip()[:1] == b"{"


def load_path(snap: ClusterSnapshot, path: Path, exclude: Iterable[str] = ()) -> None:
    """Load one file or directory tree into `snap`.

    Raises SourceError when the path holds no Kubernetes object, no typed list and no logs.
    """
    before = (snap.count(), len(snap.listed_kinds), len(snap.log_keys()), snap.malformed)
    warned = len(snap.warnings)
    with gc_paused():
        read = _load_path(snap, path, set(exclude))
        if snap.count() - before[0] >= _FREEZE_AFTER:
            # Otherwise the first collections after loading would scan every object up
            # to three times (~1 s per 100k objects). Frozen objects are still freed by
            # reference counting once the snapshot is dropped.
            gc.freeze()
    if (snap.count(), len(snap.listed_kinds), len(snap.log_keys()), snap.malformed) == before:
        if path.is_dir():
            what = "empty directory" if read == 0 else f"{read} file(s) read, none holds one"
            hint = f"({what}; expected YAML/JSON manifests or `kubectl cluster-info dump` output)"
        else:
            hint = "(expected YAML/JSON manifests or `kubectl cluster-info dump` output)"
        if len(snap.warnings) > warned:  # say why the files held nothing usable
            hint += f"; first problem: {snap.warnings[warned]}"
        raise SourceError(f"{path}: no Kubernetes objects found {hint}")


def _load_path(snap: ClusterSnapshot, path: Path, excluded: set[str]) -> int:
    """Load `path`; returns how many files were read."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file or directory") from None
    except OSError as err:
        raise SourceError(f"{path}: cannot read: {err.strerror or err}") from None
    if not stat.S_ISDIR(mode):
        # A file named on the command line may be a pipe (`--snapshot <(kubectl ...)`).
        load_file(snap, path)
        snap.sources.append(str(path))
        return 1
    read = 0
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for fname in sorted(files):
            fpath = Path(root, fname)
            rel = fpath.relative_to(path).parts
            key = _log_key(rel)
            wanted = (
                key is not None
                or fname == "logs.txt"
                or (fname.endswith(_OBJECT_SUFFIXES) and fname not in excluded)
                or fname.endswith(".txt")
            )
            if not wanted:
                continue
            if not fpath.is_file():  # a FIFO or device would block or never end
                snap.warnings.append(f"{fpath}: not a regular file; skipped")
                continue
            if key:
                snap.add_log(key[0], key[1], key[2], _read(fpath, binary_ok=True), previous=key[3])
            elif fname == "logs.txt":
                _add_dump(snap, _parse_logs_file(_read(fpath, binary_ok=True)), fpath)
            elif fname.endswith(".txt"):
                if not _holds_dump(fpath):
                    continue
                load_file(snap, fpath)
            else:
                load_file(snap, fpath)
            read += 1
    snap.sources.append(str(path))
    return read


def load_snapshot(paths: Iterable[str | Path], exclude: Iterable[str] = ()) -> ClusterSnapshot:
    """A snapshot of every object found under `paths`."""
    snap = ClusterSnapshot()
    names: list[str] = []
    for p in paths:
        load_path(snap, Path(p), exclude)
        names.append(str(p))
    if names and snap.count() == 0 and not snap.listed_kinds and not snap.has_logs():
        # Every object was malformed: nothing was analysed, so nothing may be called healthy.
        raise SourceError(
            f"{', '.join(names)}: no usable Kubernetes objects ({snap.malformed} malformed, skipped); "
            f"first problem: {snap.warnings[0] if snap.warnings else 'none recorded'}"
        )
    return snap
