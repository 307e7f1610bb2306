"""Apply examples/demo-cluster to a running test cluster, the way the objects came to be.

Objects go in with `kubectl apply --server-side` (field manager `kubesage-demo`), and
their recorded status with `--subresource=status`. The API server assigns new uids, so
objects are applied in waves: an object whose fields name another demo object's uid
(ownerReferences, an Event's involvedObject, an Endpoints targetRef) waits for that object,
and the uid is rewritten to the new one. ResourceQuotas and LimitRanges come last, so
that admission does not judge the demo's pods against them.

The demo nodes carry no `kwok.x-k8s.io/node` label, so kwok never manages them nor the pods
bound to them: the failures set here stay as they are. Controllers would reconcile the
picture (restart pods, recompute statuses), so the demo belongs on a cluster started with
`--no-controllers`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import yaml

Obj = dict[str, Any]
FIELD_MANAGER = "kubesage-demo"
_DROP_META = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink")
_LAST = frozenset({"Event", "ResourceQuota", "LimitRange"})
# Kinds whose object must exist before others are admitted (namespaces, service accounts).
_FIRST = ("Namespace", "ServiceAccount")


class Kubectl(Protocol):
    def kubectl(self, *args: str, input: str | None = None, check: bool = True) -> Any: ...


def load_objects(demo: Path) -> list[Obj]:
    """Every object in the demo's `kind: List` files (logs and README skipped)."""
    out: list[Obj] = []
    for path in sorted(demo.rglob("*.yaml")):
        if "logs" in path.relative_to(demo).parts:
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if not isinstance(doc, dict):
                continue
            items = doc.get("items") if doc.get("kind") == "List" or "items" in doc else [doc]
            out.extend(i for i in items or () if isinstance(i, dict) and i.get("kind"))
    return out


def _key(obj: Obj) -> tuple[str, str, str]:
    m = obj.get("metadata") or {}
    return str(obj.get("kind")), str(m.get("namespace") or ""), str(m.get("name") or "")


def _uid_refs(node: Any, own: str) -> Iterator[str]:
    """Every string in `node` but the object's own uid: uids hide in refs and in labels."""
    if isinstance(node, dict):
        for v in node.values():
            yield from _uid_refs(v, own)
    elif isinstance(node, list):
        for v in node:
            yield from _uid_refs(v, own)
    elif isinstance(node, str) and node != own:
        yield node


def _rewrite(node: Any, uids: dict[str, str]) -> Any:
    """`node` with every string that is an old uid replaced by the new one."""
    if isinstance(node, dict):
        return {k: _rewrite(v, uids) for k, v in node.items()}
    if isinstance(node, list):
        return [_rewrite(v, uids) for v in node]
    if isinstance(node, str):
        return uids.get(node, node)
    return node


_JOB_UID_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid")


def _job_selector_regenerated(body: Obj, own_uid: str) -> Obj:
    """A Job whose selector the API server generated from its uid: let it generate it again."""
    spec = body.get("spec") or {}
    match = ((spec.get("selector") or {}).get("matchLabels")) or {}
    if spec.get("manualSelector") or not own_uid or own_uid not in match.values():
        return body
    template = dict(spec.get("template") or {})
    tmeta = dict(template.get("metadata") or {})
    tmeta["labels"] = {k: v for k, v in (tmeta.get("labels") or {}).items() if k not in _JOB_UID_LABELS}
    template["metadata"] = tmeta
    spec = {k: v for k, v in spec.items() if k != "selector"}
    spec["template"] = template
    return {**body, "spec": spec}


def _spec_part(obj: Obj, uids: dict[str, str]) -> Obj:
    body = {k: v for k, v in obj.items() if k != "status"}
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _DROP_META}
    body["metadata"] = meta
    if obj.get("kind") == "Job":
        body = _job_selector_regenerated(body, str((obj.get("metadata") or {}).get("uid") or ""))
    return _rewrite(body, uids)  # type: ignore[no-any-return]


def _status_part(obj: Obj, uids: dict[str, str], kubelet_port: int = 0) -> Obj | None:
    status = obj.get("status")
    if not status or obj.get("kind") in ("Namespace",):
        return None
    if obj.get("kind") == "Node" and kubelet_port:
        # Point the API server's kubelet calls (pods/log) at kwok; analyzers read neither field.
        status = {
            **status,
            "addresses": [{"type": "ExternalIP", "address": "127.0.0.1"}, *(status.get("addresses") or [])],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": kubelet_port}},
        }
    m = obj.get("metadata") or {}
    meta = {"name": m["name"], **({"namespace": m["namespace"]} if m.get("namespace") else {})}
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": meta, "status": _rewrite(status, uids)}


def waves(objs: list[Obj]) -> list[list[Obj]]:
    """Apply order: namespaces and service accounts, then by uid dependencies, then _LAST kinds."""
    own_uid = {str((o.get("metadata") or {}).get("uid") or ""): o for o in objs}
    own_uid.pop("", None)
    first = [o for o in objs if o.get("kind") in _FIRST]
    last = [o for o in objs if o.get("kind") in _LAST]
    rest = [o for o in objs if o.get("kind") not in _FIRST and o.get("kind") not in _LAST]
    done = {str((o.get("metadata") or {}).get("uid") or "") for o in first}
    out = [first] if first else []
    while rest:
        ready, waiting = [], []
        for o in rest:
            own = str((o.get("metadata") or {}).get("uid") or "")
            deps = {u for u in _uid_refs(o, own) if u in own_uid}
            (ready if deps <= done else waiting).append(o)
        if not ready:  # a cycle: apply the rest and leave the unresolved uids as they are
            ready, waiting = waiting, []
        out.append(ready)
        done.update(str((o.get("metadata") or {}).get("uid") or "") for o in ready)
        rest = waiting
    if last:
        out.append(last)
    return out


def _as_list(items: list[Obj]) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})


def _applied(stdout: str) -> list[Obj]:
    doc = json.loads(stdout) if stdout.strip() else {}
    if doc.get("kind") == "List" or "items" in doc:
        return [i for i in doc.get("items") or () if isinstance(i, dict)]
    return [doc] if doc else []


def logs_config(demo: Path, out: Path) -> str:
    """kwok `Logs` documents serving the demo's container logs (converted to the CRI log format)."""
    found: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for f in sorted((demo / "logs").glob("*/*/*.log")):
        ns, pod = f.parent.parent.name, f.parent.name
        container, previous = f.name.removesuffix(".log"), False
        if container.endswith(".previous"):
            container, previous = container.removesuffix(".previous"), True
        cri = out / ns / pod / f.name
        cri.parent.mkdir(parents=True, exist_ok=True)
        lines = f.read_text(encoding="utf-8").splitlines()
        cri.write_text("".join(f"2026-11-30T14:30:00.000000000Z stdout F {ln}\n" for ln in lines), encoding="utf-8")
        entry = found.setdefault((ns, pod), {}).setdefault(container, {"containers": [container]})
        entry["previousLogsFile" if previous else "logsFile"] = str(cri)
    docs = [
        {
            "apiVersion": "kwok.x-k8s.io/v1alpha1",
            "kind": "Logs",
            "metadata": {"name": pod, "namespace": ns},
            "spec": {"logs": list(containers.values())},
        }
        for (ns, pod), containers in found.items()
    ]
    return "\n---\n".join(json.dumps(d) for d in docs) + "\n" if docs else ""


def apply_demo(cluster: Kubectl, demo: Path, kubelet_port: int = 0) -> int:
    """Apply every demo object and its status; returns how many objects were applied.

    `kubelet_port`: kwok's server port, so `pods/log` on the demo's nodes reaches kwok.
    """
    objs = load_objects(demo)
    uids: dict[str, str] = {}
    by_key = {_key(o): o for o in objs}
    count = 0
    for wave in waves(objs):
        bodies = [_spec_part(o, uids) for o in wave]
        proc = cluster.kubectl(
            "apply",
            "--server-side",
            f"--field-manager={FIELD_MANAGER}",
            "--force-conflicts",
            "-o",
            "json",
            "-f",
            "-",
            input=_as_list(bodies),
        )
        for live in _applied(proc.stdout):
            old = by_key.get(_key(live))
            old_uid = str(((old or {}).get("metadata") or {}).get("uid") or "")
            new_uid = str((live.get("metadata") or {}).get("uid") or "")
            if old_uid and new_uid:
                uids[old_uid] = new_uid
        statuses = [s for o in wave if (s := _status_part(o, uids, kubelet_port)) is not None]
        if statuses:
            cluster.kubectl(
                "apply",
                "--server-side",
                f"--field-manager={FIELD_MANAGER}",
                "--force-conflicts",
                "--subresource=status",
                "--validate=false",  # kubectl's schema check wants `spec` even for a status-only apply
                "-o",
                "name",
                "-f",
                "-",
                input=_as_list(statuses),
            )
        count += len(wave)
    return count
