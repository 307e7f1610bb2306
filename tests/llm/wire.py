"""A local threaded HTTP server that records requests and answers in a provider's wire format."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


Responder = Callable[[Recorded], Reply]


class FakeServer:
    def __init__(self, responder: Responder, latency: float = 0.0) -> None:
        self.responder = responder
        self.latency = latency
        self.requests: list[Recorded] = []
        self.scripted: list[Reply] = []
        self._lock = threading.Lock()
        self.max_in_flight = 0
        self._in_flight = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in separate writes: without this, Nagle + delayed ACK add ~40 ms.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parts = urlsplit(self.path)
                rec = Recorded(
                    "POST", parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()}, body
                )
                with server._lock:
                    server.requests.append(rec)
                    server._in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server._in_flight)
                    reply = server.scripted.pop(0) if server.scripted else None
                try:
                    if server.latency:
                        time.sleep(server.latency)
                    reply = reply or server.responder(rec)
                finally:
                    with server._lock:
                        server._in_flight -= 1
                data = reply.encoded()
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def bodies(self) -> list[str]:
        return [r.body.decode("utf-8", "replace") for r in self.requests]


@contextmanager
def serve(responder: Responder, latency: float = 0.0) -> Iterator[FakeServer]:
    server = FakeServer(responder, latency).start()
    try:
        yield server
    finally:
        server.stop()


def unreachable_url() -> str:
    """A local URL nobody listens on."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


# -- provider answer shapes --------------------------------------------------------------


def openai_answer(text: str, model: str = "gpt-4o") -> Reply:
    return Reply(
        body={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
        }
    )


def openai_error(
    status: int, message: str, type_: str, code: str | None = None, headers: dict[str, str] | None = None
) -> Reply:
    return Reply(status, {"error": {"message": message, "type": type_, "param": None, "code": code}}, headers or {})


def echo_openai(rec: Recorded) -> Reply:
    """Answers with the last user message, so callers can see what was sent."""
    msgs = rec.json()["messages"]
    return openai_answer("ECHO " + msgs[-1]["content"])


def anthropic_answer(text: str, model: str = "claude-3-5-sonnet-latest") -> Reply:
    return Reply(
        body={
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 6},
        }
    )


def anthropic_error(status: int, type_: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"type": "error", "error": {"type": type_, "message": message}}, headers or {})


def gemini_answer(text: str) -> Reply:
    return Reply(
        body={
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 4, "totalTokenCount": 13},
            "modelVersion": "gemini-2.5-flash",
        }
    )


def gemini_error(code: int, status: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(code, {"error": {"code": code, "message": message, "status": status}}, headers or {})


def ollama_answer(text: str, model: str = "llama3") -> Reply:
    return Reply(
        body={
            "model": model,
            "created_at": "2026-01-02T03:04:05.123456Z",
            "response": text,
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": 20,
            "eval_count": 8,
        }
    )


def customrest_answer(text: str, model: str = "llama3") -> Reply:
    return Reply(body={"model": model, "created_at": "2026-01-02T03:04:05Z", "response": text})
