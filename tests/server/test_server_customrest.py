"""`POST /completions` speaks k8sgpt's customrest wire format (k8sgpt-compat.md §4.3)."""

from __future__ import annotations

import json
import re
from datetime import datetime

import httpx

from kubesage.config import Config, ProviderConfig
from kubesage.llm.base import CompletionRequest
from kubesage.llm.customrest import CustomRestBackend

# Go's time.Time.UnmarshalJSON accepts exactly RFC 3339 (optionally with fractional seconds).
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

# The bytes k8sgpt sends for a Pod ImagePullBackOff result with `--backend customrest --model gpt-4o-mini`
# (k8sgpt-compat.md §4.3): Go's encoding/json, struct order model/prompt/options, options keys sorted.
K8SGPT_BODY = (
    b'{"model":"gpt-4o-mini","prompt":"Simplify the following Kubernetes error message delimited by triple dashes '
    b"written in --- english --- language; --- Back-off pulling image \\\"registry.example.com/shop/web:1.4.2\\\" ---."
    b"\\n\\tProvide the most possible solution in a step by step style in no more than 280 characters. "
    b"Write the output in the following format:\\n\\tError: {Explain error here}\\n"
    b'\\tSolution: {Step by step solution here}",'
    b'"options":{"language":"english","message":"Back-off pulling image \\"registry.example.com/shop/web:1.4.2\\"",'
    b'"temperature":0,"top_k":50,"top_p":0.5}}'
)
K8SGPT_HEADERS = {"Content-Type": "application/json", "Accept": "application/x-ndjson"}


def _parse_like_k8sgpt(resp: httpx.Response) -> str:
    """k8sgpt: status >= 400 is an error; else one JSON object, created_at RFC 3339 if present, use `response`."""
    assert resp.status_code < 400, resp.text
    data = json.loads(resp.content)  # a single object: an NDJSON stream would fail here
    assert isinstance(data, dict)
    assert set(data) == {"model", "created_at", "response"}
    assert isinstance(data["model"], str) and isinstance(data["response"], str)
    assert RFC3339.match(data["created_at"]), data["created_at"]
    datetime.fromisoformat(data["created_at"].replace("Z", "+00:00"))
    return str(data["response"])


def test_exact_k8sgpt_body(server: str) -> None:
    json.loads(K8SGPT_BODY)  # the fixture itself is valid JSON
    resp = httpx.post(f"{server}/completions", content=K8SGPT_BODY, headers=K8SGPT_HEADERS)
    assert resp.headers["content-type"].startswith("application/json")
    answer = _parse_like_k8sgpt(resp)
    assert answer.startswith("Error: ")
    assert "\nSolution: " in answer and "\nSources:\n- " in answer
    assert resp.json()["model"] == "gpt-4o-mini"


def test_chinese_language_option(server: str) -> None:
    body = json.loads(K8SGPT_BODY)
    body["options"]["language"] = "traditional chinese"
    answer = _parse_like_k8sgpt(httpx.post(f"{server}/completions", json=body, headers=K8SGPT_HEADERS))
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in answer) > 20


def test_out_of_scope_refusal(server: str) -> None:
    for language, refusal in (("english", "I don't know"), ("繁體中文", "我不知道")):
        body = {"model": "m", "prompt": "write a poem", "options": {"language": language,
                "message": "Write a poem about the ocean", "temperature": 0, "top_k": 50, "top_p": 0.5}}  # fmt: skip
        assert _parse_like_k8sgpt(httpx.post(f"{server}/completions", json=body)) == refusal


def test_kubesage_customrest_client_against_server(server: str) -> None:
    """Our own customrest backend (a byte-exact k8sgpt client) accepts the server's answers."""
    backend = CustomRestBackend.from_config(
        ProviderConfig(name="customrest", baseurl=f"{server}/completions", model="gpt-4o-mini"), Config()
    )
    text = backend.complete(CompletionRequest(
        prompt="Simplify the following Kubernetes error message ...", language="english",
        message="the last termination reason is OOMKilled container=api pod=api-7f9",
    )).text  # fmt: skip
    assert text.startswith("Error: ") and "OOMKilled" in text


def test_missing_prompt_and_message_is_400(server: str) -> None:
    resp = httpx.post(f"{server}/completions", json={"model": "m", "options": {"language": "english"}})
    assert resp.status_code == 400
    assert "prompt or options.message is required" in resp.json()["error"]["message"]


def test_wrong_types_are_400_with_the_field(server: str) -> None:
    resp = httpx.post(f"{server}/completions", json={"prompt": "x", "options": {"message": 5}})
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["param"] == "options.message" and error["code"] == "invalid_type"
    assert "options.message" in error["message"] and "\n" not in error["message"]
