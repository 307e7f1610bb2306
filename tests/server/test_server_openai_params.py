"""Issue 13 §4: every Chat Completions parameter is honoured or refused in OpenAI's 400 shape,
checked with the official `openai` SDK against the real server on a loopback port."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from pydantic import BaseModel

QUESTION = [{"role": "user", "content": 'Back-off pulling image "shop/web:1.4.2"'}]
OFF_TOPIC = [{"role": "user", "content": "write a poem about the ocean"}]


def _client(server: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server}/v1", api_key="unused", max_retries=0, timeout=30)


def _full(server: str) -> str:
    resp = _client(server).chat.completions.create(model="kubesage-kb", messages=QUESTION)  # type: ignore[arg-type]
    return resp.choices[0].message.content or ""


def test_model_retrieve(server: str) -> None:
    client = _client(server)
    model = client.models.retrieve("kubesage-kb")
    assert model.id == "kubesage-kb" and model.object == "model" and model.owned_by == "kubesage"
    with pytest.raises(openai.NotFoundError) as err:
        client.models.retrieve("gpt-5")
    assert err.value.code == "model_not_found" and err.value.param == "model" and "gpt-5" in err.value.message


def test_usage_is_counted(server: str) -> None:
    resp = _client(server).chat.completions.create(model="kubesage-kb", messages=QUESTION)  # type: ignore[arg-type]
    usage = resp.usage
    assert usage is not None and usage.prompt_tokens > 6 and usage.completion_tokens > 20
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    # The documented estimate: ~4 characters per token for English.
    text = resp.choices[0].message.content or ""
    assert len(text) / 6 < usage.completion_tokens < len(text) / 2


def test_max_tokens_cuts_with_finish_reason_length(server: str) -> None:
    full = _full(server)
    for kwargs in ({"max_tokens": 8}, {"max_completion_tokens": 8}):
        resp = _client(server).chat.completions.create(model="kubesage-kb", messages=QUESTION, **kwargs)  # type: ignore[arg-type,call-overload]
        text = resp.choices[0].message.content or ""
        assert resp.choices[0].finish_reason == "length"
        assert text and full.startswith(text) and len(text) < len(full)
        assert resp.usage is not None and resp.usage.completion_tokens <= 8
    roomy = _client(server).chat.completions.create(model="kubesage-kb", messages=QUESTION, max_tokens=4000)  # type: ignore[arg-type]
    assert roomy.choices[0].finish_reason == "stop" and roomy.choices[0].message.content == full


def test_stop_sequences(server: str) -> None:
    full = _full(server)
    resp = _client(server).chat.completions.create(model="kubesage-kb", messages=QUESTION,  # type: ignore[arg-type]
                                                    stop=["\nSolution:", "never-there"])  # fmt: skip
    text = resp.choices[0].message.content or ""
    assert text == full[: full.index("\nSolution:")] and resp.choices[0].finish_reason == "stop"
    single = _client(server).chat.completions.create(model="kubesage-kb", messages=QUESTION, stop="Sources:")  # type: ignore[arg-type]
    assert "Sources:" not in (single.choices[0].message.content or "")


def test_n_choices(server: str) -> None:
    resp = _client(server).chat.completions.create(model="kubesage-kb", messages=QUESTION, n=3)  # type: ignore[arg-type]
    assert [c.index for c in resp.choices] == [0, 1, 2]
    assert len({c.message.content for c in resp.choices}) == 1  # the kb backend is deterministic
    assert resp.usage is not None
    one = _client(server).chat.completions.create(model="kubesage-kb", messages=QUESTION)  # type: ignore[arg-type]
    assert one.usage is not None and resp.usage.completion_tokens == 3 * one.usage.completion_tokens


def test_streaming_n_and_usage(server: str) -> None:
    stream = _client(server).chat.completions.create(
        model="kubesage-kb", messages=QUESTION, n=2, stream=True, stream_options={"include_usage": True}  # type: ignore[arg-type]
    )
    texts = {0: "", 1: ""}
    finishes = {}
    usage = None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
            assert chunk.choices == []
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
            if choice.finish_reason:
                finishes[choice.index] = choice.finish_reason
    assert texts[0] == texts[1] == _full(server) and finishes == {0: "stop", 1: "stop"}
    assert usage is not None and usage.completion_tokens > 0 and usage.total_tokens > usage.completion_tokens


def test_json_object(server: str) -> None:
    resp = _client(server).chat.completions.create(model="kubesage-kb", messages=QUESTION,  # type: ignore[arg-type]
                                                    response_format={"type": "json_object"})  # fmt: skip
    data = json.loads(resp.choices[0].message.content or "")
    assert data["error"] and data["solution"] and len(data["steps"]) >= 2 and data["refused"] is False
    assert data["sources"][0]["title"] and data["answer"].startswith("Error: ")


class Source(BaseModel):
    title: str
    url: str


class Diagnosis(BaseModel):
    error: str
    steps: list[str]
    sources: list[Source]
    refused: bool
    confidence: float
    note: str | None


def test_sdk_parse_with_a_pydantic_model(server: str) -> None:
    resp = _client(server).chat.completions.parse(model="kubesage-kb", messages=QUESTION,  # type: ignore[arg-type]
                                                   response_format=Diagnosis)  # fmt: skip
    parsed = resp.choices[0].message.parsed
    assert parsed is not None and isinstance(parsed, Diagnosis)
    assert "image" in parsed.error.lower() and len(parsed.steps) >= 2 and parsed.refused is False
    assert parsed.sources and parsed.sources[0].url and 0 < parsed.confidence <= 1 and parsed.note is None


def test_sdk_parse_refusal(server: str) -> None:
    resp = _client(server).chat.completions.parse(model="kubesage-kb", messages=OFF_TOPIC,  # type: ignore[arg-type]
                                                   response_format=Diagnosis)  # fmt: skip
    message = resp.choices[0].message
    assert message.parsed is None and message.refusal == "I don't know"


class Poem(BaseModel):
    title: str
    stanzas: list[str]


def test_unfillable_schema_is_400(server: str) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        _client(server).chat.completions.parse(model="kubesage-kb", messages=QUESTION, response_format=Poem)  # type: ignore[arg-type]
    assert err.value.param == "response_format" and err.value.code == "unsupported_schema"
    assert "'title'" in err.value.message


def test_tools_are_refused_unless_tool_choice_none(server: str) -> None:
    tools = [{"type": "function", "function": {"name": "kubectl", "parameters": {"type": "object", "properties": {}}}}]
    with pytest.raises(openai.BadRequestError) as err:
        _client(server).chat.completions.create(model="kubesage-kb", messages=QUESTION, tools=tools)  # type: ignore[arg-type]
    assert err.value.param == "tools" and err.value.code == "unsupported_parameter"
    assert "never calls functions" in err.value.message
    ok = _client(server).chat.completions.create(model="kubesage-kb", messages=QUESTION,  # type: ignore[arg-type]
                                                  tools=tools, tool_choice="none")  # type: ignore[arg-type]
    assert ok.choices[0].message.tool_calls is None and ok.choices[0].message.content


@pytest.mark.parametrize(
    ("extra", "param", "code"),
    [
        ({"temperature": "hot"}, "temperature", "invalid_type"),
        ({"n": 0}, "n", "value_below_min_value"),
        ({"n": 100}, "n", "value_above_max_value"),
        ({"top_p": 1.5}, "top_p", "value_above_max_value"),
        ({"max_tokens": 0}, "max_tokens", "value_below_min_value"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "array_above_max_length"),
        ({"stream": "yes"}, "stream", "invalid_type"),
        ({"response_format": {"type": "xml"}}, "response_format.type", "invalid_value"),
        ({"logprobs": True}, "logprobs", "unsupported_parameter"),
        ({"frobnicate": 1}, "frobnicate", "unknown_parameter"),
        ({"stream_options": {"include_usage": True}}, "stream_options", "invalid_value"),
    ],
)  # fmt: skip
def test_invalid_values_are_400_in_openai_shape(server: str, extra: dict[str, object], param: str, code: str) -> None:
    resp = httpx.post(f"{server}/v1/chat/completions", json={"model": "m", "messages": QUESTION, **extra})
    assert resp.status_code == 400, resp.text
    error = resp.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["param"] == param and error["code"] == code
    assert "\n" not in error["message"]
    with pytest.raises(openai.BadRequestError):  # the SDK sees the same
        _client(server).chat.completions.create(model="m", messages=QUESTION, extra_body=extra)  # type: ignore[arg-type]


@pytest.mark.parametrize("stream", [False, True])
def test_lone_surrogate_in_model_is_400(server: str, stream: bool) -> None:
    body = b'{"model": "\\ud800x", "stream": %s, "messages": [{"role": "user", "content": "OOMKilled"}]}' % (
        b"true" if stream else b"false"
    )
    resp = httpx.post(f"{server}/v1/chat/completions", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 400 and resp.headers["content-type"] == "application/json"
    error = resp.json()["error"]
    assert error["param"] == "model" and "surrogate" in error["message"]
    resp = httpx.post(f"{server}/completions", content=b'{"prompt": "x", "options": {"message": "a\\udc00"}}',
                      headers={"content-type": "application/json"})
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "options.message"


def test_image_parts_are_refused(server: str) -> None:
    content = [{"type": "image_url", "image_url": {"url": "https://example.com/x.png"}}]
    with pytest.raises(openai.BadRequestError) as err:
        _client(server).chat.completions.create(model="m", messages=[{"role": "user", "content": content}])  # type: ignore[list-item,misc]
    assert "text only" in err.value.message
