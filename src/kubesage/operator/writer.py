"""The Result writer: an in-memory index of one KubeSage's Results, and throttled writes.

Results are LISTed once (at start, or after a restart: that is how a restart knows what was
already written and notified); afterwards the index is kept by our own writes. A write
happens only when a content hash changes (or details arrive), at most `maxWritesPerSecond`,
and a Result is not updated again within `minUpdateSeconds` (a flapping pod cannot flood
the API server: the latest state is written when the window ends).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import Any

from kubesage.operator import GROUP, RESULT_PLURAL, VERSION
from kubesage.operator.records import LABEL_NAME, result_body, result_spec
from kubesage.operator.throttle import TokenBucket
from kubesage.results import Result

log = logging.getLogger("kubesage.operator")
MERGE = "application/merge-patch+json"
TIMEOUT = (5.0, 30.0)
"""(connect, read) seconds for every write: a hung request must not stall the loop."""


@dataclass
class Stored:
    """What we know of one Result object."""

    name: str
    kind: str
    object_name: str
    content_hash: str
    lifecycle: str
    details: str = ""
    notified: dict[str, str] = field(default_factory=dict)
    """sink name -> content hash it was told about."""
    updated_at: float = 0.0


@dataclass
class WriteStats:
    creates: int = 0
    updates: int = 0
    deletes: int = 0
    status_patches: int = 0
    lists: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return self.creates + self.updates + self.deletes + self.status_patches + self.lists


class ResultWriter:
    def __init__(
        self,
        api_client: Any,
        namespace: str,
        kubesage: str,
        *,
        writes_per_second: float = 5.0,
        min_update_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from kubernetes import client

        self.api = client.CustomObjectsApi(api_client)
        self.namespace = namespace
        self.kubesage = kubesage
        self.clock = clock
        self.bucket = TokenBucket(writes_per_second, max(1.0, writes_per_second * 2), clock)
        self.min_update_seconds = min_update_seconds
        self.index: dict[str, Stored] = {}
        self.stats = WriteStats()
        self.loaded = False

    def configure(self, writes_per_second: float, min_update_seconds: float) -> None:
        if self.bucket.rate != writes_per_second:
            self.bucket = TokenBucket(writes_per_second, max(1.0, writes_per_second * 2), self.clock)
        self.min_update_seconds = min_update_seconds

    # -- reading -------------------------------------------------------------------------------

    def load(self) -> None:
        """One LIST of this KubeSage's Results (by label)."""
        resp: Any = self.api.list_namespaced_custom_object(
            GROUP,
            VERSION,
            self.namespace,
            RESULT_PLURAL,
            label_selector=f"{LABEL_NAME}={self.kubesage}",
            _request_timeout=TIMEOUT,
        )
        self.stats.lists += 1
        self.index = {}
        for item in resp.get("items") or ():
            meta, spec, status = item.get("metadata") or {}, item.get("spec") or {}, item.get("status") or {}
            name = str(meta.get("name") or "")
            if not name:
                continue
            self.index[name] = Stored(
                name=name,
                kind=str(spec.get("kind") or ""),
                object_name=str(spec.get("name") or ""),
                content_hash=str(status.get("contentHash") or ""),
                lifecycle=str(status.get("lifecycle") or ""),
                details=str(spec.get("details") or ""),
                notified={str(k): str(v) for k, v in (status.get("notified") or {}).items()},
            )
        self.loaded = True

    def name_for(self, result: Result, taken: Container[str]) -> str:
        """A stable Result name: the existing one for this object, else k8sgpt's rule (kind suffix on a clash)."""
        from kubesage.operator.records import base_name

        for stored in self.index.values():
            if stored.kind == result.kind and stored.object_name == result.name:
                return stored.name
        name = base_name(result.name)
        clash = name in taken or (name in self.index and self.index[name].kind != result.kind)
        if clash:
            name = base_name(f"{result.name}{result.kind}")
        return name

    # -- writing -------------------------------------------------------------------------------

    def _may_write(self, stored: Stored | None) -> bool:
        if stored is not None and self.clock() - stored.updated_at < self.min_update_seconds:
            self.stats.deferred += 1
            return False
        if not self.bucket.take():
            self.stats.deferred += 1
            return False
        return True

    def upsert(
        self, name: str, result: Result, digest: str, *, owner: dict[str, Any], backend: str, severity: str
    ) -> str:
        """Create or update one Result; returns "created", "updated", "details", "" (unchanged) or "deferred"."""
        stored = self.index.get(name)
        if stored is not None and stored.content_hash == digest:
            if result.details and result.details != stored.details:
                return self._patch_details(stored, result.details)
            if stored.lifecycle == "historical":  # it came back with the same failure
                return self._set_status(stored, "updated", digest)
            return ""
        if not self._may_write(stored if stored is not None and stored.lifecycle != "historical" else None):
            return "deferred"
        if stored is None:
            body = result_body(name, result, owner=owner, backend=backend, sev=severity)
            try:
                self.api.create_namespaced_custom_object(
                    GROUP, VERSION, self.namespace, RESULT_PLURAL, body, _request_timeout=TIMEOUT
                )
            except Exception as err:
                if _status(err) != 409:
                    return self._error("create", name, err)
                # It exists but is not ours to know about (index lost): take it over.
                self._merge(name, {"spec": body["spec"]})
            self.stats.creates += 1
            stored = self.index[name] = Stored(name, result.kind, result.name, "", "created")
            lifecycle = "created"
        else:
            try:
                self._merge(name, {"spec": result_spec(result, backend)})
            except Exception as err:
                return self._error("update", name, err)
            self.stats.updates += 1
            lifecycle = "updated"
        stored.details = result.details
        return self._set_status(stored, lifecycle, digest) or lifecycle

    def _merge(self, name: str, body: dict[str, Any]) -> None:
        """Merge-patch one Result (not its status)."""
        self.api.patch_namespaced_custom_object(
            GROUP, VERSION, self.namespace, RESULT_PLURAL, name, body, _content_type=MERGE, _request_timeout=TIMEOUT
        )

    def _patch_details(self, stored: Stored, details: str) -> str:
        if not self._may_write(None):
            return "deferred"
        try:
            self._merge(stored.name, {"spec": {"details": details}})
        except Exception as err:
            return self._error("update", stored.name, err)
        self.stats.updates += 1
        stored.details = details
        return "details"

    def _set_status(self, stored: Stored, lifecycle: str, digest: str) -> str:
        status = {"lifecycle": lifecycle, "contentHash": digest}
        if not self.patch_status(stored.name, status):
            return "error"
        stored.lifecycle, stored.content_hash, stored.updated_at = lifecycle, digest, self.clock()
        return lifecycle

    def patch_status(self, name: str, status: dict[str, Any]) -> bool:
        try:
            self.api.patch_namespaced_custom_object_status(
                GROUP,
                VERSION,
                self.namespace,
                RESULT_PLURAL,
                name,
                {"status": status},
                _content_type=MERGE,
                _request_timeout=TIMEOUT,
            )
        except Exception as err:
            self._error("status", name, err)
            return False
        self.stats.status_patches += 1
        return True

    def mark_notified(self, name: str, sink: str, digest: str) -> bool:
        stored = self.index.get(name)
        if stored is None:
            return False
        notified = {**stored.notified, sink: digest}
        webhook = ",".join(sorted(s for s, h in notified.items() if h == digest))
        if not self.patch_status(name, {"notified": notified, "webhook": webhook}):
            return False
        stored.notified = notified
        return True

    def resolve(self, name: str, mode: str) -> str:
        """The object is fixed: delete its Result, or mark it `historical`. Returns what was done."""
        stored = self.index.get(name)
        if stored is None:
            return ""
        if mode == "mark":
            if stored.lifecycle == "historical":
                return ""
            if not self._may_write(None):
                return "deferred"
            return "historical" if self._set_status(stored, "historical", stored.content_hash) != "error" else "error"
        if not self._may_write(None):
            return "deferred"
        try:
            self.api.delete_namespaced_custom_object(
                GROUP, VERSION, self.namespace, RESULT_PLURAL, name, _request_timeout=TIMEOUT
            )
        except Exception as err:
            if _status(err) != 404:
                return self._error("delete", name, err)
        self.stats.deletes += 1
        del self.index[name]
        return "deleted"

    def _error(self, op: str, name: str, err: Exception) -> str:
        message = f"{op} Result {self.namespace}/{name}: {_describe(err)}"
        log.warning("%s", message)
        self.stats.errors.append(message)
        return "error"


def _status(err: Exception) -> int:
    return int(getattr(err, "status", 0) or 0)


def _describe(err: Exception) -> str:
    import json

    status = _status(err)
    body = getattr(err, "body", None)
    message = ""
    if body:
        try:
            message = str(json.loads(body).get("message") or "")
        except (ValueError, AttributeError):
            message = ""
    if status:
        return f"{status} {getattr(err, 'reason', '')}: {message}".strip(": ")
    return " ".join(str(err).split()) or type(err).__name__
