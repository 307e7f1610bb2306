"""Live cluster source: one paginated LIST per kind through the official `kubernetes` client.

Requests go through `ApiClient`'s generic call path (auth, TLS, proxies and token refresh
are the client's); bodies are decoded with `json.loads`, never into model objects. Kinds
are listed concurrently (bounded), each with `limit`/`continue` pages and no per-object
GETs. A kind we may not list (403) becomes one warning; an absent API (404, e.g. a CRD
that is not installed) is skipped quietly; an unreachable server is one SourceError.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kubesage.cluster.files import gc_paused
from kubesage.cluster.kinds import KindInfo, resolve_kinds
from kubesage.cluster.snapshot import ClusterSnapshot, Obj, name_of, namespace_of, redact_secret
from kubesage.errors import SourceError

PAGE_SIZE = 500
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0
LOG_TAIL_LINES = 100
LOG_LIMIT_BYTES = 1 << 20
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_RETRY_AFTER_CAP = 5.0  # seconds; a server asking for longer gets its error reported instead
_FREEZE_AFTER = 20_000  # objects; see files.gc_paused
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Waiting reasons of containers that never started: they have no logs to fetch.
_NO_LOG_REASONS = frozenset(
    {
        "ContainerCreating",
        "PodInitializing",
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
    }
)


class _Unreachable(Exception):
    """A transport failure (refused, DNS, TLS, timeout); `str()` is a one-line reason."""


class _BodyCut(Exception):
    """The connection broke while the response body was being read."""


@dataclass(slots=True)
class Response:
    status: int
    body: bytes
    reason: str = ""


@dataclass(slots=True)
class Listed:
    """The outcome of listing one kind: items, or why there are none."""

    info: KindInfo
    items: list[Obj]
    status: int = 200  # the HTTP status that ended the listing; 0 = transport failure
    reason: str = ""
    pages: int = 0
    resource_version: str = ""
    """The list's metadata.resourceVersion: where a watch resumes from."""

    @property
    def ok(self) -> bool:
        return self.status == 200


def _one_line(text: object) -> str:
    lines = [s.strip() for s in str(text).splitlines() if s.strip()]
    return lines[0] if lines else "unknown error"


def _config_reason(err: BaseException) -> str:
    """One line for a kubeconfig failure; YAML errors name the line."""
    problem = getattr(err, "problem", None)
    if problem:
        mark = getattr(err, "problem_mark", None)
        return f"invalid YAML at line {mark.line + 1}: {problem}" if mark is not None else f"invalid YAML: {problem}"
    return _one_line(err)


def _transport_reason(err: BaseException) -> str:
    """A short reason for a urllib3 failure: refused, DNS, TLS, timeout."""
    import urllib3.exceptions as u3

    inner: BaseException = err
    if isinstance(err, u3.MaxRetryError) and err.reason is not None:
        inner = err.reason
    if isinstance(inner, u3.NameResolutionError):
        return "DNS lookup failed"
    if isinstance(inner, u3.SSLError):
        return f"TLS error: {_one_line(inner)}"
    if isinstance(inner, u3.NewConnectionError):  # a subclass of ConnectTimeoutError: test it first
        text = str(inner)
        if "refused" in text.lower():
            return "connection refused"
        return _one_line(text.split("new connection: ", 1)[-1])
    if isinstance(inner, u3.ConnectTimeoutError):
        return "connection timed out"
    if isinstance(inner, u3.ReadTimeoutError):
        return "read timed out"
    if isinstance(inner, u3.ProtocolError):
        return f"connection broken: {_one_line(inner)}"
    return _one_line(inner)


class LiveCluster:
    """One API server connection, through an already configured `kubernetes.client.ApiClient`."""

    def __init__(self, api_client: Any, host: str, context: str = "") -> None:
        self._api = api_client
        self.host = host
        self.context = context
        self.server_version = ""

    @property
    def api(self) -> Any:
        """The underlying `kubernetes.client.ApiClient` (for watches and writes)."""
        return self._api

    def close(self) -> None:
        self._api.close()

    # -- raw requests ------------------------------------------------------------------------

    def get(
        self, path: str, query: Sequence[tuple[str, str]] = (), timeout: tuple[float, float] | None = None
    ) -> Response:
        """One GET; HTTP errors come back as a status, transport failures raise `_Unreachable`.

        urllib3's Retry (see `connect`) covers refused connections, 429 and 5xx; the client
        streams bodies, so a connection cut while the body is read is retried here, once.
        """

        try:
            return self._get_once(path, query, timeout)
        except _BodyCut:
            try:
                return self._get_once(path, query, timeout)
            except _BodyCut as err:
                raise _Unreachable(str(err)) from None

    def _get_once(self, path: str, query: Sequence[tuple[str, str]], timeout: tuple[float, float] | None) -> Response:
        import urllib3.exceptions
        from kubernetes.client.exceptions import ApiException

        api = self._api
        try:
            method, url, headers, body, post = api.param_serialize(
                method="GET",
                resource_path=path,
                query_params=list(query),
                # gzip as client-go asks for it: big LISTs shrink ~10x on the wire.
                header_params={"Accept": "application/json", "Accept-Encoding": "gzip"},
                auth_settings=["BearerToken"],
            )
            resp = api.call_api(
                method, url, headers, body, post, _request_timeout=timeout or (CONNECT_TIMEOUT, READ_TIMEOUT)
            )
            try:
                data = resp.read()
            except urllib3.exceptions.ProtocolError as err:
                raise _BodyCut(_transport_reason(err)) from None
        except ApiException as err:  # TLS failures (status 0) and exhausted Retry-After retries
            if not err.status:
                raise _Unreachable(f"TLS error: {_one_line(err.reason)}") from None
            return Response(int(err.status), str(err.body or "").encode(), str(err.reason or ""))
        except urllib3.exceptions.HTTPError as err:
            raise _Unreachable(_transport_reason(err)) from None
        except OSError as err:
            raise _Unreachable(_one_line(err.strerror or err)) from None
        return Response(int(resp.status), data or b"", str(resp.reason or ""))

    # -- server ------------------------------------------------------------------------------

    def check(self) -> str:
        """GET /version once, so an unreachable or wrong server fails fast with a clear message."""
        try:
            resp = self.get("/version", timeout=(CONNECT_TIMEOUT, 15.0))
        except _Unreachable as err:
            raise SourceError(f"cannot reach the Kubernetes API at {self.host}: {err}") from None
        if resp.status == 401:
            raise SourceError(f"the Kubernetes API at {self.host} rejected the credentials (401 Unauthorized)")
        if resp.status == 200:
            try:
                doc = json.loads(resp.body)
            except ValueError:
                doc = None
            if not isinstance(doc, dict) or "gitVersion" not in doc:
                raise SourceError(f"{self.host} does not look like a Kubernetes API (GET /version is not JSON)")
            self.server_version = str(doc.get("gitVersion") or "")
        elif resp.status != 403:  # 403: anonymous /version disabled; the server is still there
            raise SourceError(
                f"{self.host} does not look like a Kubernetes API (GET /version: {resp.status} {resp.reason})"
            )
        return self.server_version

    # -- listing -----------------------------------------------------------------------------

    def list_kind(self, info: KindInfo, namespace: str = "") -> Listed:
        """Every object of one kind: one paginated LIST, following `continue` to the end."""
        path = info.list_path(namespace)
        items: list[Obj] = []
        token = ""
        restarted = False
        pages = 0
        while True:
            query = [("limit", str(PAGE_SIZE))]
            if token:
                query.append(("continue", token))
            try:
                resp = self.get(path, query)
            except _Unreachable as err:
                return Listed(info, [], 0, str(err), pages)
            pages += 1
            if resp.status == 410 and token and not restarted:
                # The continue token expired (list took > ~5 min): start over, once.
                items, token, restarted = [], "", True
                continue
            if resp.status != 200:
                return Listed(info, [], resp.status, resp.reason, pages)
            try:
                page = json.loads(resp.body)
            except ValueError:
                return Listed(info, [], -1, "response is not JSON", pages)
            page_items = page.get("items") if isinstance(page, dict) else None
            for item in page_items or ():
                if isinstance(item, dict):
                    items.append(_clean(item, info))
            page_meta = (page.get("metadata") or {}) if isinstance(page, dict) else {}
            token = str(page_meta.get("continue") or "")
            if not token:
                return Listed(info, items, 200, "", pages, str(page_meta.get("resourceVersion") or ""))

    def snapshot(
        self,
        kinds: Iterable[str],
        *,
        namespace: str = "",
        max_concurrency: int = 10,
        progress: bool = True,
    ) -> ClusterSnapshot:
        """A snapshot of `kinds`: namespaced kinds in `namespace` ("" = all), cluster-scoped ones cluster-wide."""
        infos, warnings = resolve_kinds(kinds)
        snap = ClusterSnapshot()
        snap.warnings.extend(warnings)
        snap.sources.append(f"cluster {self.context or self.host}")
        results: dict[str, Listed] = {}
        workers = max(1, min(max_concurrency, len(infos) or 1))
        with gc_paused(), progress_bar(progress, len(infos), "Listing") as advance:
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kubesage-list")
            try:
                futures = [pool.submit(self.list_kind, info, namespace) for info in infos]
                for fut in as_completed(futures):
                    listed = fut.result()
                    results[listed.info.kind] = listed
                    advance()
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
            for info in infos:  # table order: deterministic snapshot and warnings
                listed = results.pop(info.kind)
                if listed.ok:
                    snap.add_all(listed.items, info.kind)
                    snap.mark_listed(info.kind)
                    continue
                warning = _list_warning(listed)
                if warning:
                    snap.warnings.append(warning)
            if snap.count() >= _FREEZE_AFTER:
                gc.freeze()  # as files.py does: spare later collections a scan of every object
        return snap


def _clean(item: Obj, info: KindInfo) -> Obj:
    """Give a LIST item its kind/apiVersion, drop managedFields, and drop Secret values at once."""
    item["apiVersion"] = item.get("apiVersion") or info.api_version
    item["kind"] = info.kind
    m = item.get("metadata")
    if isinstance(m, dict):
        m.pop("managedFields", None)
    if info.kind == "Secret":
        redact_secret(item)
    return item


def _list_warning(listed: Listed) -> str:
    info = listed.info
    if listed.status == 404:
        return ""  # the API is not served (CRD not installed): nothing to analyse, nothing to say
    if listed.status == 403:
        return (
            f"cannot list {info.plural} (403 Forbidden): skipped; analyzers that need {info.kind} treat it as unknown"
        )
    if listed.status == 0:
        return f"cannot list {info.plural}: {listed.reason}: skipped"
    if listed.status < 0:
        return f"cannot list {info.plural}: {listed.reason}: skipped"
    return f"cannot list {info.plural} ({listed.status} {listed.reason}): skipped"


# -- connecting ------------------------------------------------------------------------------


def _kubeconfig_path(explicit: str | None) -> str | None:
    """The kubeconfig to use: --kubeconfig, else $KUBECONFIG, else ~/.kube/config if it exists."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise SourceError(f"kubeconfig {explicit}: no such file")
        return str(path)
    env = os.environ.get("KUBECONFIG", "")
    if env:
        paths = [p for p in env.split(os.pathsep) if p]
        found = [str(Path(p).expanduser()) for p in paths if Path(p).expanduser().is_file()]
        if not found:
            raise SourceError(f"KUBECONFIG={env}: no such file")
        return os.pathsep.join(found)
    default = Path("~/.kube/config").expanduser()
    return str(default) if default.is_file() else None


def _retry_policy() -> Any:
    """urllib3 retries: one for a dropped keep-alive or connect hiccup, two for 429/5xx.

    Throttled and failing GETs wait for Retry-After (capped) or back off 0.25 s, 0.5 s; the
    last answer is returned, not raised, so the caller reports its status.
    """
    from urllib3.util.retry import Retry

    class _CappedRetry(Retry):
        def get_retry_after(self, response: Any) -> float | None:
            after = super().get_retry_after(response)
            return None if after is None else min(after, _RETRY_AFTER_CAP)

    return _CappedRetry(
        total=3,
        connect=1,
        read=1,
        status=2,
        redirect=0,
        other=0,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=_RETRY_STATUSES,
        backoff_factor=0.25,
        backoff_max=_RETRY_AFTER_CAP,
        respect_retry_after_header=True,
        raise_on_status=False,
    )


def connect(kubeconfig: str | None = None, context: str | None = None, max_concurrency: int = 10) -> LiveCluster:
    """A LiveCluster from a kubeconfig (`--kubeconfig`, $KUBECONFIG, ~/.kube/config) or in-cluster config."""
    try:
        from kubernetes import client
        from kubernetes import config as kube_config
    except ImportError as err:  # pragma: no cover - declared dependency
        raise SourceError(f"the kubernetes package is not installed ({err})") from None
    if not hasattr(client.ApiClient, "param_serialize"):
        raise SourceError("kubesage needs kubernetes>=37 (the installed client is older); upgrade it with pip")

    config: Any = kube_config  # its loaders are untyped
    cfg = client.Configuration()
    path = _kubeconfig_path(kubeconfig)
    context_name = ""
    if path is not None:
        try:
            contexts, current = config.list_kube_config_contexts(config_file=path)
            names = [str(c.get("name")) for c in contexts or () if isinstance(c, Mapping)]
            if context and context not in names:
                raise SourceError(f"context {context!r} not found in {path} (available: {', '.join(names) or 'none'})")
            context_name = context or str((current or {}).get("name") or "")
            config.load_kube_config(config_file=path, context=context, client_configuration=cfg, persist_config=False)
        except SourceError:
            raise
        except Exception as err:  # ConfigException, YAML errors, exec plugin failures
            raise SourceError(f"cannot load kubeconfig {path}: {_config_reason(err)}") from None
    elif os.environ.get("KUBERNETES_SERVICE_HOST"):
        try:
            config.load_incluster_config(client_configuration=cfg)
        except Exception as err:
            raise SourceError(f"cannot load in-cluster config: {_one_line(err)}") from None
        context_name = "in-cluster"
    else:
        raise SourceError(
            "no kubeconfig (--kubeconfig, $KUBECONFIG, ~/.kube/config) and not running in a cluster; "
            "use --kubeconfig, or --snapshot to analyze files"
        )
    # urllib3 logs each retry as a WARNING; our own messages say what failed.
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    cfg.connection_pool_maxsize = max(4, max_concurrency)
    cfg.retries = _retry_policy()
    api = client.ApiClient(configuration=cfg)
    from kubesage import __version__

    api.user_agent = f"kubesage/{__version__}"
    return LiveCluster(api, str(cfg.host), context_name)


def validate_namespace(namespace: str) -> str:
    if namespace and not _DNS_LABEL.match(namespace):
        raise SourceError(f"invalid namespace {namespace!r}: must be a DNS label (lower-case letters, digits, '-')")
    return namespace


def load_live(
    kinds: Sequence[str],
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    namespace: str = "",
    max_concurrency: int = 10,
    progress: bool = True,
    logs: bool = False,
) -> ClusterSnapshot:
    """A snapshot of the live cluster: one paginated LIST per kind, concurrently.

    `logs=True` also reads every container's log (what the Log analyzer reads) over the
    same connection.
    """
    validate_namespace(namespace)
    cluster = connect(kubeconfig, context, max_concurrency)
    try:
        cluster.check()
        snap = cluster.snapshot(kinds, namespace=namespace, max_concurrency=max_concurrency, progress=progress)
        if logs:
            fetch_logs(snap, cluster=cluster, max_concurrency=max_concurrency, progress=progress, all_containers=True)
        return snap
    finally:
        cluster.close()


# -- logs ------------------------------------------------------------------------------------


def failing_containers(pod: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """(container, previous) pairs worth a log fetch: waiting, terminated non-zero, or restarted."""
    status = pod.get("status") or {}
    out: list[tuple[str, bool]] = []
    for key in ("initContainerStatuses", "containerStatuses"):
        for cs in status.get(key) or ():
            if not isinstance(cs, Mapping) or not cs.get("name"):
                continue
            name = str(cs["name"])
            state = cs.get("state") or {}
            waiting = state.get("waiting") if isinstance(state, Mapping) else None
            terminated = state.get("terminated") if isinstance(state, Mapping) else None
            restarts = cs.get("restartCount") or 0
            restarted = isinstance(restarts, int) and restarts > 0
            failed_now = isinstance(terminated, Mapping) and (terminated.get("exitCode") or 0) != 0
            stuck = isinstance(waiting, Mapping) and str(waiting.get("reason") or "") not in _NO_LOG_REASONS
            if restarted or failed_now or stuck:
                out.append((name, False))
            if restarted:
                out.append((name, True))
    return out


def every_container(pod: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """What k8sgpt's Log analyzer reads: every regular container, and previous logs after a restart."""
    restarts = {
        str(cs.get("name")): cs.get("restartCount") or 0
        for cs in (pod.get("status") or {}).get("containerStatuses") or ()
        if isinstance(cs, Mapping)
    }
    out: list[tuple[str, bool]] = []
    for c in (pod.get("spec") or {}).get("containers") or ():
        if isinstance(c, Mapping) and c.get("name"):
            name = str(c["name"])
            out.append((name, False))
            if isinstance(restarts.get(name), int) and restarts[name] > 0:
                out.append((name, True))
    return out


def fetch_logs(
    snapshot: ClusterSnapshot,
    pods: Iterable[Mapping[str, Any]] | None = None,
    *,
    cluster: LiveCluster | None = None,
    kubeconfig: str | None = None,
    context: str | None = None,
    max_concurrency: int = 10,
    tail_lines: int = LOG_TAIL_LINES,
    progress: bool = False,
    all_containers: bool = False,
) -> int:
    """Fetch the last `tail_lines` log lines of failing containers into `snapshot`; returns how many.

    One GET per failing container (and one more for `previous` when it restarted). Pods
    default to the snapshot's. Uses `cluster` when given, else connects like `load_live`.
    """
    targets: list[tuple[str, str, str, bool]] = []
    for pod in snapshot.objects("Pod") if pods is None else pods:
        ns, name = namespace_of(pod), name_of(pod)
        if ns and name:
            chosen = every_container(pod) if all_containers else failing_containers(pod)
            targets.extend((ns, name, c, prev) for c, prev in chosen)
    if not targets:
        return 0
    own = cluster is None
    live = cluster or connect(kubeconfig, context, max_concurrency)
    try:
        if own:
            live.check()
        fetched = _fetch_all(live, targets, max_concurrency, tail_lines, progress)
    finally:
        if own:
            live.close()
    forbidden = False
    for (ns, pod_name, container, previous), (status, text) in zip(targets, fetched, strict=True):
        if status == 200:
            snapshot.add_log(ns, pod_name, container, text, previous=previous)
        elif status == 403:
            forbidden = True
    if forbidden:
        snapshot.warnings.append("cannot read pods/log (403 Forbidden): container logs skipped")
    return sum(1 for status, _ in fetched if status == 200)


def _fetch_all(
    live: LiveCluster, targets: list[tuple[str, str, str, bool]], max_concurrency: int, tail: int, progress: bool
) -> list[tuple[int, str]]:
    def one(target: tuple[str, str, str, bool]) -> tuple[int, str]:
        ns, pod, container, previous = target
        query = [("container", container), ("tailLines", str(tail)), ("limitBytes", str(LOG_LIMIT_BYTES))]
        if previous:
            query.append(("previous", "true"))
        try:
            resp = live.get(f"/api/v1/namespaces/{quote(ns, safe='')}/pods/{quote(pod, safe='')}/log", query)
        except _Unreachable:
            return 0, ""
        return resp.status, resp.body.decode("utf-8", errors="replace") if resp.status == 200 else ""

    out: list[tuple[int, str]] = []
    with (
        progress_bar(progress, len(targets), "Logs") as advance,
        ThreadPoolExecutor(
            max_workers=max(1, min(max_concurrency, len(targets))), thread_name_prefix="kubesage-logs"
        ) as pool,
    ):
        for result in pool.map(one, targets):
            out.append(result)
            advance()
    return out


# -- progress --------------------------------------------------------------------------------


@contextmanager
def progress_bar(enabled: bool, total: int, label: str) -> Iterator[Callable[[], None]]:
    """A transient rich progress bar on stderr (only on a TTY); yields `advance()`."""
    if not enabled or total <= 0 or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn(f"{label} {{task.description}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("", total=total)
        yield lambda: bar.advance(task)


__all__ = [
    "Listed",
    "LiveCluster",
    "connect",
    "failing_containers",
    "fetch_logs",
    "load_live",
    "progress_bar",
]
