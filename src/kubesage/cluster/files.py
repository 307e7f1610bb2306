"""File source: YAML/JSON files, directories and `kubectl cluster-info dump` output.

Accepted inputs (`--snapshot PATH`, repeatable):
- a YAML or JSON file with one object, a `kind: List` (or `PodList`, ...) with `items`,
  or a multi-document YAML stream;
- a directory, read recursively (`*.yaml`, `*.yml`, `*.json`), including the layout of
  `kubectl cluster-info dump --output-directory` (typed lists whose items carry no kind,
  and `<namespace>/<pod>/logs.txt`);
- container logs at `logs/<namespace>/<pod>/<container>.log` and `.previous.log`.
"""

from __future__ import annotations

import gc
import json
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kubesage.cluster.snapshot import ClusterSnapshot
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

_DUMP_LOG_START = re.compile(r"^==== START logs for container (\S+) of pod (\S+)/(\S+) ====$")
_DUMP_LOG_END = re.compile(r"^==== END logs for container (\S+) of pod (\S+)/(\S+) ====$")


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


def _yaml_module() -> Any:
    import yaml

    return yaml


def _parse_text(path: Path, text: str) -> list[Any]:
    """All documents of one file. Raises SourceError naming the file and line."""
    if path.suffix == ".json" or text.lstrip()[:1] in ("{", "["):
        try:
            return [json.loads(text)]
        except json.JSONDecodeError as err:
            if path.suffix == ".json":
                raise SourceError(f"{path}:{err.lineno}: invalid JSON: {err.msg}") from None
            # YAML is a superset of JSON; let the YAML parser have a go at flow style.
    yaml = _yaml_module()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return [d for d in yaml.load_all(text, Loader=loader) if d is not None]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise SourceError(f"{path}{line}: invalid YAML: {problem}") from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise SourceError(f"{path}: not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise SourceError(f"{path}: cannot read: {err.strerror or err}") from None


def _item_kind(list_kind: str | None, path: Path) -> str | None:
    if list_kind and list_kind != "List" and list_kind.endswith("List"):
        return list_kind[: -len("List")]
    return _DUMP_FILES.get(path.stem)


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
    if isinstance(items, list) and (not kind or str(kind).endswith("List")):
        item_kind = _item_kind(kind, path)
        if item_kind:
            snap.mark_listed(item_kind)
        for item in items:
            if isinstance(item, dict):
                snap.add(item, None if item.get("kind") else item_kind)
        return
    if not kind:
        snap.warnings.append(f"{path}: document {index + 1} has no kind; skipped")
        return
    if kind == "KubesageSnapshot":  # the `snapshot save` manifest, not a cluster object
        snap.warnings.extend(str(w) for w in doc.get("warnings") or ())
        return
    snap.add(doc)


def load_file(snap: ClusterSnapshot, path: Path) -> None:
    for i, doc in enumerate(_parse_text(path, _read(path))):
        _add_document(snap, doc, path, i)


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


def _load_dump_logs(snap: ClusterSnapshot, path: Path) -> None:
    container: tuple[str, str, str] | None = None
    lines: list[str] = []
    for line in _read(path).splitlines():
        start = _DUMP_LOG_START.match(line)
        if start:
            name, ns, pod = start.groups()
            container, lines = (ns, pod, name), []
            continue
        if _DUMP_LOG_END.match(line) and container:
            snap.add_log(*container, "\n".join(lines))
            container = None
            continue
        if container:
            lines.append(line)


def load_path(snap: ClusterSnapshot, path: Path, exclude: Iterable[str] = ()) -> None:
    """Load one file or directory tree into `snap`."""
    before = snap.count()
    with gc_paused():
        _load_path(snap, path, set(exclude))
        if snap.count() - before >= _FREEZE_AFTER:
            # Otherwise the first collections after loading would scan every object up
            # to three times (~1 s per 100k objects). Frozen objects are still freed by
            # reference counting once the snapshot is dropped.
            gc.freeze()


def _load_path(snap: ClusterSnapshot, path: Path, excluded: set[str]) -> None:
    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    if path.is_file():
        load_file(snap, path)
        snap.sources.append(str(path))
        return
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for fname in sorted(files):
            fpath = Path(root, fname)
            rel = fpath.relative_to(path).parts
            key = _log_key(rel)
            if key:
                snap.add_log(key[0], key[1], key[2], _read(fpath), previous=key[3])
            elif fname == "logs.txt":
                _load_dump_logs(snap, fpath)
            elif fname.endswith(_OBJECT_SUFFIXES) and fname not in excluded:
                load_file(snap, fpath)
    snap.sources.append(str(path))


def load_snapshot(paths: Iterable[str | Path], exclude: Iterable[str] = ()) -> ClusterSnapshot:
    """A snapshot of every object found under `paths`."""
    snap = ClusterSnapshot()
    for p in paths:
        load_path(snap, Path(p), exclude)
    return snap
