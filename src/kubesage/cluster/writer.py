"""Write a ClusterSnapshot as a snapshot directory that `--snapshot DIR` loads back.

Layout:
    DIR/snapshot.yaml                      manifest (kind: KubesageSnapshot): time, context, server, kinds, warnings
    DIR/<namespace>/<plural>.yaml          `kind: List` of that namespace's objects of one kind
    DIR/_cluster/<plural>.yaml             cluster-scoped objects; also `kind: <Kind>List` with no
                                           items for kinds that were listed and empty
    (`.json` instead of `.yaml` with fmt="json": the same documents, ~10x faster to write and
    ~100x faster to load on big clusters)
    DIR/logs/<ns>/<pod>/<container>.log    container logs (`.previous.log` for the last restart)

Secrets are written as metadata only. The tree is written to a private temp directory next
to DIR and renamed into place, so DIR is either the old content or the complete new one.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kubesage.cluster.kinds import KINDS
from kubesage.cluster.snapshot import ClusterSnapshot, Obj, meta, namespace_of
from kubesage.errors import KubesageError
from kubesage.fsutil import remove_stale, replace_dir, temp_dir

MANIFEST = "snapshot.yaml"
MANIFEST_KIND = "KubesageSnapshot"
MANIFEST_API_VERSION = "kubesage.io/v1alpha1"
CLUSTER_DIR = "_cluster"  # "_" cannot start a namespace name, so this never collides
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def is_snapshot_dir(path: Path) -> bool:
    """True when `path` holds a manifest written by `write_snapshot`."""
    manifest = path / MANIFEST
    if not manifest.is_file():
        return False
    try:
        head = manifest.read_text(encoding="utf-8")[:4096]
    except (OSError, UnicodeDecodeError):
        return False
    return f"kind: {MANIFEST_KIND}" in head


def check_destination(dest: Path, force: bool) -> None:
    """Refuse a destination that would lose user data. Call it before doing slow work."""
    if dest.exists() and not dest.is_dir():
        raise KubesageError(f"{dest} exists and is not a directory")
    if not dest.is_dir() or not any(dest.iterdir()):
        return
    if not force:
        raise KubesageError(f"{dest} is not empty: choose a new directory, or --force to replace an earlier snapshot")
    if not is_snapshot_dir(dest):
        raise KubesageError(f"{dest} is not empty and is not a kubesage snapshot: refusing to replace it")


def _yaml_dump(doc: Any) -> str:
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    # Sorted keys: the order `kubectl get -o yaml` prints.
    return str(yaml.dump(doc, Dumper=dumper, sort_keys=True, default_flow_style=False, allow_unicode=True))


def _json_dump(doc: Mapping[str, Any]) -> str:
    """JSON with one object per line: grep-friendly, and json's C encoder (no `indent`) is fast."""
    enc = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
    head = {k: v for k, v in doc.items() if k != "items"}
    lines = [enc(o) for o in doc.get("items") or ()]
    body = "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"
    return enc(head)[:-1] + (',"items":' if head else '"items":') + body + "}\n"


FORMATS = {"yaml": (".yaml", _yaml_dump), "json": (".json", _json_dump)}


def export_object(obj: Mapping[str, Any]) -> Obj:
    """The object as written to disk: no managedFields; Secrets without values or last-applied."""
    out = dict(obj)
    m = meta(obj)
    if m:
        m2 = {k: v for k, v in m.items() if k != "managedFields"}
        ann = m2.get("annotations")
        if out.get("kind") == "Secret" and isinstance(ann, Mapping) and _LAST_APPLIED in ann:
            m2["annotations"] = {k: v for k, v in ann.items() if k != _LAST_APPLIED}
        out["metadata"] = m2
    if out.get("kind") == "Secret":
        out.pop("data", None)
        out.pop("stringData", None)
    return out


def _plural(kind: str) -> str:
    info = KINDS.get(kind)
    return info.plural if info else kind.lower() + "s"


def _api_version(kind: str) -> str:
    info = KINDS.get(kind)
    return info.api_version if info else "v1"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _write_tree(snap: ClusterSnapshot, root: Path, manifest: Mapping[str, Any], fmt: str) -> list[str]:
    """Write objects and logs under `root`; returns warnings for entries that were skipped."""
    suffix, dump = FORMATS[fmt]
    skipped: list[str] = []
    for kind in snap.kinds():
        if kind == MANIFEST_KIND:
            continue
        by_dir: dict[str, list[Obj]] = defaultdict(list)
        for o in snap.objects(kind):
            ns = namespace_of(o)
            if ns and not _SAFE_SEGMENT.match(ns):
                skipped.append(f"{kind} in namespace {ns!r}: unsafe directory name; not written")
                continue
            by_dir[ns or CLUSTER_DIR].append(export_object(o))
        for dirname, objs in sorted(by_dir.items()):
            listing = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": objs}
            _write(root / dirname / f"{_plural(kind)}{suffix}", dump(listing))
    for kind in sorted(snap.listed_kinds - set(snap.kinds())):
        # Listed but empty: an empty typed list keeps "none" distinct from "unknown" on reload.
        empty = {"apiVersion": _api_version(kind), "kind": f"{kind}List", "metadata": {}, "items": []}
        _write(root / CLUSTER_DIR / f"{_plural(kind)}{suffix}", dump(empty))
    for ns, pod, container, previous in snap.log_keys():
        if not all(_SAFE_SEGMENT.match(s) for s in (ns, pod, container)):
            skipped.append(f"logs of {ns}/{pod}/{container}: unsafe file name; not written")
            continue
        text = snap.logs(ns, pod, container, previous) or ""
        _write(root / "logs" / ns / pod / f"{container}{'.previous' if previous else ''}.log", text)
    doc: dict[str, Any] = {"apiVersion": MANIFEST_API_VERSION, "kind": MANIFEST_KIND, **manifest}
    doc["warnings"] = list(doc.get("warnings") or []) + skipped
    _write(root / MANIFEST, _yaml_dump(doc))
    return skipped


def write_snapshot(
    snap: ClusterSnapshot, dest: Path, manifest: Mapping[str, Any], force: bool = False, fmt: str = "yaml"
) -> list[str]:
    """Write `snap` to `dest` atomically (see module doc); returns warnings for skipped entries."""
    if fmt not in FORMATS:
        raise KubesageError(f"unknown snapshot format {fmt!r} (use yaml or json)")
    check_destination(dest, force)
    for leftover in (f".{dest.name}.*.tmp", f".{dest.name}.*.old"):  # from a save that crashed
        remove_stale(dest.parent, leftover)
    with temp_dir(dest.parent, prefix=f".{dest.name}.", suffix=".tmp") as tmp:
        skipped = _write_tree(snap, tmp, manifest, fmt)
        replace_dir(tmp, dest)
    return skipped
