"""Field paths: `spec.template.spec.containers[name=app].resources.limits.memory`.

A path names one field of an object; `[key=value]` picks the item of a keyed list (the
way server-side apply merges `containers` by `name`). Paths are how actions declare the
fields they may change, how changes are recorded, and how patches are built.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

Segment = str | tuple[str, str]

_ITEM = re.compile(r"^([^\[\]]+)\[([^=\]]+)=([^\]]*)\]$")


class PathError(ValueError):
    """A path that does not resolve in an object the way it must."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""The value of a field that is absent (distinct from an explicit null)."""


def parse(path: str) -> list[Segment]:
    out: list[Segment] = []
    for part in _split(path):
        m = _ITEM.match(part)
        if m:
            out.append(m.group(1))
            out.append((m.group(2), m.group(3)))
        else:
            out.append(part)
    return out


def _split(path: str) -> list[str]:
    """Split on dots outside brackets; `\\.` escapes a dot inside a key (annotation names)."""
    parts: list[str] = []
    buf: list[str] = []
    depth = 0
    i = 0
    while i < len(path):
        ch = path[i]
        if ch == "\\" and i + 1 < len(path):
            buf.append(path[i + 1])
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "." and depth == 0:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    if any(not p for p in parts):
        raise PathError(f"invalid field path {path!r}")
    return parts


def get(obj: Any, path: str) -> Any:
    """The value at `path`, or MISSING."""
    return _get_segs(obj, parse(path))


def _get_segs(obj: Any, segs: list[Segment]) -> Any:
    cur = obj
    for seg in segs:
        if isinstance(seg, tuple):
            if not isinstance(cur, list):
                return MISSING
            key, value = seg
            cur = next((i for i in cur if isinstance(i, Mapping) and str(i.get(key)) == value), MISSING)
        else:
            if not isinstance(cur, Mapping) or seg not in cur:
                return MISSING
            cur = cur[seg]
        if cur is MISSING:
            return MISSING
    return cur


def put(obj: dict[str, Any], path: str, value: Any) -> None:
    """Set (or, for MISSING, remove) the value at `path` in place, creating maps on the way."""
    segs = parse(path)
    cur: Any = obj
    for i, seg in enumerate(segs[:-1]):
        nxt = segs[i + 1]
        if isinstance(seg, tuple):
            key, val = seg
            item = next((x for x in cur if isinstance(x, dict) and str(x.get(key)) == val), None)
            if item is None:
                if value is MISSING:
                    return
                item = {key: val}
                cur.append(item)
            cur = item
            continue
        if seg not in cur or cur[seg] is None:
            if value is MISSING:
                return
            cur[seg] = [] if isinstance(nxt, tuple) else {}
        cur = cur[seg]
    last = segs[-1]
    if isinstance(last, tuple):
        raise PathError("a path must end in a field name")
    if value is MISSING:
        cur.pop(last, None)
    else:
        cur[last] = copy.deepcopy(value)


def pointer(obj: Any, path: str) -> str:
    """The JSON Pointer (RFC 6901) of `path` in `obj`; list items resolved to their index."""
    return _pointer_segs(obj, parse(path))


def _pointer_segs(obj: Any, segs: list[Segment]) -> str:
    path = "".join(f"[{s[0]}={s[1]}]" if isinstance(s, tuple) else f".{s}" for s in segs)
    cur = obj
    out: list[str] = []
    for seg in segs:
        if isinstance(seg, tuple):
            key, value = seg
            if not isinstance(cur, list):
                raise PathError(f"{path}: not a list at {'/'.join(out)}")
            for idx, item in enumerate(cur):
                if isinstance(item, Mapping) and str(item.get(key)) == value:
                    out.append(str(idx))
                    cur = item
                    break
            else:
                raise PathError(f"{path}: no item with {key}={value}")
        else:
            out.append(_esc(seg))
            cur = cur.get(seg) if isinstance(cur, Mapping) else None
    return "/" + "/".join(out)


def covered(path: str, patterns: tuple[str, ...]) -> bool:
    """True if `path` is one of `patterns` or lies under one; `*` in a pattern matches one
    segment or list item (`containers[name=*]`)."""
    segs = parse(path)
    for pattern in patterns:
        pat = parse(pattern)
        if len(pat) > len(segs):
            continue
        if all(_seg_match(p, s) for p, s in zip(pat, segs, strict=False)):
            return True
    return False


def _seg_match(pattern: Segment, seg: Segment) -> bool:
    if isinstance(pattern, tuple) and isinstance(seg, tuple):
        return pattern[0] == seg[0] and pattern[1] in ("*", seg[1])
    if isinstance(pattern, str) and isinstance(seg, str):
        return pattern in ("*", seg)
    return False


def json_patch(obj: Mapping[str, Any], changes: list[tuple[str, Any, Any]], resource_version: str) -> list[Any]:
    """RFC 6902 ops turning each path's `old` into `new`, guarded by `test` ops: the patch
    fails unless the object still has `resource_version` and every `old` value."""
    ops: list[dict[str, Any]] = [{"op": "test", "path": "/metadata/resourceVersion", "value": resource_version}]
    work = copy.deepcopy(dict(obj))
    for path, old, new in changes:
        if old is not MISSING:
            ops.append({"op": "test", "path": pointer(work, path), "value": old})
        if new is MISSING:
            if old is not MISSING:
                ops.append({"op": "remove", "path": pointer(work, path)})
        elif old is MISSING:
            ops.extend(_add_ops(work, path, new))
        else:
            ops.append({"op": "replace", "path": pointer(work, path), "value": new})
        put(work, path, new)
    return ops


def _add_ops(work: dict[str, Any], path: str, value: Any) -> list[dict[str, Any]]:
    """One `add` op for a field whose parent maps may be missing: it adds the whole
    missing branch under the deepest parent that exists."""
    segs = parse(path)
    for cut in range(len(segs) - 1, 0, -1):
        if _get_segs(work, segs[:cut]) is MISSING or isinstance(segs[cut], tuple):
            continue
        nested: Any = copy.deepcopy(value)
        for seg in reversed(segs[cut + 1 :]):
            if isinstance(seg, tuple):
                raise PathError(f"{path}: cannot create a list item")
            nested = {seg: nested}
        return [{"op": "add", "path": _pointer_segs(work, segs[: cut + 1]), "value": nested}]
    first = segs[0]
    assert isinstance(first, str)
    nested = copy.deepcopy(value)
    for seg in reversed(segs[1:]):
        nested = {str(seg): nested}
    return [{"op": "add", "path": "/" + _esc(first), "value": nested}]


def _esc(seg: str) -> str:
    return seg.replace("~", "~0").replace("/", "~1")


def apply_body(head: Mapping[str, Any], changes: list[tuple[str, Any]]) -> dict[str, Any]:
    """A server-side apply configuration holding only `head` (apiVersion, kind, metadata)
    and the changed fields; list items carry just their merge key."""
    body: dict[str, Any] = copy.deepcopy(dict(head))
    for path, value in changes:
        put(body, path, value)
    return body
