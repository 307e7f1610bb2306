"""openai / localai / azureopenai against a local server speaking the OpenAI wire format."""

from __future__ import annotations

import pytest

from kubesage.config import Config, ProviderConfig
from kubesage.llm.base import CompletionRequest, LLMError
from kubesage.llm.registry import create, resolve
from kubesage.untrusted import DATA_INSTRUCTION

from .wire import Reply, echo_openai, openai_answer, openai_error, serve, unreachable_url

KEY = "sk-test-0123456789abcdef"


def backend(name: str, **fields: object):  # type: ignore[no-untyped-def]
    config = Config.model_validate({"ai": {"providers": [{"name": name, **fields}]}})
    info, provider = resolve(config, name)
    return create(info, provider, config)


def test_openai_request_shape_and_answer() -> None:
    with serve(lambda r: openai_answer("Error: x\nSolution: y")) as srv:
        b = backend("openai", password=KEY, baseurl=srv.url + "/v1", model="gpt-4o-mini")
        out = b.complete(CompletionRequest(prompt="why?"))
    assert out.text == "Error: x\nSolution: y"
    assert (out.prompt_tokens, out.completion_tokens) == (11, 7)
    (req,) = srv.requests
    assert req.path == "/v1/chat/completions"
    assert req.headers["authorization"] == f"Bearer {KEY}"
    body = req.json()
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"] == [{"role": "system", "content": DATA_INSTRUCTION}, {"role": "user", "content": "why?"}]
    assert body["temperature"] == 0.0
    assert body["top_p"] == 0.5
    assert body["max_completion_tokens"] == 2048
    assert "stream" not in body or body["stream"] is False


def test_history_is_sent_as_turns() -> None:
    with serve(echo_openai) as srv:
        b = backend("openai", password=KEY, baseurl=srv.url)
        b.complete(CompletionRequest(prompt="and now?", history=(("user", "q1"), ("assistant", "a1"))))
    assert srv.requests[0].json()["messages"] == [
        {"role": "system", "content": DATA_INSTRUCTION},
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "and now?"},
    ]


def test_custom_headers_and_organization() -> None:
    with serve(echo_openai) as srv:
        b = backend("openai", password=KEY, baseurl=srv.url, organizationid="org-1", customHeaders=[{"X-Team": "sre"}])
        b.complete(CompletionRequest(prompt="p"))
    h = srv.requests[0].headers
    assert h["openai-organization"] == "org-1"
    assert h["x-team"] == "sre"


def test_bad_key_is_diagnosed_without_leaking_it() -> None:
    err_body = openai_error(401, f"Incorrect API key provided: {KEY}.", "invalid_request_error", "invalid_api_key")
    with serve(lambda r: err_body) as srv:
        b = backend("openai", password=KEY, baseurl=srv.url)
        with pytest.raises(LLMError) as exc:
            b.complete(CompletionRequest(prompt="p"))
    msg = str(exc.value)
    assert "bad or missing API key (HTTP 401)" in msg
    assert KEY not in msg and "0123456789" not in msg
    assert exc.value.retryable is False and exc.value.status == 401


def test_unknown_model_vs_wrong_url() -> None:
    unknown = openai_error(404, "The model `gpt-9` does not exist", "invalid_request_error", "model_not_found")
    with serve(lambda r: unknown) as srv, pytest.raises(LLMError, match=r"unknown model 'gpt-9'"):
        backend("openai", password=KEY, baseurl=srv.url, model="gpt-9").complete(CompletionRequest(prompt="p"))
    html = Reply(404, "<html>404 page not found</html>", {"Content-Type": "text/html"})
    wrong = r"wrong URL: .*/chat/completions answered HTTP 404"
    with serve(lambda r: html) as srv, pytest.raises(LLMError, match=wrong):
        backend("openai", password=KEY, baseurl=srv.url + "/wrong").complete(CompletionRequest(prompt="p"))


def test_rate_limit_is_retryable_with_retry_after() -> None:
    reply = openai_error(429, "Rate limit reached", "requests", "rate_limit_exceeded", {"Retry-After": "7"})
    with serve(lambda r: reply) as srv, pytest.raises(LLMError) as exc:
        backend("openai", password=KEY, baseurl=srv.url).complete(CompletionRequest(prompt="p"))
    assert exc.value.retryable and exc.value.status == 429 and exc.value.retry_after == 7.0
    assert len(srv.requests) == 1, "the SDK's own retries must be off"


def test_server_error_is_retryable() -> None:
    with serve(lambda r: openai_error(503, "overloaded", "server_error")) as srv, pytest.raises(LLMError) as exc:
        backend("openai", password=KEY, baseurl=srv.url).complete(CompletionRequest(prompt="p"))
    assert exc.value.retryable and exc.value.status == 503
    assert len(srv.requests) == 1


def test_unreachable_and_timeout() -> None:
    with pytest.raises(LLMError, match=r"cannot reach 127\.0\.0\.1:\d+") as exc:
        backend("openai", password=KEY, baseurl=unreachable_url()).complete(CompletionRequest(prompt="p"))
    assert exc.value.retryable
    late = serve(lambda r: openai_answer("late"), latency=1.0)
    with late as srv, pytest.raises(LLMError, match=r"within 0\.2s \(timeout\)"):
        backend("openai", password=KEY, baseurl=srv.url, timeout=0.2).complete(CompletionRequest(prompt="p"))


def test_localai_needs_no_key_and_sends_max_tokens() -> None:
    with serve(lambda r: openai_answer("ok", "llama")) as srv:
        b = backend("localai", baseurl=srv.url + "/v1", model="llama")
        assert b.complete(CompletionRequest(prompt="p")).text == "ok"
    body = srv.requests[0].json()
    assert srv.requests[0].path == "/v1/chat/completions"
    assert body["max_tokens"] == 2048 and "max_completion_tokens" not in body
    assert b.name == "localai"


def test_azure_path_query_and_api_key_header() -> None:
    with serve(lambda r: openai_answer("azure ok")) as srv:
        b = backend(
            "azureopenai",
            password=KEY,
            baseurl=srv.url,
            engine="my-gpt4o",
            azureapiversion="2024-06-01",
            temperature=0.2,
        )
        assert b.complete(CompletionRequest(prompt="p")).text == "azure ok"
    (req,) = srv.requests
    assert req.path == "/openai/deployments/my-gpt4o/chat/completions"
    assert req.query["api-version"] == ["2024-06-01"]
    assert req.headers["api-key"] == KEY
    assert "authorization" not in req.headers
    body = req.json()
    assert body["temperature"] == 0.2
    assert "top_p" not in body and "max_completion_tokens" not in body


def test_azure_ad_token_and_default_api_version() -> None:
    with serve(lambda r: openai_answer("ok")) as srv:
        backend("azureopenai", password=KEY, baseurl=srv.url, engine="dep", azureapitype="AZURE_AD").complete(
            CompletionRequest(prompt="p")
        )
    req = srv.requests[0]
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert req.query["api-version"] == ["2024-10-21"]


def test_azure_wrong_deployment_is_a_404_diagnosis() -> None:
    reply = openai_error(
        404, "The API deployment for this resource does not exist.", "invalid_request_error", "DeploymentNotFound"
    )
    with serve(lambda r: reply) as srv, pytest.raises(LLMError, match="HTTP 404"):
        backend("azureopenai", password=KEY, baseurl=srv.url, engine="nope").complete(CompletionRequest(prompt="p"))


def test_provider_config_model_is_required_fields() -> None:
    from kubesage.errors import KubesageError

    with pytest.raises(KubesageError, match="azureopenai needs --baseurl"):
        backend("azureopenai", password=KEY)
    assert ProviderConfig(name="x").timeout == 60.0
