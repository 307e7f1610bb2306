"""The watch source against a local server speaking the API's LIST and WATCH wire format, for what
a real API server will not do on demand: expire a resourceVersion (410 Gone) mid-watch."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from opproc import wait_for

from kubesage.cluster.live import connect
from kubesage.cluster.watch import WatchSource

PATH = "/api/v1/namespaces/shop/configmaps"


def _cm(name: str, rv: int) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "shop", "resourceVersion": str(rv), "managedFields": [{}]}}


class _Api:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.items = [_cm("a", 10)]
        self.rv = 10
        self.stop = threading.Event()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                api.requests.append((url.path, query))
                if url.path != PATH:
                    self.send_error(404)
                    return
                if "watch" not in query:
                    body = json.dumps({"kind": "ConfigMapList", "metadata": {"resourceVersion": str(api.rv)},
                                       "items": api.items}).encode()  # fmt: skip
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                watches = sum(1 for _, q in api.requests if "watch" in q)
                if watches == 1:  # the first watch: an event, a bookmark, then the version expires
                    self._event({"type": "ADDED", "object": _cm("b", 11)})
                    self._event({"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "12"}}})
                    gone = {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old resource version"}
                    self._event({"type": "ERROR", "object": gone})
                    api.items, api.rv = [_cm("b", 11), _cm("c", 40)], 40  # "a" was deleted meanwhile
                elif watches == 2:  # the stream ends after one event (a server-side timeout)
                    self._event({"type": "ADDED", "object": _cm("d", 41)})
                    self.wfile.write(b"0\r\n\r\n")
                    self.close_connection = True
                    return
                else:
                    self._event({"type": "MODIFIED", "object": {**_cm("d", 42), "data": {"k": "v"}}})
                    api.stop.wait(5)
                self.wfile.write(b"0\r\n\r\n")

            def _event(self, event: dict[str, Any]) -> None:
                data = json.dumps(event).encode() + b"\n"
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        return Handler


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[_Api, str]]:
    state = _Api()
    server = ThreadingHTTPServer(("127.0.0.1", 0), state.handler())
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "t",
        "clusters": [{"name": "t", "cluster": {"server": f"http://127.0.0.1:{server.server_address[1]}"}}],
        "users": [{"name": "t", "user": {"token": "x"}}],
        "contexts": [{"name": "t", "context": {"cluster": "t", "user": "t"}}],
    }))  # fmt: skip
    try:
        yield state, str(kubeconfig)
    finally:
        state.stop.set()
        server.shutdown()
        server.server_close()


def test_410_relists_and_an_ended_watch_resumes_from_the_last_version(api: tuple[_Api, str]) -> None:
    state, kubeconfig = api
    src = WatchSource(connect(kubeconfig), ["ConfigMap"], ["shop"], watch_timeout=30)
    try:
        assert src.wait_synced(10)

        def names() -> set[str]:
            return {o["metadata"]["name"] for o in src.snapshot().objects("ConfigMap", "shop")}

        wait_for(lambda: names() == {"b", "c", "d"} and src.counters.events >= 3, 20, "the re-listed and resumed state")
        watches = [q for _, q in state.requests if "watch" in q]
        lists = [q for _, q in state.requests if "watch" not in q]
        assert len(lists) == 2 and src.counters.relists == 1  # one initial LIST, one after 410
        assert watches[0]["resourceVersion"] == ["10"]  # from the first list
        assert watches[1]["resourceVersion"] == ["40"]  # from the re-list
        assert watches[2]["resourceVersion"] == ["41"]  # resumed from the last event
        assert watches[0]["allowWatchBookmarks"] == ["true"]
        obj = src.snapshot().get("ConfigMap", "shop", "d")
        assert obj is not None and obj["data"] == {"k": "v"} and "managedFields" not in obj["metadata"]
        assert obj["kind"] == "ConfigMap" and obj["apiVersion"] == "v1"
    finally:
        src.stop()
