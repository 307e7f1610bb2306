"""A small Kubernetes API emulator for tests: threaded http.server on 127.0.0.1, ephemeral port.

Serves `/version`, `/api`, `/apis`, LIST endpoints for every kind of `kubesage.cluster.kinds`
(core and groups, namespaced and cluster-wide paths) with `limit`/`continue` pagination and
`metadata.resourceVersion`, object GETs, and the pod `/log` endpoint (`container`,
`tailLines`, `previous`). A kind can answer 403, an API group can be absent (404), a bearer
token can be required, and every request (path + query) is recorded.

Run as a script to serve generated pods from another process (for benchmarks):
    python tests/cluster/fake_apiserver.py --pods 20000
"""

from __future__ import annotations

import base64
import gzip
import json
import socket
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from kubesage.cluster.kinds import KINDS, KindInfo

Obj = dict[str, Any]

# API groups that are CRDs (not served unless a test adds them).
CRD_GROUPS = frozenset({"gateway.networking.k8s.io", "operators.coreos.com", "olm.operatorframework.io"})


@dataclass(frozen=True)
class Request:
    path: str
    query: dict[str, str]

    @property
    def is_list(self) -> bool:
        segs = self.path.strip("/").split("/")
        discovery = len(segs) <= {"api": 2, "apis": 3}.get(segs[0], 99)  # /version, /api, /api/v1, /apis/g/v
        return not discovery and not self.path.endswith("/log")


@dataclass
class FakeCluster:
    """The state the server serves; tests mutate it before (or between) requests."""

    objects: dict[str, list[Obj]] = field(default_factory=dict)
    logs: dict[tuple[str, str, str, bool], str] = field(default_factory=dict)
    forbidden: set[str] = field(default_factory=set)  # kinds answering 403
    absent_groups: set[str] = field(default_factory=lambda: set(CRD_GROUPS))
    token: str | None = "test-token"
    max_page: int | None = None  # the server may return fewer items than `limit`
    expire_continue_once: bool = False  # answer 410 Gone to the first continue token
    throttle_once: set[str] = field(default_factory=set)  # kinds answering 429 once
    fail: dict[str, list[int]] = field(default_factory=dict)  # kind -> statuses (5xx) answered before the list
    cut_once: set[str] = field(default_factory=set)  # kinds whose first LIST reply is cut mid-body
    forbid_logs: bool = False
    gzip: bool = False  # compress replies when the client accepts gzip
    gzipped_replies: int = 0
    cache_pages: bool = False  # keep encoded pages (benchmarks: measure the client, not the server)
    _pages: dict[tuple[str, str, int, int], bytes] = field(default_factory=dict)
    git_version: str = "v1.31.2"
    resource_version: int = 1000
    requests: list[Request] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, *objs: Obj) -> None:
        for o in objs:
            self.objects.setdefault(str(o["kind"]), []).append(o)

    def record(self, req: Request) -> None:
        with self._lock:
            self.requests.append(req)

    def list_requests(self) -> list[Request]:
        return [r for r in self.requests if r.is_list]


def _status(code: int, reason: str, message: str) -> Obj:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def _encode_token(rv: int, start: int) -> str:
    # Real tokens are base64 with '=' padding and '/' and '+': exercise URL encoding.
    return base64.b64encode(json.dumps({"rv": rv, "start": start, "pad": "?/+"}).encode()).decode()


def _decode_token(token: str) -> tuple[int, int] | None:
    try:
        doc = json.loads(base64.b64decode(token.encode(), validate=True))
        return int(doc["rv"]), int(doc["start"])
    except (ValueError, KeyError, TypeError):
        return None


def _find_kind(group: str, version: str, plural: str) -> KindInfo | None:
    for info in KINDS.values():
        if info.group == group and info.version == version and info.plural == plural:
            return info
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(self, code: int, body: Obj | str | bytes, content_type: str = "application/json") -> None:
        if isinstance(body, bytes):
            data = body
        else:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        gzipped = self.server.cluster.gzip and "gzip" in (self.headers.get("Accept-Encoding") or "")
        if gzipped:
            data = gzip.compress(data, compresslevel=1)
            self.server.cluster.gzipped_replies += 1
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        if code == 429:
            self.send_header("Retry-After", "0")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        cluster = self.server.cluster
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        path = unquote(parts.path)
        cluster.record(Request(path, query))
        if cluster.token is not None and self.headers.get("Authorization") != f"Bearer {cluster.token}":
            self._send(401, _status(401, "Unauthorized", "Unauthorized"))
            return
        if path == "/version":
            self._send(200, {"major": "1", "minor": "31", "gitVersion": cluster.git_version, "platform": "linux/amd64"})
        elif path == "/api":
            self._send(
                200,
                {
                    "kind": "APIVersions",
                    "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
                },
            )
        elif path == "/apis":
            self._send(200, self._groups())
        elif self._resources(path.strip("/").split("/")):
            return
        else:
            self._resource(path.strip("/").split("/"), query)

    def _resources(self, segs: list[str]) -> bool:
        """Discovery of one group version (`/api/v1`, `/apis/<group>/<version>`), as kubectl reads it."""
        if segs[:1] == ["api"] and len(segs) == 2:
            group, version = "", segs[1]
        elif segs[:1] == ["apis"] and len(segs) == 3:
            group, version = segs[1], segs[2]
        else:
            return False
        infos = [i for i in KINDS.values() if i.group == group and i.version == version]
        if not infos or group in self.server.cluster.absent_groups:
            self._send(404, _status(404, "NotFound", "the server could not find the requested resource"))
            return True
        resources: list[Obj] = []
        for i in infos:
            resources.append(
                {
                    "name": i.plural,
                    "singularName": i.kind.lower(),
                    "namespaced": i.namespaced,
                    "kind": i.kind,
                    "verbs": ["get", "list"],
                }
            )
            if i.kind == "Pod":
                resources.append(
                    {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]}
                )
        gv = f"{group}/{version}" if group else version
        self._send(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
        return True

    def _groups(self) -> Obj:
        cluster = self.server.cluster
        groups: dict[str, list[str]] = {}
        for info in KINDS.values():
            if info.group and info.group not in cluster.absent_groups:
                versions = groups.setdefault(info.group, [])
                if info.version not in versions:
                    versions.append(info.version)
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [
                {
                    "name": g,
                    "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in vs],
                    "preferredVersion": {"groupVersion": f"{g}/{vs[0]}", "version": vs[0]},
                }
                for g, vs in groups.items()
            ],
        }

    def _resource(self, segs: list[str], query: dict[str, str]) -> None:
        cluster = self.server.cluster
        if segs[:1] == ["api"] and len(segs) >= 3:
            group, version, rest = "", segs[1], segs[2:]
        elif segs[:1] == ["apis"] and len(segs) >= 4:
            group, version, rest = segs[1], segs[2], segs[3:]
        else:
            self._send(404, _status(404, "NotFound", "the server could not find the requested resource"))
            return
        if group in cluster.absent_groups:
            self._send(404, _status(404, "NotFound", "the server could not find the requested resource"))
            return
        namespace = ""
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        info = _find_kind(group, version, rest[0])
        if info is None or (namespace and not info.namespaced):
            self._send(404, _status(404, "NotFound", "the server could not find the requested resource"))
            return
        if info.kind in cluster.forbidden:
            self._send(403, _status(403, "Forbidden", f'{info.plural} is forbidden: User "test" cannot list'))
            return
        if info.kind in cluster.throttle_once:
            cluster.throttle_once.discard(info.kind)
            self._send(429, _status(429, "TooManyRequests", "slow down"))
            return
        if cluster.fail.get(info.kind):
            code = cluster.fail[info.kind].pop(0)
            self._send(code, _status(code, "InternalError", f"etcdserver: request timed out ({code})"))
            return
        if info.kind in cluster.cut_once and len(rest) == 1:
            cluster.cut_once.discard(info.kind)
            self._cut()
            return
        if len(rest) == 1:
            self._list(info, namespace, query)
        elif len(rest) == 2:
            self._get(info, namespace, rest[1])
        elif len(rest) == 3 and info.kind == "Pod" and rest[2] == "log":
            self._log(namespace, rest[1], query)
        else:
            self._send(404, _status(404, "NotFound", "not found"))

    def _cut(self) -> None:
        """Promise a long JSON body, send part of it, and drop the connection."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b'{"kind":"PodList","items":[{"metadata":{"name":"half')
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _items(self, info: KindInfo, namespace: str) -> list[Obj]:
        objs = self.server.cluster.objects.get(info.kind, [])
        if namespace:
            objs = [o for o in objs if (o.get("metadata") or {}).get("namespace") == namespace]
        return sorted(objs, key=lambda o: ((o["metadata"].get("namespace") or ""), o["metadata"]["name"]))

    def _list(self, info: KindInfo, namespace: str, query: dict[str, str]) -> None:
        cluster = self.server.cluster
        rv, start = cluster.resource_version, 0
        token = query.get("continue")
        if token:
            if cluster.expire_continue_once:
                cluster.expire_continue_once = False
                self._send(410, _status(410, "Expired", "The provided continue parameter is too old"))
                return
            decoded = _decode_token(token)
            if decoded is None:
                self._send(400, _status(400, "BadRequest", "invalid continue token"))
                return
            rv, start = decoded
        limit = int(query.get("limit") or 0)
        if cluster.max_page:
            limit = min(limit or cluster.max_page, cluster.max_page)
        cache_key = (info.kind, namespace, start, limit)
        if cluster.cache_pages and cache_key in cluster._pages:
            self._send(200, cluster._pages[cache_key])
            return
        items = self._items(info, namespace)
        limit = limit or len(items) or 1
        page = items[start : start + limit]
        meta: Obj = {"resourceVersion": str(rv)}
        if start + limit < len(items):
            meta["continue"] = _encode_token(rv, start + limit)
            meta["remainingItemCount"] = len(items) - start - limit
        body = {
            "kind": f"{info.kind}List",
            "apiVersion": info.api_version,
            "metadata": meta,
            # LIST items carry neither kind nor apiVersion.
            "items": [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in page],
        }
        data = json.dumps(body).encode()
        if cluster.cache_pages:
            cluster._pages[cache_key] = data
        self._send(200, data)

    def _get(self, info: KindInfo, namespace: str, name: str) -> None:
        for o in self._items(info, namespace):
            if o["metadata"]["name"] == name:
                self._send(200, o)
                return
        self._send(404, _status(404, "NotFound", f'{info.plural} "{name}" not found'))

    def _log(self, namespace: str, pod: str, query: dict[str, str]) -> None:
        cluster = self.server.cluster
        if cluster.forbid_logs:
            self._send(403, _status(403, "Forbidden", "pods/log is forbidden"))
            return
        key = (namespace, pod, query.get("container", ""), query.get("previous") == "true")
        text = cluster.logs.get(key)
        if text is None:
            self._send(400, _status(400, "BadRequest", f'container "{key[2]}" in pod "{pod}" is waiting to start'))
            return
        tail = int(query.get("tailLines") or 0)
        lines = text.splitlines(keepends=True)
        self._send(200, "".join(lines[-tail:] if tail else lines), "text/plain")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, cluster: FakeCluster) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.cluster = cluster


class FakeApiServer:
    """Start/stop wrapper: `url` is `http://127.0.0.1:<port>`."""

    def __init__(self, cluster: FakeCluster | None = None) -> None:
        self.cluster = cluster or FakeCluster()
        self._server = _Server(self.cluster)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-apiserver", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- object builders ---------------------------------------------------------------------------


def obj(kind: str, name: str, namespace: str = "", **fields: Any) -> Obj:
    info = KINDS[kind]
    m: Obj = {
        "name": name,
        "uid": f"uid-{kind.lower()}-{namespace}-{name}",
        "resourceVersion": "1",
        "creationTimestamp": "2026-01-01T00:00:00Z",
    }
    if namespace:
        m["namespace"] = namespace
    m.update(fields.pop("metadata", {}))
    return {"apiVersion": info.api_version, "kind": kind, "metadata": m, **fields}


def pod(
    name: str,
    namespace: str = "default",
    statuses: Iterable[Obj] = (),
    phase: str = "Running",
    labels: dict[str, str] | None = None,
) -> Obj:
    statuses = list(statuses) or [{"name": "app", "ready": True, "restartCount": 0, "state": {"running": {}}}]
    return obj(
        "Pod",
        name,
        namespace,
        metadata={"labels": labels or {"app": name}},
        spec={"containers": [{"name": s["name"], "image": "registry.example/app:1"} for s in statuses]},
        status={"phase": phase, "containerStatuses": statuses},
    )


def realistic_pod(i: int, namespace: str) -> Obj:
    """A pod of about the size real clusters return (~4 KB of JSON, managedFields included)."""
    name = f"web-{i:06d}-7d9f8b6c5d-x{i % 97:02d}q"
    labels = {"app": f"web-{i % 500}", "pod-template-hash": "7d9f8b6c5d", "team": f"team-{i % 13}"}
    env = [{"name": f"SETTING_{k}", "value": f"value-{k}-{i}"} for k in range(8)]
    container = {
        "name": "app",
        "image": f"registry.example/web:{i % 20}.0.1",
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
        "env": env,
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 10},
        "volumeMounts": [
            {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": "kube-api-access", "readOnly": True}
        ],
    }
    now = "2026-01-01T00:00:00Z"
    return obj(
        "Pod",
        name,
        namespace,
        metadata={
            "labels": labels,
            "generateName": f"web-{i:06d}-7d9f8b6c5d-",
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": f"web-{i:06d}-7d9f8b6c5d",
                    "uid": f"rs-uid-{i}",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
            "managedFields": [
                {
                    "manager": "kube-controller-manager",
                    "operation": "Update",
                    "time": now,
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {
                        "f:metadata": {"f:labels": {k: {} for k in labels}},
                        "f:spec": {"f:containers": {'k:{"name":"app"}': {}}},
                    },
                }
            ],
        },
        spec={
            "containers": [container],
            "nodeName": f"node-{i % 40}",
            "restartPolicy": "Always",
            "serviceAccountName": "default",
            "terminationGracePeriodSeconds": 30,
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                }
            ],
            "volumes": [
                {
                    "name": "kube-api-access",
                    "projected": {"sources": [{"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]},
                }
            ],
        },
        status={
            "phase": "Running",
            "podIP": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
            "hostIP": f"192.168.0.{i % 40}",
            "startTime": now,
            "qosClass": "Burstable",
            "conditions": [
                {"type": t, "status": "True", "lastTransitionTime": now}
                for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
            ],
            "containerStatuses": [
                {
                    "name": "app",
                    "ready": True,
                    "restartCount": 0,
                    "started": True,
                    "image": container["image"],
                    "imageID": f"sha256:{i:064x}",
                    "containerID": f"containerd://{i:064x}",
                    "state": {"running": {"startedAt": now}},
                }
            ],
        },
    )


def kubeconfig_text(server: str, token: str = "test-token") -> str:
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: fake\n  cluster:\n    server: {server}\n"
        "- name: dead\n  cluster:\n    server: http://127.0.0.1:9\n"
        f"users:\n- name: tester\n  user:\n    token: {token}\n"
        "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: tester\n"
        "- name: dead\n  context:\n    cluster: dead\n    user: tester\n"
        "current-context: fake\n"
    )


def write_kubeconfig(path: Path, server: str, token: str = "test-token") -> Path:
    path.write_text(kubeconfig_text(server, token), encoding="utf-8")
    return path


def _main(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pods", type=int, default=20000)
    parser.add_argument("--namespaces", type=int, default=50)
    parser.add_argument("--gzip", action="store_true", help="compress replies (as real API servers do)")
    args = parser.parse_args(argv)
    cluster = FakeCluster(token=None, gzip=args.gzip)
    cluster.cache_pages = True
    for i in range(args.pods):
        cluster.add(realistic_pod(i, f"ns-{i % args.namespaces:03d}"))
    server = FakeApiServer(cluster).start()
    print(server.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    _main(sys.argv[1:])
