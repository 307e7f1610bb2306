"""anthropic, google (Gemini), ollama, customrest and noop against their real wire formats."""

from __future__ import annotations

import json

import pytest

from kubesage.config import Config
from kubesage.errors import KubesageError
from kubesage.llm.base import CompletionRequest, LLMError
from kubesage.llm.registry import create, resolve
from kubesage.untrusted import DATA_INSTRUCTION

from .wire import (
    Reply,
    anthropic_answer,
    anthropic_error,
    customrest_answer,
    gemini_answer,
    gemini_error,
    ollama_answer,
    openai_answer,
    serve,
    unreachable_url,
)

KEY = "sk-ant-test-abcdef0123456789"
GKEY = "AIzaTestKey0123456789"


def backend(name: str, **fields: object):  # type: ignore[no-untyped-def]
    config = Config.model_validate({"ai": {"providers": [{"name": name, **fields}]}})
    info, provider = resolve(config, name)
    return create(info, provider, config)


# -- anthropic ---------------------------------------------------------------------------


def test_anthropic_messages_wire_format() -> None:
    with serve(lambda r: anthropic_answer("Error: e\nSolution: s")) as srv:
        b = backend("anthropic", password=KEY, baseurl=srv.url + "/v1/messages", model="claude-x")
        out = b.complete(CompletionRequest(prompt="explain", history=(("user", "q"), ("assistant", "a"))))
    assert out.text == "Error: e\nSolution: s" and out.prompt_tokens == 12
    (req,) = srv.requests
    assert req.path == "/v1/messages"
    assert req.headers["x-api-key"] == KEY
    assert req.headers["anthropic-version"]  # the SDK's API version
    body = req.json()
    assert body["model"] == "claude-x"
    assert body["max_tokens"] == 2048
    assert body["temperature"] == 0.0
    assert body["messages"] == [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "a"},
        {"role": "user", "content": "explain"},
    ]


def test_anthropic_errors() -> None:
    nf = anthropic_error(404, "not_found_error", "model: claude-nope")
    with serve(lambda r: nf) as srv, pytest.raises(LLMError, match="unknown model 'claude-nope'"):
        backend("anthropic", password=KEY, baseurl=srv.url, model="claude-nope").complete(CompletionRequest(prompt="p"))
    overloaded = anthropic_error(529, "overloaded_error", "Overloaded", {"retry-after": "3"})
    with serve(lambda r: overloaded) as srv, pytest.raises(LLMError) as exc:
        backend("anthropic", password=KEY, baseurl=srv.url).complete(CompletionRequest(prompt="p"))
    assert exc.value.retryable and exc.value.retry_after == 3.0 and len(srv.requests) == 1
    bad_key = anthropic_error(401, "authentication_error", "invalid x-api-key")
    with serve(lambda r: bad_key) as srv, pytest.raises(LLMError, match="bad or missing API key") as exc:
        backend("anthropic", password=KEY, baseurl=srv.url).complete(CompletionRequest(prompt="p"))
    assert KEY not in str(exc.value)


# -- google ------------------------------------------------------------------------------


def test_gemini_generate_content_wire_format() -> None:
    with serve(lambda r: gemini_answer("Error: g\nSolution: h")) as srv:
        b = backend("google", password=GKEY, baseurl=srv.url, model="gemini-2.5-flash", temperature=0.0)
        out = b.complete(CompletionRequest(prompt="explain", history=(("user", "q"), ("assistant", "a"))))
    assert out.text == "Error: g\nSolution: h" and out.prompt_tokens == 9
    (req,) = srv.requests
    assert req.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert req.headers["x-goog-api-key"] == GKEY
    body = req.json()
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "q"}]},
        {"role": "model", "parts": [{"text": "a"}]},
        {"role": "user", "parts": [{"text": "explain"}]},
    ]
    gen = body["generationConfig"]
    assert gen["temperature"] == 0.0 and gen["topP"] == 0.5 and gen["topK"] == 50 and gen["maxOutputTokens"] == 2048


def test_gemini_errors() -> None:
    nf = gemini_error(404, "NOT_FOUND", "models/gemini-nope is not found for API version v1beta")
    with serve(lambda r: nf) as srv, pytest.raises(LLMError, match="unknown model 'gemini-nope'"):
        backend("google", password=GKEY, baseurl=srv.url, model="gemini-nope").complete(CompletionRequest(prompt="p"))
    quota = gemini_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", {"Retry-After": "2"})
    with serve(lambda r: quota) as srv, pytest.raises(LLMError) as exc:
        backend("google", password=GKEY, baseurl=srv.url).complete(CompletionRequest(prompt="p"))
    assert exc.value.retryable and exc.value.status == 429 and exc.value.retry_after == 2.0
    assert len(srv.requests) == 1
    bad = gemini_error(400, "INVALID_ARGUMENT", f"API key not valid. Please pass a valid API key. {GKEY}")
    with serve(lambda r: bad) as srv, pytest.raises(LLMError) as exc:
        backend("google", password=GKEY, baseurl=srv.url).complete(CompletionRequest(prompt="p"))
    assert GKEY not in str(exc.value) and "HTTP 400" in str(exc.value)


# -- ollama ------------------------------------------------------------------------------


def test_ollama_native_generate() -> None:
    with serve(lambda r: ollama_answer("Error: o\nSolution: p")) as srv:
        b = backend("ollama", baseurl=srv.url + "/v1", model="llama3.1", temperature=0.3)
        out = b.complete(CompletionRequest(prompt="explain"))
    assert out.text == "Error: o\nSolution: p" and (out.prompt_tokens, out.completion_tokens) == (20, 8)
    (req,) = srv.requests
    assert req.path == "/api/generate"
    assert "authorization" not in req.headers
    assert req.json() == {
        "model": "llama3.1",
        "prompt": "explain",
        "stream": False,
        "options": {"temperature": 0.3, "top_p": 0.5},
        "system": DATA_INSTRUCTION,
    }


def test_ollama_errors() -> None:
    missing = Reply(404, {"error": 'model "llama9" not found, try pulling it first'})
    with serve(lambda r: missing) as srv, pytest.raises(LLMError, match="unknown model 'llama9'"):
        backend("ollama", baseurl=srv.url, model="llama9").complete(CompletionRequest(prompt="p"))
    with pytest.raises(LLMError, match="cannot reach"):
        backend("ollama", baseurl=unreachable_url()).complete(CompletionRequest(prompt="p"))


# -- customrest --------------------------------------------------------------------------


def test_customrest_exact_bytes() -> None:
    with serve(lambda r: customrest_answer("Error: c\nSolution: d")) as srv:
        url = srv.url + "/completions"
        b = backend("customrest", baseurl=url, model="gpt-4o-mini", password="tok", temperature=0.7)
        prompt = 'Simplify <this>\n\tand & that "quoted" 繁體'
        out = b.complete(CompletionRequest(prompt=prompt, language="english", message="a b"))
    assert out.text == "Error: c\nSolution: d"
    (req,) = srv.requests
    assert req.path == "/completions"
    assert req.headers["content-type"] == "application/json"
    assert req.headers["accept"] == "application/x-ndjson"
    assert req.headers["authorization"] == "Bearer tok"
    expected = (
        '{"model":"gpt-4o-mini","prompt":"Simplify \\u003cthis\\u003e\\n\\tand \\u0026 that \\"quoted\\" 繁體",'
        '"options":{"language":"english","message":"a b","temperature":0.7,"top_k":50,"top_p":0.5}}'
    )
    assert req.body.decode() == expected
    assert list(json.loads(req.body)) == ["model", "prompt", "options"]


def test_customrest_no_key_no_auth_header_and_default_url_model() -> None:
    with serve(lambda r: customrest_answer("ok")) as srv:
        b = backend("customrest", baseurl=srv.url)
        b.complete(CompletionRequest(prompt="p", message="m"))
    assert "authorization" not in srv.requests[0].headers
    assert srv.requests[0].json()["model"] == "llama3"
    assert srv.requests[0].json()["options"]["temperature"] == 0


def test_customrest_error_text_and_bad_answers() -> None:
    down = Reply(503, "backend down", {"Content-Type": "text/plain"})
    with serve(lambda r: down) as srv, pytest.raises(LLMError) as exc:
        backend("customrest", baseurl=srv.url).complete(CompletionRequest(prompt="p"))
    assert str(exc.value) == "Request Error, StatusCode: 503, ErrorMessage: backend down"
    assert exc.value.retryable
    bad_time = Reply(body={"model": "m", "created_at": "yesterday", "response": "x"})
    with serve(lambda r: bad_time) as srv, pytest.raises(LLMError, match="RFC 3339"):
        backend("customrest", baseurl=srv.url).complete(CompletionRequest(prompt="p"))
    ndjson = Reply(body='{"response":"a"}\n{"response":"b"}\n', headers={"Content-Type": "application/x-ndjson"})
    with serve(lambda r: ndjson) as srv, pytest.raises(LLMError, match="did not answer JSON"):
        backend("customrest", baseurl=srv.url).complete(CompletionRequest(prompt="p"))
    no_time = Reply(body={"model": "m", "response": "fine"})
    with serve(lambda r: no_time) as srv:
        assert backend("customrest", baseurl=srv.url).complete(CompletionRequest(prompt="p")).text == "fine"


def test_customrest_chat_turn_sends_question_as_message() -> None:
    with serve(lambda r: customrest_answer("a2")) as srv:
        backend("customrest", baseurl=srv.url).complete(
            CompletionRequest(prompt="q2", message="q2", history=(("user", "ctx q1"), ("assistant", "a1")))
        )
    body = srv.requests[0].json()
    assert body["options"]["message"] == "q2"
    assert body["prompt"] == "User: ctx q1\n\nAssistant: a1\n\nUser: q2\n\nAssistant:"


# -- noop and resolution -----------------------------------------------------------------


def test_noop_text_and_no_config_needed() -> None:
    config = Config()
    for name in ("noop", "noopai"):
        info, provider = resolve(config, name)
        b = create(info, provider, config)
        assert b.complete(CompletionRequest(prompt="P")).text == "I am a noop response to the prompt P"


def test_resolution_rules_and_errors() -> None:
    empty = Config()
    assert resolve(empty)[0].id == "kb"
    expected = r"^AI provider openai not specified in configuration\. Please run kubesage auth add -b openai$"
    with pytest.raises(KubesageError, match=expected):
        resolve(empty, "openai")
    with pytest.raises(KubesageError, match="not supported by kubesage"):
        resolve(empty, "cohere")
    with pytest.raises(KubesageError, match="OpenAI-compatible"):
        resolve(empty, "groq")
    with pytest.raises(KubesageError, match="unknown AI backend 'nope'"):
        resolve(empty, "nope")
    two = Config.model_validate({"ai": {"providers": [{"name": "ollama"}, {"name": "openai", "password": "k"}]}})
    assert resolve(two)[0].id == "ollama"
    two.ai.defaultprovider = "openai"
    assert resolve(two)[0].id == "openai"
    assert resolve(two, "OLLAMA")[0].id == "ollama"


def test_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(KubesageError, match="openai: no API key"):
        backend("openai")
    monkeypatch.setenv("MY_KEY", "sk-from-env-123456")
    with serve(lambda r: openai_answer("ok")) as srv:
        backend("openai", passwordEnv="MY_KEY", baseurl=srv.url).complete(CompletionRequest(prompt="p"))
    assert srv.requests[0].headers["authorization"] == "Bearer sk-from-env-123456"
