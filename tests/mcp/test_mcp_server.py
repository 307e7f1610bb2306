"""The official MCP client against `kubesage mcp`, over stdio and streamable HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx
import jsonschema
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_harness import CALLS, DEMO, TOKEN, http_server, stdio_params

EXPECTED_TOOLS = set(CALLS)


async def _exercise(client: Client) -> dict[str, Any]:
    listed = await client.list_tools()
    tools = {t.name: t for t in listed.tools}
    outputs: dict[str, Any] = {"tools": tools}
    for name, args in CALLS.items():
        schema = tools[name].input_schema
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.validate(args, schema)
        result = await client.call_tool(name, args)
        outputs[name] = result
    outputs["bad"] = await client.call_tool("get_resource", {"kind": "Pod", "name": "nope", "namespace": "shop"})
    outputs["badtype"] = await client.call_tool("analyze", {"namespace": 3})
    outputs["unknown"] = await client.call_tool("delete_everything", {})
    outputs["resources"] = (await client.list_resources()).resources
    first = outputs["resources"][0]
    outputs["read"] = await client.read_resource(first.uri)
    outputs["prompts"] = (await client.list_prompts()).prompts
    outputs["prompt"] = await client.get_prompt("investigate-namespace", {"namespace": "payments"})
    return outputs


def _check(out: dict[str, Any]) -> None:
    tools = out["tools"]
    assert set(tools) == EXPECTED_TOOLS
    for tool in tools.values():
        schema = tool.input_schema
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert "$ref" not in str(schema) and "$defs" not in schema and "anyOf" not in str(schema)
        assert tool.annotations.read_only_hint is True
        assert tool.description
    for name in CALLS:
        result = out[name]
        assert result.is_error is False, (name, result.content)
        assert result.content[0].text.strip()
    text = {name: out[name].content[0].text for name in CALLS}
    assert "Deployment shop/checkout" in text["analyze"] and "ProgressDeadlineExceeded" in text["analyze"]
    assert "image" in text["explain"].lower() and "Sources:" in text["explain"]
    assert "runbook" in text["kb_search"]
    assert text["kb_read"].startswith("# OOMKilled") and "## Fix" in text["kb_read"]
    assert "## Causes" not in text["kb_read"]
    assert "Deployment payments/fraud-scorer" in text["list_resources"]
    # A Secret shows its key names, never its values.
    assert "password" in text["get_resource"] and "not-a-real-password" not in text["get_resource"]
    assert "\ndata:" not in text["get_resource"] and "stringData" not in text["get_resource"]
    assert "ErrImagePull" in text["events"] and "newest first" in text["events"]
    assert "previous" in text["logs"] and "redis" in text["logs"].lower()
    assert "Pod (active)" in text["filters"]
    assert "rollback-deployment Deployment/shop/checkout" in text["remediation_plan"]
    assert "nothing was changed" in text["remediation_plan"]
    assert out["bad"].is_error and "not found" in out["bad"].content[0].text
    assert out["badtype"].is_error and "namespace" in out["badtype"].content[0].text
    assert out["unknown"].is_error and "unknown tool" in out["unknown"].content[0].text
    uris = [str(r.uri) for r in out["resources"]]
    assert len(uris) >= 20 and all(u.startswith("kb://") for u in uris)
    assert out["read"].contents[0].text.startswith("# ")
    assert {p.name for p in out["prompts"]} == {"investigate-namespace", "explain-object", "cluster-health"}
    assert "namespace payments" in out["prompt"].messages[0].content.text


def test_stdio_lists_and_calls_every_tool(tmp_path: Path) -> None:
    async def main() -> dict[str, Any]:
        async with Client(stdio_params(tmp_path, "--snapshot", DEMO)) as client:
            return await _exercise(client)

    _check(anyio.run(main))


def test_http_lists_and_calls_every_tool_with_bearer_token(tmp_path: Path) -> None:
    with http_server(tmp_path, "--snapshot", DEMO) as url:
        # No token, a wrong token: 401 before any MCP handling.
        assert httpx.post(url, json={}).status_code == 401
        assert httpx.post(url, json={}, headers={"Authorization": "Bearer wrong-token-xxxxxxxx"}).status_code == 401

        async def main() -> dict[str, Any]:
            import httpx2

            http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
            async with http, Client(streamable_http_client(url, http_client=http)) as client:
                return await _exercise(client)

        _check(anyio.run(main))


def test_truncation_bounds_every_output(tmp_path: Path) -> None:
    async def main() -> Any:
        async with Client(stdio_params(tmp_path, "--snapshot", DEMO, "--max-output", "400")) as client:
            return await client.call_tool("analyze", {})

    result = anyio.run(main)
    text = result.content[0].text
    assert len(text) < 600 and "truncated" in text


def test_bad_snapshot_fails_with_one_line(tmp_path: Path) -> None:
    import subprocess

    from mcp_harness import KUBESAGE, isolated_env

    proc = subprocess.run([KUBESAGE, "mcp", "--snapshot", str(tmp_path / "missing")], env=isolated_env(tmp_path),
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and proc.stderr.strip().startswith("Error:")
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("host", ["0.0.0.0"])
def test_http_refuses_short_token(tmp_path: Path, host: str) -> None:
    import subprocess

    from mcp_harness import KUBESAGE, isolated_env

    proc = subprocess.run([KUBESAGE, "mcp", "-t", "http", "--host", host, "--token", "short", "--snapshot", DEMO],
                          env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode != 0 and "at least 16" in proc.stderr


def test_write_tool_only_with_allow_write_and_never_on_a_snapshot(tmp_path: Path) -> None:
    import subprocess

    from mcp_harness import KUBESAGE, isolated_env

    proc = subprocess.run([KUBESAGE, "mcp", "--allow-write", "--snapshot", DEMO], env=isolated_env(tmp_path),
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode != 0 and "needs a live cluster" in proc.stderr
    proc = subprocess.run([KUBESAGE, "mcp", "--policy", "p.yaml", "--snapshot", DEMO], env=isolated_env(tmp_path),
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode != 0 and "--policy only applies with --allow-write" in proc.stderr

    async def main() -> list[str]:
        async with Client(stdio_params(tmp_path, "--snapshot", DEMO)) as client:
            return [t.name for t in (await client.list_tools()).tools]

    assert "submit_remediation" not in anyio.run(main)
