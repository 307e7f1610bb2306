"""Watch-fed source: a ClusterSnapshot kept current by one watch per kind.

Each kind (per namespace when the scope is a list of namespaces) is LISTed once with
`live.LiveCluster.list_kind`, then followed by a WATCH from the list's resourceVersion.
Events update an in-memory store; `snapshot()` builds the same `ClusterSnapshot` the CLI
analyses, only when something changed. After the first sync an interval costs no request:
- a watch that ends (server timeout) or drops (connection reset) resumes from the last
  resourceVersion it saw, bookmarks included, with backoff on repeated failures;
- 410 Gone (the resourceVersion is too old) re-LISTs that kind, and only that kind;
- 403 makes the kind "unknown" for the analyzers (one warning) and is retried slowly;
- 404 (API not served) is quiet, as in the live source.
Container logs for the Log analyzer are fetched only for pods whose resourceVersion changed.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubesage.cluster.kinds import KindInfo, resolve_kinds
from kubesage.cluster.live import Listed, LiveCluster, _clean, every_container, failing_containers, fetch_logs
from kubesage.cluster.snapshot import ClusterSnapshot, Obj, meta, name_of, namespace_of

log = logging.getLogger("kubesage.watch")

WATCH_TIMEOUT = 300
"""Server-side watch timeout; each watch uses 1-2x this (client-go's jitter) before resuming."""
BACKOFF_START = 0.5
BACKOFF_MAX = 30.0
FORBIDDEN_RETRY = 300.0
ABSENT_RETRY = 600.0


@dataclass
class Counters:
    """Requests and events, for metrics and the benchmark."""

    lists: int = 0
    """LIST requests (pages)."""
    watches: int = 0
    """WATCH requests opened."""
    log_gets: int = 0
    events: int = 0
    relists: int = 0
    """Re-LISTs after 410 Gone."""
    reconnects: int = 0
    """Watches resumed after a dropped connection or a server error."""


class _Gone(Exception):
    """410: the watch's resourceVersion is no longer available."""


class _Failed(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status


@dataclass
class _Feed:
    """One kind in one namespace ("" = all): a store kept current by LIST + WATCH."""

    info: KindInfo
    namespace: str
    store: dict[tuple[str, str], Obj] = field(default_factory=dict)
    resource_version: str = ""
    state: str = "pending"  # pending, listing, watching, backoff, forbidden, absent, stopped
    listed: bool = False
    warning: str = ""
    synced: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    response: Any = None

    @property
    def label(self) -> str:
        return f"{self.info.plural} in {self.namespace}" if self.namespace else self.info.plural


class WatchSource:
    """Keeps a ClusterSnapshot of `kinds` current; namespaced kinds in `namespaces` (empty = all)."""

    def __init__(
        self,
        cluster: LiveCluster,
        kinds: Iterable[str] = (),
        namespaces: Sequence[str] = (),
        *,
        watch_timeout: int = WATCH_TIMEOUT,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.cluster = cluster
        self.namespaces = [n for n in namespaces if n]
        self.watch_timeout = watch_timeout
        self.on_change = on_change
        self.counters = Counters()
        self.warnings: list[str] = []
        self._feeds: dict[tuple[str, str], _Feed] = {}
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._generation = 0
        self._built: tuple[int, ClusterSnapshot] | None = None
        self._logs: dict[tuple[str, str, str, bool], tuple[str, str | None]] = {}
        """(ns, pod, container, previous) -> (pod resourceVersion, text; None = could not be read)."""
        self.ensure(kinds)

    # -- lifecycle ---------------------------------------------------------------------------

    def ensure(self, kinds: Iterable[str]) -> None:
        """Start watching any of `kinds` not watched yet (unknown kind names become warnings)."""
        infos, warnings = resolve_kinds(kinds)
        with self._lock:
            self.warnings.extend(w for w in warnings if w not in self.warnings)
            for info in infos:
                scopes = self.namespaces if info.namespaced and self.namespaces else [""]
                for ns in scopes:
                    if (info.kind, ns) in self._feeds:
                        continue
                    feed = self._feeds[(info.kind, ns)] = _Feed(info, ns)
                    thread = threading.Thread(
                        target=self._run, args=(feed,), name=f"kubesage-watch-{info.plural}", daemon=True
                    )
                    self._threads.append(thread)
                    thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        for feed in list(self._feeds.values()):
            _abort(feed.response)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def wait_synced(self, timeout: float | None = None, kinds: Iterable[str] | None = None) -> bool:
        """True once every feed (of `kinds`, default all) has listed, or settled as forbidden/absent."""
        deadline = None if timeout is None else time.monotonic() + timeout
        wanted = set(kinds) if kinds is not None else None
        for (kind, _), feed in list(self._feeds.items()):
            if wanted is not None and kind not in wanted:
                continue
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not feed.synced.wait(remaining):
                return False
        return True

    @property
    def synced(self) -> bool:
        return all(f.synced.is_set() for f in self._feeds.values())

    @property
    def generation(self) -> int:
        """Grows with every change (event, re-list); equal generations mean the same snapshot."""
        return self._generation

    def feed_states(self) -> dict[str, int]:
        """How many feeds are watching, listing, in backoff, forbidden, absent."""
        counts: dict[str, int] = {}
        for feed in self._feeds.values():
            counts[feed.state] = counts.get(feed.state, 0) + 1
        return counts

    def object_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for feed in self._feeds.values():
            counts[feed.info.kind] = counts.get(feed.info.kind, 0) + len(feed.store)
        return counts

    # -- reading -----------------------------------------------------------------------------

    def snapshot(self) -> ClusterSnapshot:
        """The current snapshot; rebuilt from the stores only when something changed. Do not mutate it."""
        with self._lock:
            gen = self._generation
            if self._built is not None and self._built[0] == gen:
                return self._built[1]
        snap = ClusterSnapshot()
        snap.sources.append(f"watch {self.cluster.context or self.cluster.host}")
        snap.warnings.extend(self.warnings)
        for feed in list(self._feeds.values()):
            with feed.lock:
                objs = list(feed.store.values())
                listed, warning = feed.listed, feed.warning
            if listed:
                snap.add_all(objs, feed.info.kind)
                snap.mark_listed(feed.info.kind)
            elif warning:
                snap.warnings.append(warning)
        with self._lock:
            # Keep it only if nothing changed while building (else the next call rebuilds).
            if self._generation == gen:
                self._built = (gen, snap)
        return snap

    def fetch_logs(self, snap: ClusterSnapshot, *, all_containers: bool = True, max_concurrency: int = 4) -> int:
        """Put container logs into `snap`: GETs only for pods whose resourceVersion changed.

        A log that could not be read (no previous container, 403) is remembered as absent for
        that pod version too, so it is not asked for again every interval.
        """
        fresh: list[Mapping[str, Any]] = []
        fresh_keys: dict[tuple[str, str, str, bool], str] = {}
        wanted: set[tuple[str, str, str, bool]] = set()
        for pod in snap.objects("Pod"):
            ns, name, rv = namespace_of(pod), name_of(pod), str(meta(pod).get("resourceVersion") or "")
            targets = every_container(pod) if all_containers else failing_containers(pod)
            keys = [(ns, name, c, prev) for c, prev in targets]
            wanted.update(keys)
            if keys and rv and all(k in self._logs and self._logs[k][0] == rv for k in keys):
                for k in keys:
                    text = self._logs[k][1]
                    if text is not None:
                        snap.add_log(*k[:3], text, previous=k[3])
            elif keys:
                fresh.append(pod)
                fresh_keys.update((k, rv) for k in keys)
        fetched = 0
        if fresh:
            fetched = fetch_logs(
                snap, fresh, cluster=self.cluster, max_concurrency=max_concurrency, all_containers=all_containers
            )
            self.counters.log_gets += len(fresh_keys)
            for key, rv in fresh_keys.items():
                self._logs[key] = (rv, snap.logs(*key[:3], previous=key[3]))
        for key in list(self._logs):
            if key not in wanted:
                del self._logs[key]
        return fetched

    # -- the feed loop -----------------------------------------------------------------------

    def _changed(self) -> None:
        with self._lock:
            self._generation += 1
        if self.on_change is not None:
            self.on_change()

    def _run(self, feed: _Feed) -> None:
        backoff = BACKOFF_START
        need_list = True
        while not self._stop.is_set():
            try:
                if need_list:
                    wait = self._list(feed)
                    if wait:
                        self._stop.wait(wait)
                        continue
                    need_list = False
                    backoff = BACKOFF_START
                self._watch(feed)
                backoff = BACKOFF_START  # a watch that ran to its timeout: resume at once
            except _Gone:
                self.counters.relists += 1
                log.info("watch %s: resourceVersion %s expired (410); re-listing", feed.label, feed.resource_version)
                need_list = True
            except _Failed as err:
                if err.status == 403:
                    need_list = True
                    self._forbidden(feed)
                    self._stop.wait(FORBIDDEN_RETRY)
                    continue
                self._backoff(feed, f"{err}", backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
            except Exception as err:  # a dropped connection, a broken stream: resume from the last version
                if self._stop.is_set():
                    break
                self._backoff(feed, _one_line(err), backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
        feed.state = "stopped"

    def _backoff(self, feed: _Feed, reason: str, delay: float) -> None:
        self.counters.reconnects += 1
        feed.state = "backoff"
        log.info("watch %s interrupted (%s); resuming from %s", feed.label, reason, feed.resource_version or "a list")
        self._stop.wait(random.uniform(delay / 2, delay))

    def _forbidden(self, feed: _Feed) -> None:
        feed.state = "forbidden"
        with feed.lock:
            feed.listed = False
            feed.store.clear()
            feed.warning = (
                f"cannot list {feed.label} (403 Forbidden): skipped; analyzers that need {feed.info.kind} "
                "treat it as unknown"
            )
        feed.synced.set()
        self._changed()

    def _list(self, feed: _Feed) -> float:
        """LIST into the store; returns seconds to wait before retrying (0 = listed)."""
        feed.state = "listing"
        listed: Listed = self.cluster.list_kind(feed.info, feed.namespace)
        self.counters.lists += max(1, listed.pages)
        if listed.status == 403:
            self._forbidden(feed)
            return FORBIDDEN_RETRY
        if listed.status == 404:
            feed.state = "absent"
            feed.synced.set()
            return ABSENT_RETRY
        if not listed.ok:
            feed.state = "backoff"
            log.info("list %s failed: %s %s", feed.label, listed.status, listed.reason)
            return BACKOFF_MAX / 4
        store = {(namespace_of(o), name_of(o)): o for o in listed.items}
        with feed.lock:
            feed.store = store
            feed.resource_version = listed.resource_version
            feed.listed = True
            feed.warning = ""
        feed.synced.set()
        self._changed()
        return 0.0

    def _open(self, feed: _Feed) -> Any:
        api = self.cluster.api
        timeout = int(self.watch_timeout * random.uniform(1.0, 2.0))
        query = [
            ("watch", "true"),
            ("allowWatchBookmarks", "true"),
            ("resourceVersion", feed.resource_version),
            ("timeoutSeconds", str(timeout)),
        ]
        method, url, headers, body, post = api.param_serialize(
            method="GET",
            resource_path=feed.info.list_path(feed.namespace),
            query_params=query,
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        self.counters.watches += 1
        resp = api.call_api(method, url, headers, body, post, _request_timeout=(5.0, timeout + 30.0))
        if resp.status != 200:
            data = resp.read()
            reason = str(resp.reason or "")
            if resp.status == 410:
                raise _Gone()
            raise _Failed(int(resp.status), _status_message(data) or reason)
        return resp.response

    def _watch(self, feed: _Feed) -> None:
        from kubernetes.watch.watch import iter_resp_lines

        raw = self._open(feed)
        feed.response = raw
        feed.state = "watching"
        try:
            for line in iter_resp_lines(raw):  # type: ignore[no-untyped-call]
                if self._stop.is_set():
                    return
                if line:
                    self._apply(feed, line)
        finally:
            feed.response = None
            raw.release_conn()

    def _apply(self, feed: _Feed, line: str | bytes) -> None:
        try:
            event = json.loads(line)
        except ValueError:
            return
        kind = event.get("type") if isinstance(event, dict) else None
        obj = event.get("object") if isinstance(event, dict) else None
        if not isinstance(obj, dict):
            return
        if kind == "ERROR":
            code = int(obj.get("code") or 0)
            if code == 410:
                raise _Gone()
            raise _Failed(code, str(obj.get("message") or obj.get("reason") or "watch error"))
        rv = str(meta(obj).get("resourceVersion") or "")
        if kind == "BOOKMARK":
            if rv:
                feed.resource_version = rv
            return
        self.counters.events += 1
        item = _clean(obj, feed.info)
        key = (namespace_of(item), name_of(item))
        with feed.lock:
            if kind == "DELETED":
                feed.store.pop(key, None)
            elif kind in ("ADDED", "MODIFIED"):
                feed.store[key] = item
            if rv:
                feed.resource_version = rv
        self._changed()


def _status_message(data: bytes) -> str:
    try:
        doc = json.loads(data)
    except ValueError:
        return ""
    return str(doc.get("message") or "") if isinstance(doc, dict) else ""


def _abort(raw: Any) -> None:
    """Unblock a thread reading a watch stream (best effort)."""
    if raw is None:
        return
    try:
        shutdown = getattr(raw, "shutdown", None)
        if shutdown is not None:
            shutdown()
        else:
            raw.close()
    except Exception:  # the stream is going away anyway
        pass


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


__all__ = ["Counters", "WatchSource"]
