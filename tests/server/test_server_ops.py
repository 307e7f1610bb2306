"""Search, health, metrics, bearer token, body limit, malformed input, concurrency."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

PULL = {"model": "m", "prompt": "p", "options": {"language": "english", "message": 'Back-off pulling image "x:1"'}}


def _metric(text: str, name: str, labels: str = "") -> float:
    pattern = re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else "") + r" ([0-9.e+]+)"
    m = re.search(pattern, text)
    return float(m.group(1)) if m else 0.0


def test_search_endpoint(server: str) -> None:
    resp = httpx.post(f"{server}/v1/search", json={"query": "0/3 nodes are available: 3 Insufficient cpu", "k": 3})
    data = resp.json()
    assert resp.status_code == 200 and data["relevant"] and "FailedScheduling" in data["reasons"]
    assert 1 <= len(data["hits"]) <= 3
    assert {"doc_id", "title", "source", "score", "reasons", "text"} <= set(data["hits"][0])
    off = httpx.post(f"{server}/v1/search", json={"query": "how do I cook pasta carbonara"}).json()
    assert not off["relevant"]


def test_search_validation(server: str) -> None:
    empty = httpx.post(f"{server}/v1/search", json={"query": ""})
    assert empty.status_code == 400 and empty.json()["error"]["param"] == "query"
    too_many = httpx.post(f"{server}/v1/search", json={"query": "x", "k": 1000})
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "value_above_max_value"


def test_healthz(server: str) -> None:
    data = httpx.get(f"{server}/healthz").json()
    assert data["status"] == "ok" and data["backend"] == "kb" and data["docs"] >= 10 and data["chunks"] > data["docs"]


def test_metrics_count_requests_hits_and_refusals(server: str) -> None:
    before = httpx.get(f"{server}/metrics").text
    httpx.post(f"{server}/completions", json=PULL)
    httpx.post(f"{server}/completions", json={"prompt": "x", "options": {"message": "write a poem about the ocean"}})
    after = httpx.get(f"{server}/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text
    label = 'route="/completions",status="200"'
    assert _metric(text, "kubesage_requests_total", label) - _metric(before, "kubesage_requests_total", label) == 2
    assert _metric(text, "kubesage_refusals_total") - _metric(before, "kubesage_refusals_total") == 1
    assert _metric(text, "kubesage_retrieval_hits_total") > _metric(before, "kubesage_retrieval_hits_total")
    assert _metric(text, "kubesage_request_duration_seconds_count", 'route="/completions"') >= 2


def test_unknown_route_is_json_404(server: str) -> None:
    resp = httpx.get(f"{server}/nope")
    assert resp.status_code == 404
    assert resp.json()["error"] == {"message": "Invalid URL (GET /nope)", "type": "invalid_request_error",
                                    "param": None, "code": "unknown_url"}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [(b'{"model": "m", "prompt": ', "malformed JSON body"), (b"not json", "malformed JSON body"),
     (b"", "request body is required")],
)  # fmt: skip
def test_malformed_json_is_400_one_line(server: str, body: bytes, fragment: str) -> None:
    resp = httpx.post(f"{server}/completions", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    message = resp.json()["error"]["message"]
    assert fragment in message and "\n" not in message


def test_bearer_token(guarded_server: str) -> None:
    url = f"{guarded_server}/completions"
    missing = httpx.post(url, json=PULL)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert httpx.post(url, json=PULL, headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = httpx.post(url, json=PULL, headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200 and ok.json()["response"].startswith("Error: ")
    assert httpx.get(f"{guarded_server}/healthz").status_code == 200  # probes need no token
    assert httpx.get(f"{guarded_server}/metrics").status_code == 401


def test_body_too_large_is_413(guarded_server: str) -> None:
    auth = {"Authorization": "Bearer s3cret-token"}
    big = {"prompt": "x" * 10_000, "options": {"message": "m"}}
    resp = httpx.post(f"{guarded_server}/completions", json=big, headers=auth)
    assert resp.status_code == 413 and "4096 bytes" in resp.json()["error"]["message"]

    def chunks():  # type: ignore[no-untyped-def]  # no Content-Length: a chunked upload
        for _ in range(10):
            yield b" " * 1000

    chunked = httpx.post(f"{guarded_server}/completions", content=chunks(), headers=auth)
    assert chunked.status_code == 413


def test_concurrent_requests(server: str) -> None:
    texts = [
        'Back-off pulling image "a:1"',
        "the last termination reason is OOMKilled container=a pod=b",
        "Service has no endpoints, expected label app=web",
        "write a poem about the ocean",
    ]

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server, timeout=30) as client:
            reqs = [client.post("/completions", json={"prompt": "p", "options": {"message": texts[i % 4]}})
                    for i in range(60)]  # fmt: skip
            return list(await asyncio.gather(*reqs))

    responses = asyncio.run(run())
    assert all(r.status_code == 200 for r in responses)
    by_text: dict[int, set[str]] = {}
    for i, r in enumerate(responses):
        by_text.setdefault(i % 4, set()).add(r.json()["response"])
    assert all(len(answers) == 1 for answers in by_text.values())  # same question, same answer
    assert by_text[3] == {"I don't know"}
