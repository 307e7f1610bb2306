"""References from a pod spec to ConfigMaps, Secrets and PVCs, and whether they resolve.

Shared by ContainerConfig, Mount and the lint reference checks. A reference is judged
only when the snapshot listed the referenced kind: an unlisted kind means "unknown".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubesage.cluster.snapshot import ClusterSnapshot, secret_keys


@dataclass(frozen=True, slots=True)
class ObjectRef:
    kind: str  # ConfigMap, Secret or PersistentVolumeClaim
    name: str
    key: str | None  # a key inside the object, or None for the whole object
    optional: bool
    container: str  # "" for pod-level references (volumes, imagePullSecrets)
    via: str  # how it is referenced: "env NAME", "envFrom", "volume", "imagePullSecret"
    volume: str = ""


def _container_refs(c: Mapping[str, Any]) -> list[ObjectRef]:
    name = str(c.get("name") or "")
    out: list[ObjectRef] = []
    for env in c.get("env") or ():
        if not isinstance(env, Mapping):
            continue
        source = env.get("valueFrom") or {}
        for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
            ref = source.get(field)
            if isinstance(ref, Mapping) and ref.get("name"):
                key = str(ref.get("key") or "")
                via = f"env {env.get('name') or ''}"
                out.append(ObjectRef(kind, str(ref["name"]), key, bool(ref.get("optional")), name, via))
    for env_from in c.get("envFrom") or ():
        if not isinstance(env_from, Mapping):
            continue
        for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            ref = env_from.get(field)
            if isinstance(ref, Mapping) and ref.get("name"):
                out.append(ObjectRef(kind, str(ref["name"]), None, bool(ref.get("optional")), name, "envFrom"))
    return out


def _items_refs(kind: str, name: str, src: Mapping[str, Any], volume: str) -> list[ObjectRef]:
    optional = bool(src.get("optional"))
    keys = [str(i.get("key")) for i in src.get("items") or () if isinstance(i, Mapping) and i.get("key")]
    if not keys:
        return [ObjectRef(kind, name, None, optional, "", "volume", volume)]
    return [ObjectRef(kind, name, k, optional, "", "volume", volume) for k in keys]


def _volume_refs(v: Mapping[str, Any]) -> list[ObjectRef]:
    vol = str(v.get("name") or "")
    out: list[ObjectRef] = []
    cm, secret, pvc = v.get("configMap"), v.get("secret"), v.get("persistentVolumeClaim")
    if isinstance(cm, Mapping) and cm.get("name"):
        out += _items_refs("ConfigMap", str(cm["name"]), cm, vol)
    if isinstance(secret, Mapping) and secret.get("secretName"):
        out += _items_refs("Secret", str(secret["secretName"]), secret, vol)
    if isinstance(pvc, Mapping) and pvc.get("claimName"):
        out.append(ObjectRef("PersistentVolumeClaim", str(pvc["claimName"]), None, False, "", "volume", vol))
    projected = v.get("projected")
    for source in (projected.get("sources") or ()) if isinstance(projected, Mapping) else ():
        if not isinstance(source, Mapping):
            continue
        for field, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
            ref = source.get(field)
            if isinstance(ref, Mapping) and ref.get("name"):
                out += _items_refs(kind, str(ref["name"]), ref, vol)
    return out


def container_refs(spec: Mapping[str, Any], containers: set[str] | None = None) -> list[ObjectRef]:
    """env/envFrom references of init, regular and ephemeral containers (optionally only `containers`)."""
    out: list[ObjectRef] = []
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(key) or ():
            if isinstance(c, Mapping) and (containers is None or c.get("name") in containers):
                out += _container_refs(c)
    return out


def volume_refs(spec: Mapping[str, Any]) -> list[ObjectRef]:
    out: list[ObjectRef] = []
    for v in spec.get("volumes") or ():
        if isinstance(v, Mapping):
            out += _volume_refs(v)
    return out


def pull_secret_refs(spec: Mapping[str, Any]) -> list[ObjectRef]:
    return [
        ObjectRef("Secret", str(s["name"]), None, False, "", "imagePullSecret")
        for s in spec.get("imagePullSecrets") or ()
        if isinstance(s, Mapping) and s.get("name")
    ]


def all_refs(spec: Mapping[str, Any]) -> list[ObjectRef]:
    return container_refs(spec) + volume_refs(spec) + pull_secret_refs(spec)


def _keys(obj: Mapping[str, Any]) -> set[str]:
    if obj.get("kind") == "Secret":
        return set(secret_keys(obj))
    keys: set[str] = set()
    for field in ("data", "binaryData"):
        values = obj.get(field)
        if isinstance(values, Mapping):
            keys.update(str(k) for k in values)
    return keys


def problem(snapshot: ClusterSnapshot, namespace: str, ref: ObjectRef) -> str | None:
    """ "missing" (no such object), "no-key" (the object lacks the key), or None (fine or unknown).

    Optional references never fail; an env ref with an empty key is left alone.
    """
    if ref.optional or not snapshot.has_kind(ref.kind):
        return None
    obj = snapshot.get(ref.kind, namespace, ref.name)
    if obj is None:
        return "missing"
    if ref.key and ref.kind != "PersistentVolumeClaim" and ref.key not in _keys(obj):
        return "no-key"
    return None
