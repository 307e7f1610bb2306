"""The OpenAI SDK (and k8sgpt's `localai` shape) against `/v1`."""

from __future__ import annotations

import openai
import pytest

LOCALAI_PROMPT = (
    "Simplify the following Kubernetes error message delimited by triple dashes written in --- english --- language; "
    "--- Service has no endpoints, expected label app=checkout ---.\n\tProvide the most possible solution in a step "
    "by step style in no more than 280 characters. Write the output in the following format:\n\tError: {Explain error "
    "here}\n\tSolution: {Step by step solution here}"
)


def _client(server: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server}/v1", api_key="unused", max_retries=0, timeout=30)


def test_models_list(server: str) -> None:
    models = _client(server).models.list()
    assert [m.id for m in models.data] == ["kubesage-kb"]


def test_chat_completion_k8sgpt_localai_prompt(server: str) -> None:
    resp = _client(server).chat.completions.create(
        model="kubesage-kb", messages=[{"role": "user", "content": LOCALAI_PROMPT}]
    )
    text = resp.choices[0].message.content or ""
    assert resp.choices[0].finish_reason == "stop" and resp.object == "chat.completion"
    assert text.startswith("Error: ") and "Sources:" in text
    assert resp.model_extra and resp.model_extra["sources"]


def test_chat_completion_chinese_question_and_history(server: str) -> None:
    resp = _client(server).chat.completions.create(
        model="kubesage-kb",
        messages=[
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": "hi"},
            {"role": "user", "content": [{"type": "text", "text": "容器記憶體不足被 OOMKilled 怎麼辦？"}]},
        ],
    )
    text = resp.choices[0].message.content or ""
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in text) > 20


def test_streaming_matches_non_streaming(server: str) -> None:
    client = _client(server)
    messages = [{"role": "user", "content": 'Back-off pulling image "nginx:1.27.99"'}]
    whole = client.chat.completions.create(model="kubesage-kb", messages=messages)  # type: ignore[arg-type]
    stream = client.chat.completions.create(model="kubesage-kb", messages=messages, stream=True)  # type: ignore[arg-type]
    parts: list[str] = []
    finish = None
    chunks = 0
    for chunk in stream:
        chunks += 1
        delta = chunk.choices[0].delta
        parts.append(delta.content or "")
        finish = chunk.choices[0].finish_reason or finish
    assert chunks > 3 and finish == "stop"
    assert "".join(parts) == whole.choices[0].message.content


def test_refusal_through_sdk(server: str) -> None:
    resp = _client(server).chat.completions.create(
        model="kubesage-kb", messages=[{"role": "user", "content": "今天台積電的股價是多少？"}]
    )
    assert resp.choices[0].message.content == "我不知道"


def test_bad_messages_are_400(server: str) -> None:
    client = _client(server)
    for messages in ([], [{"role": "assistant", "content": "x"}]):
        with pytest.raises(openai.BadRequestError) as err:
            client.chat.completions.create(model="m", messages=messages)  # type: ignore[arg-type]
        assert err.value.param == "messages" and "messages" in err.value.message
