"""Sinks against a local HTTP server: payload shapes, retries with backoff, errors without URLs."""

from __future__ import annotations

import httpx

from kubesage.operator.models import KubeSageSpec
from kubesage.operator.sinks import builder
from kubesage.operator.sinks.base import Notification, deliver
from llm.wire import Recorded, Reply, serve, unreachable_url

N = Notification(
    kubesage="sage",
    namespace="ops",
    result_name="shopweb",
    kind="Pod",
    name="shop/web",
    parent_object="Deployment/web",
    texts=('Back-off pulling image "nginx:nope"', "second"),
    details="",
    severity="error",
    lifecycle="created",
    content_hash="a" * 64,
)


def _sink(kind: str, **extra: object) -> object:
    return KubeSageSpec.parse({"sinks": [{"name": "s", "type": kind, "url": "http://x", **extra}]}).sinks[0]


def _send(kind: str, sink: object, n: Notification = N) -> Recorded:
    with serve(lambda rec: Reply(200, {})) as server, httpx.Client() as client:
        body, headers = builder(kind)(n, sink)
        result = deliver(client, server.url + "/hook", body, headers, retries=0, timeout=5)
        assert result.ok and result.attempts == 1
        return server.requests[0]


def test_slack_payload() -> None:
    rec = _send("slack", _sink("slack"), Notification(**{**N.__dict__, "details": "Error: pull failed"}))
    body = rec.json()
    assert body["text"] == ">*[sage] KubeSage analysis of the Pod shop/web*"
    assert body["attachments"] == [
        {"type": "mrkdwn", "text": "Error: pull failed", "color": "danger", "title": "Report"}
    ]


def test_mattermost_payload_falls_back_to_error_list() -> None:
    rec = _send("mattermost", _sink("mattermost", channel="ops", username="kubesage"))
    body = rec.json()
    assert body["channel"] == "ops" and body["username"] == "kubesage" and "icon_url" not in body
    assert body["attachments"][0]["text"] == '1. Back-off pulling image "nginx:nope"\n2. second'


def test_cloudevents_structured_mode() -> None:
    rec = _send("cloudevents", _sink("cloudevents"))
    assert rec.headers["content-type"] == "application/cloudevents+json"
    event = rec.json()
    assert event["specversion"] == "1.0" and event["type"] == "dev.kubesage.operator.sinks.cloudevents"
    assert event["id"] and event["source"] and event["subject"] == "Pod/shop/web"
    assert event["data"]["kind"] == "Pod" and event["data"]["name"] == "shop/web" and event["data"]["k8sgpt"] == "sage"


def test_webhook_payload() -> None:
    body = _send("webhook", _sink("webhook")).json()
    assert body["result"]["objectName"] == "shop/web" and body["contentHash"] == "a" * 64
    assert body["lifecycle"] == "created" and body["result"]["severity"] == "error"


def test_retries_5xx_and_429_then_succeeds() -> None:
    slept: list[float] = []
    with serve(lambda rec: Reply(200, {})) as server, httpx.Client() as client:
        server.scripted = [Reply(503, {}), Reply(429, {}, {"Retry-After": "0.25"})]
        result = deliver(client, server.url, {"a": 1}, {}, retries=3, timeout=5, sleep=slept.append)
    assert result.ok and result.attempts == 3 and len(server.requests) == 3
    assert slept[1] == 0.25  # Retry-After honoured
    assert 0 <= slept[0] <= 0.5  # jittered backoff


def test_gives_up_and_never_leaks_the_url() -> None:
    url = unreachable_url() + "/services/T000/B000/SECRETTOKEN"
    with httpx.Client() as client:
        result = deliver(client, url, {"a": 1}, {}, retries=2, timeout=2, sleep=lambda s: None)
    assert not result.ok and result.attempts == 3
    assert "SECRETTOKEN" not in result.error and result.error


def test_client_errors_are_not_retried() -> None:
    with serve(lambda rec: Reply(404, {})) as server, httpx.Client() as client:
        result = deliver(client, server.url, {}, {}, retries=3, timeout=5, sleep=lambda s: None)
    assert not result.ok and result.attempts == 1 and result.error == "HTTP 404"
