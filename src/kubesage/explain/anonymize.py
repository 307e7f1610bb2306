"""`--anonymize` that does not leak: every known name is masked in every outgoing text.

The token map is built from the whole snapshot, not only from an analyzer's declared
Sensitive values: object names, namespaces, label values, container names, image
repositories and registries, names referenced from specs (secrets, config maps, claims,
service accounts, nodes, hosts, `{kind, name}` references), node taint keys and values,
environment-variable values, DNS search zones and the parent zones of every known host, and
the results' Sensitive values. IPv4 and IPv6 addresses, image digests and host names under
non-public domains are masked as they are met. Tokens look like `pod-1`, `namespace-2`,
`image-3`; the same snapshot always gives the same tokens. Replacement is one left-to-right
pass, longest term first, on word boundaries, ignoring case (`CNRY-NODE-1` is the node
`cnry-node-1`), so tokens are never re-masked and regex characters in names are harmless.
Answers are de-masked with the same machinery.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from kubesage.cluster.snapshot import ClusterSnapshot, Obj, meta
from kubesage.results import Result

# Word = letters and digits: "_" and "-" separate, so `pod_namespace(uid)` kubelet texts mask too.
_Add = Callable[[Any, str], None]
_WORD = re.compile(r"[A-Za-z0-9]+")
_IPV4 = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w.])")
_H = r"[0-9A-Fa-f]{1,4}"
# Full form (8 groups), or compressed with `::` and at least one group: never a clock time or a MAC.
_IPV6 = re.compile(
    rf"(?<![\w:.])(?:(?:{_H}:){{7}}{_H}|(?:{_H}(?::{_H}){{0,6}})?::(?:{_H}(?::{_H}){{0,6}})?)(?:%[\w.]+)?(?![\w:])"
)
_DIGEST = re.compile(r"\b(?:sha256|sha384|sha512):[0-9a-fA-F]{32,128}\b|(?<![\w-])[0-9a-f]{64}(?![\w-])")
# Host names under common top-level domains; public project domains are kept (they name no one).
_DOMAIN = re.compile(
    r"(?<![\w.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?:com|net|org|io|internal|local|corp|lan|intranet|home|private|cloud|dev|app|co|info|biz|us|eu|uk|de|fr"
    r"|jp|cn|tw|hk|sg|in|au|ca)(?![\w-]|\.[a-z0-9])",
    re.I,
)
_PUBLIC_DOMAINS = (
    "kubernetes.io",
    "k8s.io",
    "x-k8s.io",
    "docker.io",
    "docker.com",
    "gcr.io",
    "ghcr.io",
    "quay.io",
    "github.com",
    "prometheus.io",
    "cluster.local",
    "example.com",
)
# Built-in names every cluster has: they reveal nothing, and masking "default" would mangle prose.
_BUILTIN = frozenset({"default", "kube-system", "kube-public", "kube-node-lease", "kube-root-ca.crt"})
_STOP = frozenset({"true", "false", "yes", "no", "on", "off", "none", "null", "http", "https", "tcp", "udp"})
# Spec keys whose string value names another object, and the token prefix to use.
_REF_KEYS = {
    "claimName": "persistentvolumeclaim",
    "secretName": "secret",
    "serviceName": "service",
    "serviceAccountName": "serviceaccount",
    "serviceAccount": "serviceaccount",
    "nodeName": "node",
    "volumeName": "persistentvolume",
    "storageClassName": "storageclass",
    "priorityClassName": "priorityclass",
    "ingressClassName": "ingressclass",
    "runtimeClassName": "runtimeclass",
    "host": "host",
    "hostname": "host",
    "subdomain": "host",
}
# Keys whose value is `{name: ...}` (or a list of them) naming an object of a known kind.
_NAME_HOLDERS = {
    "configMap": "configmap",
    "configMapRef": "configmap",
    "configMapKeyRef": "configmap",
    "secretRef": "secret",
    "secretKeyRef": "secret",
    "imagePullSecrets": "secret",
    "service": "service",
}
_LABEL_MAPS = frozenset({"labels", "matchLabels", "nodeSelector", "selector"})
_CONTAINER_LISTS = frozenset(
    {
        "containers",
        "initContainers",
        "ephemeralContainers",
        "containerStatuses",
        "initContainerStatuses",
        "ephemeralContainerStatuses",
    }
)
_SKIP_KEYS = frozenset({"managedFields", "annotations", "data", "binaryData", "stringData", "conditions"})
# Tokens made as values are met in text (not from the snapshot).
_MET_PREFIXES = ("ip", "digest", "domain")


def is_public_domain(name: str) -> bool:
    low = name.lower().rstrip(".")
    return any(low == d or low.endswith("." + d) for d in _PUBLIC_DOMAINS)


def _add_zones(host: str, add: _Add) -> None:
    """The parent zones of a host name (`a.shop.corp.example` -> `shop.corp.example`, `corp.example`)."""
    labels = host.strip(".").split(".")
    for i in range(1, len(labels) - 1):
        zone = ".".join(labels[i:])
        if not is_public_domain(zone):
            add(zone, "zone")


def _first_word(term: str) -> str | None:
    m = _WORD.match(term)
    return m.group() if m else None


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def image_terms(image: str) -> Iterator[tuple[str, str]]:
    """(term, prefix) pairs for an image reference: repository, path without registry, registry."""
    ref = image.strip()
    for sep in ("docker-pullable://", "docker://", "containerd://"):
        if ref.startswith(sep):
            ref = ref[len(sep) :]
    repo = ref.split("@", 1)[0]
    last = repo.rsplit("/", 1)[-1]
    if ":" in last:
        repo = repo[: len(repo) - len(last)] + last.split(":", 1)[0]
    if not repo:
        return
    yield repo, "image"
    parts = repo.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        yield parts[0], "registry"
        yield "/".join(parts[1:]), "image"
    if parts[0] in ("docker.io", "index.docker.io") and len(parts) > 2 and parts[1] == "library":
        yield "/".join(parts[2:]), "image"


class Anonymizer:
    """A per-run token map. Thread-safe: mask/demask may run in worker threads."""

    def __init__(self, terms: Mapping[str, Iterable[str]] | None = None) -> None:
        self._to_token: dict[str, str] = {}
        self._to_term: dict[str, str] = {}
        self._term_index: dict[str, list[str]] = {}
        self._token_index: dict[str, list[str]] = {}
        self._met: dict[str, str] = {}
        """Values masked as they were met in text (IPs, digests, domains) -> token."""
        self._met_counts: dict[str, int] = defaultdict(int)
        self.prefixes: frozenset[str] = frozenset(_MET_PREFIXES)
        self._lock = threading.Lock()
        self._build(terms or {})

    # -- building ------------------------------------------------------------------------

    @classmethod
    def from_snapshot(cls, snapshot: ClusterSnapshot | None, results: Iterable[Result] = ()) -> Anonymizer:
        found: dict[str, set[str]] = defaultdict(set)

        def add(term: Any, prefix: str) -> None:
            if isinstance(term, str):
                t = term.strip()
                if len(t) >= 2 and t not in _BUILTIN and t.lower() not in _STOP and not t.isdigit():
                    found[t].add(prefix)

        if snapshot is not None:
            for kind in snapshot.kinds():
                for obj in snapshot.objects(kind):
                    _collect_object(obj, kind, add)
        for term, prefixes in list(found.items()):
            if "host" in prefixes and "." in term:
                _add_zones(term, add)
        for r in results:
            for part in r.name.split("/"):
                add(part, r.kind.lower() if part == r.name.rsplit("/", 1)[-1] else "name")
            if "/" in r.parent_object:
                kind, _, pname = r.parent_object.partition("/")
                add(pname, kind.lower())
            for f in r.error:
                for s in f.sensitive or ():
                    add(s.unmasked, "name")
        return cls(found)

    def _build(self, terms: Mapping[str, Iterable[str]]) -> None:
        chosen: list[tuple[str, str]] = []
        for term, prefixes in terms.items():
            ps = sorted(set(prefixes))
            chosen.append((ps[0] if len(ps) == 1 else "name", term))
        counters: dict[str, int] = defaultdict(int)
        for prefix, term in sorted(chosen):
            while True:
                counters[prefix] += 1
                token = f"{prefix}-{counters[prefix]}"
                if token not in terms:
                    break
            self._to_token[term] = token
            self._to_term[token] = term
        self.prefixes = frozenset(counters) | frozenset(_MET_PREFIXES)
        self._term_index = _index(self._to_token)
        self._token_index = _index(self._to_term)

    # -- using ---------------------------------------------------------------------------

    @property
    def terms(self) -> dict[str, str]:
        """term -> token (a copy)."""
        with self._lock:
            return dict(self._to_token) | dict(self._met)

    def mask(self, text: str) -> str:
        if not text:
            return text
        masked = _replace(text, self._term_index, self._to_token)
        masked = _DIGEST.sub(lambda m: self._met_token(m, "digest"), masked)
        masked = _IPV6.sub(lambda m: self._met_token(m, "ip"), masked)
        masked = _IPV4.sub(lambda m: self._met_token(m, "ip"), masked)
        return _DOMAIN.sub(self._domain_token, masked)

    def demask(self, text: str) -> str:
        if not text:
            return text
        with self._lock:
            mapping = dict(self._to_term)
            if self._met:
                mapping.update({tok: value for value, tok in self._met.items()})
                index = _index(mapping)
            else:
                index = self._token_index
        return _replace(text, index, mapping)

    def _met_token(self, m: re.Match[str], prefix: str) -> str:
        value = m.group()
        if prefix == "ip" and not any(c.isdigit() for c in value):  # `::` alone, `a::b`: no address
            return value
        with self._lock:
            token = self._met.get(value)
            if token is None:
                self._met_counts[prefix] += 1
                token = f"{prefix}-{self._met_counts[prefix]}"
                self._met[value] = token
            return token

    def _domain_token(self, m: re.Match[str]) -> str:
        return m.group() if is_public_domain(m.group()) else self._met_token(m, "domain")


def _index(mapping: Mapping[str, str]) -> dict[str, list[str]]:
    """Terms by their first word, lower-cased (matching ignores case), longest first."""
    idx: dict[str, list[str]] = defaultdict(list)
    for term in mapping:
        first = _first_word(term)
        if first is not None:
            idx[first.lower()].append(term)
    for terms in idx.values():
        terms.sort(key=len, reverse=True)
    return dict(idx)


def replace_terms(text: str, mapping: Mapping[str, str]) -> str:
    """Replace whole-word occurrences of mapping's keys in one pass (keys start with a letter or digit)."""
    return _replace(text, _index(mapping), mapping) if mapping else text


def _replace(text: str, index: Mapping[str, list[str]], mapping: Mapping[str, str]) -> str:
    out: list[str] = []
    pos = 0
    n = len(text)
    for m in _WORD.finditer(text):
        start = m.start()
        if start < pos:
            continue
        cands = index.get(m.group().lower())
        if not cands:
            continue
        for term in cands:
            end = start + len(term)
            if (text.startswith(term, start) or text[start:end].lower() == term.lower()) and (
                end == n or not _is_word_char(text[end])
            ):
                out.append(text[pos:start])
                out.append(mapping[term])
                pos = end
                break
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _collect_object(obj: Obj, kind: str, add: _Add) -> None:
    m = meta(obj)
    add(m.get("name"), "namespace" if kind == "Namespace" else kind.lower())
    add(m.get("namespace"), "namespace")
    add(m.get("generateName"), kind.lower())
    for value in (m.get("labels") or {}).values():
        add(value, "label")
    for ref in m.get("ownerReferences") or ():
        if isinstance(ref, Mapping):
            add(ref.get("name"), str(ref.get("kind") or "name").lower())
    for key, value in obj.items():
        if key not in ("metadata", "kind", "apiVersion") and key not in _SKIP_KEYS:
            if key in _REF_KEYS and type(value) is str:  # Event `source.host` etc. sit one level down
                add(value, _REF_KEYS[key])
            _walk(value, key, add, 0)


_COMMON_VALUES = frozenset({"info", "debug", "warn", "error", "trace", "prod", "dev", "test", "json", "text"})
_HOSTLIKE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")


def _add_env_value(value: Any, add: _Add) -> None:
    """An env value names a database, a URL, a tenant...: mask it whole, and the hosts inside it."""
    if type(value) is not str or not 4 <= len(value) <= 512 or value.lower() in _COMMON_VALUES:
        return
    if not any(c.isalpha() for c in value):  # numbers and versions name no one, and occur in messages
        return
    add(value, "env")
    for m in _HOSTLIKE.finditer(value):
        host = m.group()
        if any(c.isalpha() for c in host) and not is_public_domain(host):
            add(host, "host")


def _walk(node: Any, key: str, add: _Add, depth: int) -> None:
    # Plain dict/list checks: snapshot objects are JSON data, and ABC checks dominate on 100k objects.
    if depth > 24:
        return
    if type(node) is dict:
        if key in _LABEL_MAPS:
            for v in node.values():
                if type(v) is str:
                    add(v, "label")
        if key in _NAME_HOLDERS:
            add(node.get("name"), _NAME_HOLDERS[key])
        kind = node.get("kind")
        if type(kind) is str and type(node.get("name")) is str:
            add(node["name"], kind.lower())
            add(node.get("namespace"), "namespace")
        for k, v in node.items():
            tv = type(v)
            if tv is str:
                if k in _REF_KEYS:
                    add(v, _REF_KEYS[k])
                elif k == "image" or k == "imageID":
                    for term, prefix in image_terms(v):
                        add(term, prefix)
            elif (tv is dict or tv is list) and k not in _SKIP_KEYS:
                if k == "hosts":
                    for h in v:
                        add(h, "host")
                elif not (k == "values" and key == "matchExpressions"):
                    _walk(v, k, add, depth + 1)
    elif type(node) is list:
        for item in node:
            if type(item) is dict:
                if key in _CONTAINER_LISTS:
                    add(item.get("name"), "container")
                elif key in ("volumes", "volumeMounts"):
                    add(item.get("name"), "volume")
                elif key in _NAME_HOLDERS:
                    add(item.get("name"), _NAME_HOLDERS[key])
                elif key == "matchExpressions":
                    for v in item.get("values") or ():
                        add(v, "label")
                elif key == "env":
                    _add_env_value(item.get("value"), add)
                elif key in ("taints", "tolerations"):
                    for field_name in ("key", "value"):
                        v = item.get(field_name)
                        if type(v) is str and not is_public_domain(v.split("/", 1)[0]):
                            add(v, "taint")
                _walk(item, key, add, depth + 1)
            elif type(item) is str and key == "searches" and not is_public_domain(item):  # dnsConfig
                add(item, "zone")
