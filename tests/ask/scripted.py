"""Scripted model replies in the providers' wire formats, and a config pointing ask at a local server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from kubesage.config import Config
from llm.wire import Reply

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "examples" / "demo-cluster")
KEY = "sk-test-0123456789abcdef"


def config_for(name: str, url: str, **extra: Any) -> Config:
    data: dict[str, Any] = {"ai": {"providers": [{"name": name, "password": KEY, "baseurl": url, "model": "m-1"}],
                                   "defaultprovider": name}}  # fmt: skip
    data.update(extra)
    return Config.model_validate(data)


def write_config(config: Config, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config.to_yaml_dict()), encoding="utf-8")
    return path


# -- OpenAI chat completions -------------------------------------------------------------------


def openai_calls(*calls: tuple[str, Any], tokens: tuple[int, int] = (100, 20)) -> Reply:
    """One assistant turn calling tools; arguments may be a dict or a raw (possibly malformed) string."""
    tool_calls = [
        {"id": f"call_{i}", "type": "function",
         "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)}}
        for i, (name, args) in enumerate(calls, 1)
    ]  # fmt: skip
    return Reply(body={
        "id": "chatcmpl-t", "object": "chat.completion", "created": 1700000000, "model": "m-1",
        "choices": [{"index": 0, "finish_reason": "tool_calls",
                     "message": {"role": "assistant", "content": None, "tool_calls": tool_calls}}],
        "usage": {"prompt_tokens": tokens[0], "completion_tokens": tokens[1], "total_tokens": sum(tokens)},
    })  # fmt: skip


def openai_text(text: str, tokens: tuple[int, int] = (150, 40)) -> Reply:
    return Reply(body={
        "id": "chatcmpl-a", "object": "chat.completion", "created": 1700000000, "model": "m-1",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": tokens[0], "completion_tokens": tokens[1], "total_tokens": sum(tokens)},
    })  # fmt: skip


# -- Anthropic messages -------------------------------------------------------------------------


def anthropic_calls(*calls: tuple[str, dict[str, Any]], text: str = "") -> Reply:
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    content += [{"type": "tool_use", "id": f"toolu_{i}", "name": n, "input": a} for i, (n, a) in enumerate(calls, 1)]
    return Reply(body={"id": "msg_t", "type": "message", "role": "assistant", "model": "m-1", "content": content,
                       "stop_reason": "tool_use", "stop_sequence": None,
                       "usage": {"input_tokens": 120, "output_tokens": 30}})  # fmt: skip


def anthropic_text(text: str) -> Reply:
    return Reply(body={"id": "msg_a", "type": "message", "role": "assistant", "model": "m-1",
                       "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
                       "usage": {"input_tokens": 200, "output_tokens": 50}})  # fmt: skip


# -- Ollama /api/chat ----------------------------------------------------------------------------


def ollama_calls(*calls: tuple[str, dict[str, Any]]) -> Reply:
    return Reply(body={"model": "m-1", "created_at": "2026-01-02T03:04:05Z", "done": True,
                       "message": {"role": "assistant", "content": "",
                                   "tool_calls": [{"function": {"name": n, "arguments": a}} for n, a in calls]},
                       "prompt_eval_count": 90, "eval_count": 12})  # fmt: skip


def ollama_text(text: str) -> Reply:
    return Reply(body={"model": "m-1", "created_at": "2026-01-02T03:04:05Z", "done": True,
                       "message": {"role": "assistant", "content": text}, "prompt_eval_count": 150,
                       "eval_count": 30})  # fmt: skip


# -- Gemini generateContent ----------------------------------------------------------------------


def gemini_calls(*calls: tuple[str, dict[str, Any]]) -> Reply:
    parts = [{"functionCall": {"name": n, "args": a}} for n, a in calls]
    return Reply(body={"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP",
                                       "index": 0}],
                       "usageMetadata": {"promptTokenCount": 80, "candidatesTokenCount": 10,
                                         "totalTokenCount": 90}})  # fmt: skip


def gemini_text(text: str) -> Reply:
    return Reply(body={"candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                                       "finishReason": "STOP", "index": 0}],
                       "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 20,
                                         "totalTokenCount": 120}})  # fmt: skip


def never(_: Any) -> Reply:
    """Responder for calls beyond the script: a 500 the client reports (and the test sees)."""
    return Reply(500, {"error": {"message": "unscripted model call", "type": "server_error"}})
