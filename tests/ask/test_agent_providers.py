"""The agent loop over the Anthropic, Gemini and Ollama wire formats, and one-prompt mode for customrest."""

from __future__ import annotations

from typing import Any

from kubesage.ask.session import AskOptions, Session
from kubesage.mcp.workspace import Source, Workspace
from llm.wire import customrest_answer, serve

from .scripted import (
    DEMO,
    anthropic_calls,
    anthropic_text,
    config_for,
    gemini_calls,
    gemini_text,
    never,
    ollama_calls,
    ollama_text,
)

POD = "checkout-7d9f8c6b5d-6fz4x"


def _session(name: str, url: str, **opts: Any) -> Session:
    config = config_for(name, url)
    return Session(Workspace(Source(snapshots=(DEMO,)), config=config), config, AskOptions(**opts))


def test_anthropic_tool_use_parallel_error_and_loop() -> None:
    with serve(never) as srv:
        srv.scripted += [
            anthropic_calls(("analyze", {"namespace": "shop"}),
                            ("logs", {"pod": "no-such-pod", "namespace": "shop"}), text="Looking."),
            anthropic_calls(("analyze", {"namespace": "shop"})),
            anthropic_calls(("analyze", {"namespace": "shop"})),
            anthropic_text("checkout cannot pull its image [1]."),
        ]  # fmt: skip
        with _session("anthropic", srv.url) as s:
            answer = s.ask("why is checkout stuck?")
    first, second, _, final = (r.json() for r in srv.requests)
    assert srv.requests[0].path == "/v1/messages"
    assert {t["name"] for t in first["tools"]} >= {"analyze", "logs", "get_resource"}
    assert all(t["input_schema"]["type"] == "object" for t in first["tools"])
    assert "never instructions" in first["system"]
    assistant, results = second["messages"][1], second["messages"][2]
    assert [b["type"] for b in assistant["content"]] == ["text", "tool_use", "tool_use"]
    assert [b["tool_use_id"] for b in results["content"]] == ["toolu_1", "toolu_2"]
    assert [b["is_error"] for b in results["content"]] == [False, True]
    assert "<cluster-data" in results["content"][0]["content"] and "not found" in results["content"][1]["content"]
    # Two duplicate turns stop the loop; the last turn keeps the tools defined but may not use them.
    assert final["tool_choice"] == {"type": "none"} and final["tools"]
    assert final["messages"][-1]["role"] == "user" and final["messages"][-1]["content"][-1]["type"] == "text"
    assert answer.stopped == "loop" and answer.text == "checkout cannot pull its image [1]."
    assert answer.prompt_tokens == 3 * 120 + 200


def test_anthropic_write_tool_refused() -> None:
    with serve(never) as srv:
        srv.scripted += [anthropic_calls(("scale_deployment", {"name": "checkout", "replicas": 0})),
                         anthropic_calls(("analyze", {"namespace": "shop"})),
                         anthropic_text("checkout: ImagePullBackOff [1]; I will not scale anything.")]  # fmt: skip
        with _session("anthropic", srv.url) as s:
            answer = s.ask("scale checkout to zero")
    refused = srv.requests[1].json()["messages"][2]["content"][0]
    assert refused["is_error"] is True and "read-only" in refused["content"]
    assert [o.status for o in answer.observations] == ["refused", "ok"]


def test_gemini_function_calls() -> None:
    with serve(never) as srv:
        srv.scripted += [gemini_calls(("events", {"kind": "Pod", "name": POD, "namespace": "shop"}),
                                      ("analyze", {"namespace": "shop"})),
                         gemini_text("The image tag v1.4.O does not exist [1].")]  # fmt: skip
        with _session("google", srv.url) as s:
            answer = s.ask("why is checkout stuck?")
    first, second = (r.json() for r in srv.requests)
    decls = first["tools"][0]["functionDeclarations"]
    assert {d["name"] for d in decls} >= {"analyze", "events"}
    assert "never instructions" in first["systemInstruction"]["parts"][0]["text"]
    responses = second["contents"][-1]["parts"]
    assert [p["functionResponse"]["name"] for p in responses] == ["events", "analyze"]
    assert "ErrImagePull" in responses[0]["functionResponse"]["response"]["output"]
    assert answer.mode == "agent" and not answer.refused and answer.steps == 2


def test_ollama_chat_tools() -> None:
    with serve(never) as srv:
        srv.scripted += [ollama_calls(("analyze", {"namespace": "payments"})),
                         ollama_text("ledger-worker lacks DATABASE_URL [1].")]  # fmt: skip
        with _session("ollama", srv.url) as s:
            answer = s.ask("what is broken in payments?")
    first, second = (r.json() for r in srv.requests)
    assert srv.requests[0].path == "/api/chat" and first["stream"] is False
    assert first["tools"][0]["type"] == "function"
    tool_msg = second["messages"][-1]
    assert tool_msg["role"] == "tool" and tool_msg["tool_name"] == "analyze" and "ledger-worker" in tool_msg["content"]
    assert answer.text == "ledger-worker lacks DATABASE_URL [1]." and answer.prompt_tokens == 240


def test_provider_without_tool_calling_gets_one_prompt_with_the_evidence() -> None:
    reply = customrest_answer("checkout's image tag v1.4.O does not exist [1].")
    with serve(lambda r: reply) as srv, _session("customrest", srv.url) as s:
        answer = s.ask("why is checkout in shop not rolling out?")
    (req,) = srv.requests
    prompt = req.json()["prompt"]
    assert "<cluster-data" in prompt and "ErrImagePull" in prompt and "never instructions" in prompt
    assert answer.mode == "inline" and answer.steps == 1 and not answer.refused
    assert any(o.tool == "events" for o in answer.observations) and [o.ref for o in answer.cited()] == [1]


def test_azure_openai_deployment_tool_calls() -> None:
    from kubesage.config import Config

    from .scripted import KEY, openai_calls, openai_text

    with serve(never) as srv:
        srv.scripted += [openai_calls(("analyze", {"namespace": "data"})),
                         openai_text("analytics-db's claim asks for storage class fast-ssd [1].")]  # fmt: skip
        config = Config.model_validate({"ai": {"defaultprovider": "azureopenai", "providers": [
            {"name": "azureopenai", "password": KEY, "baseurl": srv.url, "engine": "gpt4o-prod"}]}})  # fmt: skip
        with Session(Workspace(Source(snapshots=(DEMO,)), config=config), config, AskOptions()) as s:
            answer = s.ask("why is analytics-db pending?")
    first = srv.requests[0]
    assert first.path == "/openai/deployments/gpt4o-prod/chat/completions" and first.headers["api-key"] == KEY
    assert first.json()["tools"] and answer.mode == "agent" and not answer.refused
