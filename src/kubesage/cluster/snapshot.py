"""ClusterSnapshot: every object of one point in time, indexed in memory.

Objects are kept as the plain dicts the API (or `kubectl get -o yaml`) returns. Analyzers
are pure functions over this model; nothing here talks to a cluster.

Indexes:
- kind -> namespace/name -> object (`get`, `list`);
- kind + namespace -> label (key, value) -> objects (`select`), built on first use;
- events by involvedObject (kind, namespace, name) and by uid (`events_for`);
- uid -> object and owner uid -> children (`owner`, `children`), for parentObject.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from kubesage.cluster.selectors import label_selector_matcher

Obj = dict[str, Any]

# Kinds whose `events.k8s.io` and core forms are the same thing.
_EVENT_KINDS = frozenset({"Event"})


def meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    m = obj.get("metadata")
    if type(m) is dict:  # the common case, without the slower ABC check
        return m
    return m if isinstance(m, Mapping) else {}


def name_of(obj: Mapping[str, Any]) -> str:
    name = meta(obj).get("name")
    return name if type(name) is str else str(name or "")


def namespace_of(obj: Mapping[str, Any]) -> str:
    ns = meta(obj).get("namespace")
    return ns if type(ns) is str else str(ns or "")


def labels_of(obj: Mapping[str, Any]) -> Mapping[str, str]:
    labels = meta(obj).get("labels")
    if type(labels) is dict:
        return labels
    return labels if isinstance(labels, Mapping) else {}


def annotations_of(obj: Mapping[str, Any]) -> Mapping[str, str]:
    ann = meta(obj).get("annotations")
    if type(ann) is dict:
        return ann
    return ann if isinstance(ann, Mapping) else {}


def _parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def event_time(event: Mapping[str, Any]) -> datetime | None:
    """The time k8sgpt sorts events by (lastTimestamp), with the events.k8s.io fallbacks."""
    series = event.get("series")
    series_time = series.get("lastObservedTime") if isinstance(series, Mapping) else None
    for key in ("lastTimestamp", "deprecatedLastTimestamp"):
        t = _parse_time(event.get(key))
        if t:
            return t
    return _parse_time(series_time) or _parse_time(event.get("eventTime"))


def involved_object(event: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = event.get("involvedObject") or event.get("regarding")
    return ref if isinstance(ref, Mapping) else {}


# Fields every analyzer may read with `.get`, and the JSON type the API always gives them:
# (under metadata?, keys, type, what the message says it should be). Checked in this order,
# so metadata is known to be an object (or absent) before its own fields are read.
_SHAPE: tuple[tuple[bool, tuple[str, ...], type | tuple[type, ...], str], ...] = (
    (False, ("metadata", "spec", "status"), Mapping, "an object"),
    (False, ("kind",), str, "a string"),
    (True, ("name", "namespace", "uid"), str, "a string"),
    (True, ("labels", "annotations"), Mapping, "an object"),
    (True, ("ownerReferences",), list, "a list"),
)


def malformed(obj: Mapping[str, Any]) -> str | None:
    """Why `obj` cannot be a Kubernetes object (e.g. `status: 7`), or None when its shape is sound.

    Only the top-level shape the API guarantees for every kind is checked; deeper breakage
    is contained per object by the analyzer runner.
    """
    for in_meta, keys, want, noun in _SHAPE:
        where = (obj.get("metadata") or {}) if in_meta else obj
        for key in keys:
            value = where.get(key)
            if value is not None and not isinstance(value, want):
                return f"{'metadata.' if in_meta else ''}{key} is {_json_type(value)}, not {noun}"
    return None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


# events.k8s.io/v1 field -> the core/v1 field that means the same (analyzers read core/v1).
_EVENTS_V1_FIELDS = (
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("deprecatedCount", "count"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedSource", "source"),
    ("reportingController", "reportingComponent"),
)


def normalize_event(event: Obj) -> Obj:
    """Give an `events.k8s.io/v1` Event its core/v1 field names too, in place (originals kept).

    For any Event, a series (repeated event) gives the count and the last time when the
    plain fields are empty, as the core API leaves them for events written through v1.
    """
    if "regarding" in event or "note" in event or str(event.get("apiVersion", "")).startswith("events.k8s.io/"):
        for new, old in _EVENTS_V1_FIELDS:
            value = event.get(new)
            if value not in (None, "", {}) and event.get(old) in (None, "", {}, 0):
                event[old] = value
    series = event.get("series")
    if isinstance(series, Mapping):
        if not event.get("count") and series.get("count"):
            event["count"] = series["count"]
        if not event.get("lastTimestamp") and series.get("lastObservedTime"):
            event["lastTimestamp"] = series["lastObservedTime"]
    if not event.get("lastTimestamp") and event.get("eventTime"):
        event["lastTimestamp"] = event["eventTime"]
    if not event.get("firstTimestamp") and event.get("eventTime"):
        event["firstTimestamp"] = event["eventTime"]
    return event


SECRET_KEYS_FIELD = "kubesageDataKeys"
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def redact_secret(obj: Obj) -> Obj:
    """Drop a Secret's values in place, keeping only its key names.

    Values never reach an analyzer, an LLM, the output or disk. The key names are kept
    under `kubesageDataKeys` so "secret X has no key Y" can still be diagnosed. The
    last-applied annotation is dropped too: it carries the whole manifest, data included.
    """
    keys: set[str] = set()
    for field_name in ("data", "stringData"):
        values = obj.pop(field_name, None)
        if isinstance(values, Mapping):
            keys.update(str(k) for k in values)
    if keys or SECRET_KEYS_FIELD not in obj:
        obj[SECRET_KEYS_FIELD] = sorted(keys | set(obj.get(SECRET_KEYS_FIELD) or ()))
    ann = meta(obj).get("annotations")
    if isinstance(ann, dict):
        ann.pop(_LAST_APPLIED, None)
    return obj


def secret_keys(obj: Mapping[str, Any]) -> list[str]:
    """Key names of a (redacted) Secret."""
    return list(obj.get(SECRET_KEYS_FIELD) or ())


class ClusterSnapshot:
    """An indexed, in-memory view of a cluster."""

    def __init__(self) -> None:
        self._by_kind: dict[str, dict[tuple[str, str], Obj]] = defaultdict(dict)
        self._by_uid: dict[str, Obj] = {}
        self._children: dict[str, list[Obj]] = defaultdict(list)
        self._events_by_ref: dict[tuple[str, str, str], list[Obj]] = defaultdict(list)
        self._events_by_uid: dict[str, list[Obj]] = defaultdict(list)
        # Lazy per-kind caches, dropped only for the kind being added.
        self._label_index: dict[str, dict[str, dict[tuple[str, str], list[Obj]]]] = {}
        self._ns_lists: dict[str, dict[str, list[Obj]]] = {}
        self._logs: dict[tuple[str, str, str, bool], str] = {}
        self.listed_kinds: set[str] = set()
        """Kinds the source listed (even when empty): an absent kind means "unknown", not "none"."""
        self.warnings: list[str] = []
        self.sources: list[str] = []
        self.malformed = 0
        """Objects the source skipped because their shape was broken (see `malformed`)."""

    # -- filling ---------------------------------------------------------------------------

    def add(self, obj: Obj, kind: str | None = None) -> None:
        """Add one object; `kind` overrides/supplies `obj["kind"]` (list items often lack it)."""
        # Hot path (once per object): plain dict access, no helper calls for the common case.
        if kind:
            obj["kind"] = kind
            k: Any = kind
        else:
            k = obj.get("kind")
            if not k or not isinstance(k, str):
                return
        if k == "Secret":
            redact_secret(obj)
        m = obj.get("metadata")
        if type(m) is not dict:
            m = meta(obj)
        ns, name = m.get("namespace"), m.get("name")
        key = (ns if type(ns) is str else str(ns or ""), name if type(name) is str else str(name or ""))
        self._by_kind[k][key] = obj
        self.listed_kinds.add(k)
        if k in self._ns_lists:
            del self._ns_lists[k]
        if k in self._label_index:
            del self._label_index[k]
        uid = m.get("uid")
        if uid:
            self._by_uid[str(uid)] = obj
        refs = m.get("ownerReferences")
        if refs:
            for ref in refs:
                if isinstance(ref, Mapping) and ref.get("uid"):
                    self._children[str(ref["uid"])].append(obj)
        if k in _EVENT_KINDS:
            normalize_event(obj)
            ref = involved_object(obj)
            ref_ns = str(ref.get("namespace") or "")
            self._events_by_ref[(str(ref.get("kind") or ""), ref_ns, str(ref.get("name") or ""))].append(obj)
            if ref.get("uid"):
                self._events_by_uid[str(ref["uid"])].append(obj)

    def add_all(self, objs: Iterable[Obj], kind: str | None = None) -> None:
        for o in objs:
            self.add(o, kind)

    def mark_listed(self, kind: str) -> None:
        """Record that `kind` was listed, even if the list was empty."""
        self.listed_kinds.add(kind)

    def add_log(self, namespace: str, pod: str, container: str, text: str, previous: bool = False) -> None:
        self._logs[(namespace, pod, container, previous)] = text

    # -- reading ---------------------------------------------------------------------------

    def kinds(self) -> list[str]:
        return sorted(self._by_kind)

    def has_kind(self, kind: str) -> bool:
        return kind in self.listed_kinds

    def count(self) -> int:
        return sum(len(v) for v in self._by_kind.values())

    def objects(self, kind: str, namespace: str | None = None) -> list[Obj]:
        """Objects of `kind`, optionally in one namespace ("" or None = all namespaces)."""
        objs = self._by_kind.get(kind)
        if not objs:
            return []
        if not namespace:
            return list(objs.values())
        per_ns = self._ns_lists.get(kind)
        if per_ns is None:
            per_ns = {}
            for (ns, _), o in objs.items():
                bucket = per_ns.get(ns)
                if bucket is None:
                    per_ns[ns] = [o]
                else:
                    bucket.append(o)
            self._ns_lists[kind] = per_ns
        return per_ns.get(namespace, [])

    def namespaces(self) -> list[str]:
        found = {ns for objs in self._by_kind.values() for (ns, _) in objs if ns}
        found.update(name_of(o) for o in self.objects("Namespace"))
        return sorted(found)

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        objs = self._by_kind.get(kind)
        if not objs:
            return None
        return objs.get((namespace or "", name))

    def by_uid(self, uid: str) -> Obj | None:
        return self._by_uid.get(uid)

    def children(self, obj: Mapping[str, Any], kind: str | None = None) -> list[Obj]:
        """Objects whose ownerReferences point at `obj` (by uid)."""
        uid = meta(obj).get("uid")
        kids = self._children.get(str(uid), []) if uid else []
        return [c for c in kids if kind is None or c.get("kind") == kind]

    def owner(self, obj: Mapping[str, Any], ref: Mapping[str, Any]) -> Obj | None:
        """Resolve one ownerReference: by uid when known, else by kind + namespace + name."""
        uid = ref.get("uid")
        if uid and str(uid) in self._by_uid:
            return self._by_uid[str(uid)]
        kind = str(ref.get("kind") or "")
        found = self.get(kind, namespace_of(obj), str(ref.get("name") or ""))
        return found if found is not None else self.get(kind, "", str(ref.get("name") or ""))

    def select(self, kind: str, namespace: str, match_labels: Mapping[str, str]) -> list[Obj]:
        """Objects of `kind` in `namespace` ("" = all) whose labels include every pair."""
        if not match_labels:
            return self.objects(kind, namespace)
        per_ns = self._label_index.setdefault(kind, {})
        idx = per_ns.get(namespace)
        if idx is None:
            idx = defaultdict(list)
            for o in self.objects(kind, namespace):
                for pair in labels_of(o).items():
                    idx[pair].append(o)
            per_ns[namespace] = idx
        pairs = list(match_labels.items())
        candidates = min((idx.get(p, []) for p in pairs), key=len)
        if len(pairs) == 1:
            return list(candidates)
        return [o for o in candidates if all(labels_of(o).get(k) == v for k, v in pairs)]

    def select_by_selector(self, kind: str, namespace: str, selector: Mapping[str, Any] | None) -> list[Obj]:
        """Objects matching a `metav1.LabelSelector` (nil selector matches nothing)."""
        matcher = label_selector_matcher(selector)
        if matcher is None or selector is None:
            return []
        candidates = self.select(kind, namespace, selector.get("matchLabels") or {})
        if not selector.get("matchExpressions"):
            return candidates
        return [o for o in candidates if matcher(labels_of(o))]

    def events_for(self, kind: str, namespace: str, name: str, uid: str | None = None) -> list[Obj]:
        """Events whose involvedObject is exactly this object (kind + namespace + name, or uid)."""
        found = list(self._events_by_ref.get((kind, namespace or "", name), ()))
        if uid:
            seen = {id(e) for e in found}
            found.extend(e for e in self._events_by_uid.get(uid, ()) if id(e) not in seen)
        return found

    def latest_event(self, kind: str, namespace: str, name: str, uid: str | None = None) -> Obj | None:
        """The event with the greatest lastTimestamp (first wins on ties), like k8sgpt."""
        best: Obj | None = None
        best_t: datetime | None = None
        for e in self.events_for(kind, namespace, name, uid):
            t = event_time(e)
            if best is None or (t is not None and (best_t is None or t > best_t)):
                best, best_t = e, t
        return best

    def logs(self, namespace: str, pod: str, container: str, previous: bool = False) -> str | None:
        return self._logs.get((namespace, pod, container, previous))

    def has_logs(self) -> bool:
        return bool(self._logs)

    def log_keys(self) -> list[tuple[str, str, str, bool]]:
        return sorted(self._logs)
