"""Whole-cluster before/after comparison: which objects a remediation run changed."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from kubesage.cluster.kinds import KINDS
from kubesage.cluster.live import LiveCluster
from kubesage.remediate import fields

# Written by controllers, kubelets (kwok) and kubesage's own records: never "healthy objects".
BOOKKEEPING = ("Event", "Node", "Endpoints", "EndpointSlice", "Lease")
_VOLATILE_META = ("resourceVersion", "managedFields", "generation")
_CONTROLLER_ANNOTATIONS = ("deployment.kubernetes.io/revision",)


def dump(api_client: Any) -> dict[str, dict[str, Any]]:
    """Every object of every kind kubesage knows, keyed kind/namespace/name, without status."""
    live = LiveCluster(api_client, str(api_client.configuration.host))
    snap = live.snapshot([k for k in KINDS if k not in BOOKKEEPING], progress=False, max_concurrency=4)
    out: dict[str, dict[str, Any]] = {}
    for kind in snap.kinds():
        for obj in snap.objects(kind):
            meta = obj.get("metadata") or {}
            key = f"{kind}/{meta.get('namespace') or ''}/{meta.get('name')}"
            out[key] = _clean(obj)
    return out


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.get("metadata") or {}
    for key in _VOLATILE_META:
        meta.pop(key, None)
    ann = meta.get("annotations") or {}
    for key in _CONTROLLER_ANNOTATIONS:
        ann.pop(key, None)
    return out


def changed(
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
    targets: Iterable[tuple[str, Iterable[str]]] = (),
    owned_by_targets: Iterable[str] = (),
) -> list[str]:
    """Keys of objects that differ, apart from each target's declared fields and the
    objects its controller owns (`owned_by_targets`: owner uids, e.g. a rolled-back
    Deployment's ReplicaSets and pods)."""
    excluded = dict((k, list(paths)) for k, paths in targets)
    owners = set(owned_by_targets)
    # Namespaces being deleted (earlier tests clean up asynchronously) empty out on their own.
    going = {
        k.split("/")[2] for d in (before, after) for k, o in d.items() if k.startswith("Namespace/") and _deleting(o)
    }
    out = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if key.split("/")[1] in going or (key.startswith("Namespace/") and key.split("/")[2] in going):
            continue
        if _owned(a, owners) or _owned(b, owners):
            continue
        if key in excluded and a is not None and b is not None:
            a, b = copy.deepcopy(a), copy.deepcopy(b)
            for path in excluded[key]:
                fields.put(a, path, fields.MISSING)
                fields.put(b, path, fields.MISSING)
        if key.startswith("Pod/") and key in excluded and b is None:
            continue  # a deleted target pod
        if a != b:
            out.append(key)
    return out


def _owned(obj: dict[str, Any] | None, owners: set[str]) -> bool:
    if obj is None or not owners:
        return False
    refs = (obj.get("metadata") or {}).get("ownerReferences") or ()
    return any(r.get("uid") in owners for r in refs)


def _deleting(obj: dict[str, Any]) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))
