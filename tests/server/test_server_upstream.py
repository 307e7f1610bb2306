"""`serve --backend NAME`: kb retrieval, the talk's RAG prompt, and an upstream LLM writing the answer.

The upstream is a local HTTP server speaking the OpenAI Chat Completions wire format (what
LocalAI / vLLM serve), reached through kubesage's `localai` backend."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from server_harness import run_server

from kubesage.config import AIConfig, Config, ProviderConfig

ANSWER = "Error: the image tag does not exist.\nSolution: 1. Push the tag. 2. Update the Deployment."


class FakeLLM(BaseHTTPRequestHandler):
    prompts: list[str] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeLLM.prompts.append(body["messages"][-1]["content"])
        data = json.dumps({
            "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        }).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def llm_url() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeLLM)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


@pytest.fixture(scope="module")
def rag_server(server_kb: Path, llm_url: str) -> Iterator[str]:
    from kubesage.server.app import ServerSettings

    config = Config(ai=AIConfig(providers=[ProviderConfig(name="localai", baseurl=llm_url, model="tiny")]))
    yield from run_server(ServerSettings(kb_path=str(server_kb), backend="localai", config=config))


def test_upstream_writes_grounded_answer(rag_server: str) -> None:
    FakeLLM.prompts.clear()
    body = {"model": "gpt-4o-mini", "prompt": "p",
            "options": {"language": "english", "message": 'Back-off pulling image "shop/web:1.4.2"'}}  # fmt: skip
    data = httpx.post(f"{rag_server}/completions", json=body).json()
    assert data["response"].startswith(ANSWER) and "\nSources:\n- " in data["response"]
    (prompt,) = FakeLLM.prompts
    assert prompt.startswith("1. You are a Kubernetes expert. Based on these knowledge-base documents")
    assert "ImagePullBackOff" in prompt
    assert prompt.endswith('Error message:\n---\nBack-off pulling image "shop/web:1.4.2"\n---')


def test_refusal_does_not_call_upstream(rag_server: str) -> None:
    FakeLLM.prompts.clear()
    body = {"prompt": "p", "options": {"language": "繁體中文", "message": "請幫我寫一首關於海洋的詩"}}
    assert httpx.post(f"{rag_server}/completions", json=body).json()["response"] == "我不知道"
    assert FakeLLM.prompts == []


def test_unknown_backend_is_a_clear_error(server_kb: Path) -> None:
    from kubesage.errors import KubesageError
    from kubesage.server.app import ServerSettings, create_app

    with pytest.raises(KubesageError, match="not specified in configuration"):
        create_app(ServerSettings(kb_path=str(server_kb), backend="openai"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_cli_serve_subprocess(server_kb: Path, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubesage.cli.app", "serve", "--port", str(port), "--kb", str(server_kb)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(10)


def test_cli_serve_bad_kb_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-m", "kubesage.cli.app", "serve", "--kb", str(tmp_path / "none")],
                            capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: no knowledge base at {tmp_path / 'none'}; run `kubesage kb ingest PATH --kb {tmp_path / 'none'}`"
    ]
