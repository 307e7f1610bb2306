"""A local HTTP server speaking the OpenAI Chat Completions wire format, for judge/backend tests."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = Callable[[list[dict[str, Any]]], str]


class ChatServer:
    """Answers POST /v1/chat/completions with `answer(messages)` and fixed token usage."""

    def __init__(self, answer: Answer, prompt_tokens: int = 1000, completion_tokens: int = 200) -> None:
        self.answer = answer
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                with server.lock:
                    server.requests.append({"path": self.path, "body": body,
                                            "auth": self.headers.get("Authorization", "")})
                if not self.path.endswith("/chat/completions"):
                    self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
                    return
                text = server.answer(body["messages"])
                self._send(200, {
                    "id": "chatcmpl-1", "object": "chat.completion", "created": 1764576000, "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": text}}],
                    "usage": {"prompt_tokens": server.prompt_tokens, "completion_tokens": server.completion_tokens,
                              "total_tokens": server.prompt_tokens + server.completion_tokens},
                })

            def _send(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    @contextmanager
    def running(self) -> Iterator[ChatServer]:
        thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.httpd.shutdown()
            self.httpd.server_close()


def judge_all_true(messages: list[dict[str, Any]]) -> str:
    """A judge that says every numbered fact is covered."""
    prompt = messages[-1]["content"]
    facts = re.findall(r"^\d+\. ", prompt.split("Facts:", 1)[1], flags=re.M)
    return "Here is my grading:\n```json\n" + json.dumps({"points": [True] * len(facts)}) + "\n```"
