"""Diffs, patches and the equivalent kubectl commands of a proposal (for GitOps users)."""

from __future__ import annotations

import copy
import difflib
import json
import shlex
from typing import Any

from kubesage.remediate import fields
from kubesage.remediate.actions.base import get_action
from kubesage.remediate.model import Proposal

_VOLATILE = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp")


def _yaml(obj: Any) -> str:
    import yaml

    return str(yaml.safe_dump(obj, sort_keys=True, default_flow_style=False, allow_unicode=True))


def comparable(obj: dict[str, Any] | None) -> dict[str, Any]:
    """An object without status and server bookkeeping, for diffs."""
    if not obj:
        return {}
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.get("metadata") or {}
    for key in _VOLATILE:
        meta.pop(key, None)
    return out


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None, name: str = "object") -> str:
    a = _yaml(comparable(before)).splitlines(keepends=True) if before else []
    b = _yaml(comparable(after)).splitlines(keepends=True) if after else []
    return "".join(difflib.unified_diff(a, b, f"{name} (live)", f"{name} (after)", n=2))


def planned(obj: dict[str, Any], p: Proposal) -> dict[str, Any] | None:
    """The object as the proposal would leave it (None for deletes)."""
    action = get_action(p.action)
    if action is not None and action.strategy == "delete":
        return None
    out = copy.deepcopy(obj)
    for c in p.changes:
        fields.put(out, c.path, c.new)
    return out


def head(p: Proposal, resource_version: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": p.target.name, "namespace": p.target.namespace}
    if resource_version:
        meta["resourceVersion"] = resource_version
    return {"apiVersion": p.target.api_version, "kind": p.target.kind, "metadata": meta}


def apply_body(p: Proposal, resource_version: str) -> dict[str, Any]:
    return fields.apply_body(head(p, resource_version), [(c.path, c.new) for c in p.changes])


def scale_body(p: Proposal, resource_version: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": p.target.name, "namespace": p.target.namespace}
    if resource_version:
        meta["resourceVersion"] = resource_version
    return {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": meta, "spec": {"replicas": p.changes[0].new}}


def patch_text(obj: dict[str, Any], p: Proposal) -> str:
    """The request body kubesage would send, as text."""
    action = get_action(p.action)
    if action is None:
        return ""
    rv = p.resource_version
    if action.strategy == "apply":
        return _yaml(apply_body(p, rv))
    if action.strategy == "scale":
        return _yaml(scale_body(p, rv))
    if action.strategy == "json-patch":
        return json.dumps(fields.json_patch(obj, [(c.path, c.old, c.new) for c in p.changes], rv), indent=2)
    return f"DELETE {p.target.path()} (preconditions: uid {p.uid}, resourceVersion {rv})"


def kubectl(obj: dict[str, Any], p: Proposal) -> str:
    """The kubectl command that makes the same change, with the same guards where kubectl has them."""
    action = get_action(p.action)
    if action is None:
        return ""
    ns, kind, name = p.target.namespace, p.target.kind.lower(), p.target.name
    rv = p.resource_version
    if action.strategy == "apply":
        return (
            "kubectl apply --server-side --field-manager=kubesage --force-conflicts -f - <<'EOF'\n"
            + _yaml(apply_body(p, rv))
            + "EOF"
        )
    if action.strategy == "scale":
        guard = f" --resource-version={rv}" if rv else ""
        return f"kubectl -n {shlex.quote(ns)} scale {kind}/{shlex.quote(name)} --replicas={p.changes[0].new}{guard}"
    if action.strategy == "json-patch":
        ops = fields.json_patch(obj, [(c.path, c.old, c.new) for c in p.changes], rv)
        patch = shlex.quote(json.dumps(ops))
        return f"kubectl -n {shlex.quote(ns)} patch {kind} {shlex.quote(name)} --type=json -p {patch}"
    return f"kubectl -n {shlex.quote(ns)} delete {kind} {shlex.quote(name)} --wait=false"
