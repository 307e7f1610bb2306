"""What every analyzer receives (AnalysisContext) and the helpers they share.

An analyzer is a pure function `(ctx) -> list[Result]` over `ctx.snapshot`. It never
talks to a cluster: lookups that k8sgpt does with per-object GETs and event LISTs are
index lookups here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubesage.cluster.selectors import Matcher, parse_selector
from kubesage.cluster.snapshot import ClusterSnapshot, Obj, labels_of, meta, name_of, namespace_of

# Owner kinds util.GetParent recognises, and how the parent string names them.
_PARENT_KINDS = {
    "ReplicaSet": "ReplicaSet",
    "Deployment": "Deployment",
    "StatefulSet": "StatefulSet",
    "DaemonSet": "DaemonSet",
    "Ingress": "Ingress",
    "MutatingWebhookConfiguration": "MutatingWebhook",
    "ValidatingWebhookConfiguration": "ValidatingWebhook",
}
_CLUSTER_SCOPED_PARENTS = frozenset({"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"})
PARENT_KINDS: tuple[str, ...] = tuple(_PARENT_KINDS)
"""Kinds `parent_of` looks up: an analyzer that names parents must read them (see registry.analyzer)."""


@dataclass
class AnalysisOptions:
    """Knobs from config that change analyzer behaviour (see docs/compat.md)."""

    # Node condition types whose healthy status is "True" (beyond Ready), e.g. EKS's
    # ContainerRuntimeReady; and types whose healthy status is "False" (pressure-style).
    node_positive_conditions: list[str] = field(default_factory=list)
    node_negative_conditions: list[str] = field(default_factory=list)
    node_ignored_conditions: list[str] = field(default_factory=list)


@dataclass
class AnalysisContext:
    snapshot: ClusterSnapshot
    namespace: str = ""
    selector: str = ""
    options: AnalysisOptions = field(default_factory=AnalysisOptions)
    _matcher: Matcher | None = field(default=None, init=False, repr=False)
    _skip: frozenset[int] = field(default=frozenset(), init=False, repr=False)
    _loops: list[_Cursor] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._matcher = parse_selector(self.selector) if self.selector.strip() else None

    # -- containing one broken object ----------------------------------------------------

    def isolating(self, skip: Iterable[Mapping[str, Any]] = ()) -> AnalysisContext:
        """A copy that hides `skip` and remembers which object each `objects()` loop is on.

        Used only to re-run an analyzer that raised, so that the object it raised on can be
        named and left out (see `current_object`); ordinary runs pay nothing for it.
        """
        probe = AnalysisContext(self.snapshot, self.namespace, self.selector, self.options)
        probe._skip = frozenset(id(o) for o in skip)
        probe._loops = []
        return probe

    def current_object(self) -> Obj | None:
        """The object the innermost running `objects()` loop was on (isolating contexts only)."""
        if not self._loops:
            return None
        return self._loops[-1].item

    # -- scoping -----------------------------------------------------------------------

    def objects(self, kind: str, namespaced: bool = True, selected: bool = True) -> list[Obj]:
        """Objects of `kind` that this run analyses.

        `namespaced=False` ignores `--namespace` (cluster-scoped kinds, or analyzers that
        read across namespaces); `selected=False` ignores `--selector`.
        """
        objs = self.snapshot.objects(kind, self.namespace if namespaced else None)
        if selected and self._matcher is not None:
            m = self._matcher
            objs = [o for o in objs if m(labels_of(o))]
        if self._loops is None:
            return objs
        skip = self._skip
        return _Tracked((o for o in objs if id(o) not in skip), self._loops)

    def matches_selector(self, obj: Mapping[str, Any]) -> bool:
        return self._matcher is None or self._matcher(labels_of(obj))

    # -- shared lookups ------------------------------------------------------------------

    def is_missing(self, kind: str, namespace: str, name: str) -> bool:
        """True only when `kind` was listed and the object is not in the snapshot.

        A kind the source could not list (e.g. Secrets behind a 403) proves nothing, so
        references to it are never reported as missing: no false positives.
        """
        return self.snapshot.has_kind(kind) and self.snapshot.get(kind, namespace, name) is None

    def parent(self, obj: Mapping[str, Any]) -> str:
        """k8sgpt's util.GetParent: `<Kind>/<name>` of the top-most recognised owner, or ""."""
        return parent_of(self.snapshot, obj)

    def latest_event(self, obj: Mapping[str, Any], kind: str | None = None) -> Obj | None:
        """Latest event of exactly this object (kind + namespace + name, or uid)."""
        m = meta(obj)
        return self.snapshot.latest_event(
            kind or str(obj.get("kind") or ""), namespace_of(obj), name_of(obj), str(m.get("uid") or "") or None
        )

    def events(self, obj: Mapping[str, Any], kind: str | None = None) -> list[Obj]:
        m = meta(obj)
        return self.snapshot.events_for(
            kind or str(obj.get("kind") or ""), namespace_of(obj), name_of(obj), str(m.get("uid") or "") or None
        )


class _Tracked(list[Obj]):
    """A list whose iteration records the current item (see AnalysisContext.isolating)."""

    def __init__(self, items: Iterable[Obj], loops: list[_Cursor]) -> None:
        super().__init__(items)
        self._loops_ref = loops

    def __iter__(self) -> Iterator[Obj]:
        cursor = _Cursor(super().__iter__(), self._loops_ref)
        self._loops_ref.append(cursor)
        return cursor


class _Cursor:
    """One running loop: when an outer loop advances, the loops opened inside it are over."""

    __slots__ = ("_it", "_loops", "item")

    def __init__(self, it: Iterator[Obj], loops: list[_Cursor]) -> None:
        self._it, self._loops = it, loops
        self.item: Obj | None = None

    def __iter__(self) -> _Cursor:
        return self

    def __next__(self) -> Obj:
        loops = self._loops
        if self in loops:
            while loops[-1] is not self:
                loops.pop()
        try:
            self.item = next(self._it)
        except StopIteration:
            if loops and loops[-1] is self:
                loops.pop()
            raise
        return self.item


def parent_of(snapshot: ClusterSnapshot, obj: Mapping[str, Any], _depth: int = 0) -> str:
    for ref in meta(obj).get("ownerReferences") or ():
        kind = ref.get("kind")
        if kind not in _PARENT_KINDS:
            continue
        ns = "" if kind in _CLUSTER_SCOPED_PARENTS else namespace_of(obj)
        owner = snapshot.get(kind, ns, str(ref.get("name") or ""))
        if owner is None:
            return ""
        if meta(owner).get("ownerReferences") and _depth < 16:
            return parent_of(snapshot, owner, _depth + 1)
        return f"{_PARENT_KINDS[kind]}/{name_of(owner)}"
    return ""


def ns_name(obj: Mapping[str, Any]) -> str:
    """k8sgpt result name: `<namespace>/<name>`, or `<name>` for cluster-scoped objects."""
    ns = namespace_of(obj)
    return f"{ns}/{name_of(obj)}" if ns else name_of(obj)


def go_slice(items: Iterable[str]) -> str:
    """Go's `%v` of a []string: `[a b c]`."""
    return "[" + " ".join(items) + "]"


def go_quote(value: str) -> str:
    """Go's `%q` of a string (printable ASCII/UTF-8 kept, the rest escaped)."""
    out = ['"']
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def as_int(value: Any, default: int = 0) -> int:
    """An int from status/spec fields that may be missing, null or (in YAML) strings."""
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def conditions(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    status = obj.get("status")
    conds = status.get("conditions") if isinstance(status, Mapping) else None
    return [c for c in conds if isinstance(c, Mapping)] if isinstance(conds, list) else []


def pod_spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """The pod spec of a Pod or of any controller's pod template (CronJob included)."""
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return spec
    if obj.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return ((spec.get("template") or {}).get("spec")) or {}


def all_containers(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Init, regular and ephemeral containers of a pod spec."""
    out: list[Mapping[str, Any]] = []
    for key in ("initContainers", "containers", "ephemeralContainers"):
        out.extend(c for c in spec.get(key) or () if isinstance(c, Mapping))
    return out
