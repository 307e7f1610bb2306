"""`kubesage serve --mcp`: the official MCP client over streamable HTTP against /mcp of the RAG server."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_harness import CALLS, DEMO, KUBESAGE, TOKEN, free_port, isolated_env, listening


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data dir for the module: the starter KB is built once."""
    return tmp_path_factory.mktemp("serve-mcp")


def _serve(base: Path, port: int, *args: str) -> list[str]:
    return [KUBESAGE, "serve", "--port", str(port), "--workers", "1", *args]


async def _session(url: str, token: str) -> dict[str, Any]:
    import httpx2

    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    async with http, Client(streamable_http_client(url, http_client=http)) as client:
        tools = (await client.list_tools()).tools
        return {
            "tools": tools,
            "kb_search": await client.call_tool("kb_search", CALLS["kb_search"]),
            "analyze": await client.call_tool("analyze", {"namespace": "shop"}),
        }


def test_serve_mcp_with_the_official_client_and_the_server_token(base: Path) -> None:
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    with listening(_serve(base, port, "--mcp", "--snapshot", DEMO, "--token", TOKEN), isolated_env(base), port):
        # No token, a wrong token: 401 from the server's guard, as for every other route.
        for headers in ({}, {"Authorization": "Bearer wrong-token-xxxxxxxx"}):
            r = httpx.post(f"{root}/mcp", json={}, headers=headers)
            assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
            assert r.json()["error"]["type"] == "authentication_error"
        out = anyio.run(_session, f"{root}/mcp", TOKEN)
        # The rest of the server is unchanged, behind the same token.
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert httpx.post(f"{root}/v1/search", json={"query": "OOMKilled"}).status_code == 401
        search = httpx.post(f"{root}/v1/search", json={"query": "OOMKilled"}, headers=auth, timeout=30)
        assert search.status_code == 200 and search.json()
        assert httpx.get(f"{root}/healthz").status_code == 200
        metrics = httpx.get(f"{root}/metrics", headers=auth).text
    tools = {t.name: t for t in out["tools"]}
    assert set(tools) == set(CALLS)  # the read-only catalogue of `kubesage mcp`, no write tool
    assert all(t.annotations.read_only_hint is True for t in tools.values())
    for name in ("kb_search", "analyze"):
        assert out[name].is_error is False, out[name].content
    assert "runbook" in out["kb_search"].content[0].text
    analyzed = out["analyze"].content[0].text
    assert "Deployment shop/checkout" in analyzed and "ProgressDeadlineExceeded" in analyzed
    assert 'route="/mcp",status="200"' in metrics


def test_serve_mcp_without_token_protects_only_mcp_with_its_own(base: Path) -> None:
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    with listening(_serve(base, port, "--mcp", "--snapshot", DEMO), isolated_env(base), port) as proc:
        assert proc.stderr is not None
        line = ""
        while "MCP bearer token" not in line:  # printed before the server listens
            line = proc.stderr.readline()
            assert line, "no MCP token on stderr"
        token = line.rsplit(":", 1)[1].strip()
        assert len(token) >= 24
        assert httpx.post(f"{root}/mcp", json={}).status_code == 401
        assert httpx.post(f"{root}/mcp", json={}, headers={"Authorization": f"Bearer {token}x"}).status_code == 401
        # The KB routes stay open on loopback, as without --mcp.
        assert httpx.post(f"{root}/v1/search", json={"query": "OOMKilled"}, timeout=30).status_code == 200
        out = anyio.run(_session, f"{root}/mcp", token)
    assert set(t.name for t in out["tools"]) == set(CALLS)
    assert out["analyze"].is_error is False and "Deployment shop/checkout" in out["analyze"].content[0].text


def test_serve_without_mcp_says_how_to_enable_it(base: Path) -> None:
    port = free_port()
    with listening(_serve(base, port), isolated_env(base), port):
        r = httpx.post(f"http://127.0.0.1:{port}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "initialize"})
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
    error = r.json()["error"]
    assert error["code"] == "mcp_not_enabled" and "kubesage serve --mcp" in error["message"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--snapshot", DEMO], "--snapshot and --namespace only apply with --mcp"),
        (["--mcp", "--snapshot", "/nonexistent/snapshot"], "Error:"),
    ],
)
def test_serve_mcp_bad_options_fail_with_one_line(base: Path, args: list[str], message: str) -> None:
    proc = subprocess.run(_serve(base, free_port(), *args), env=isolated_env(base), capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode != 0
    err = proc.stderr.strip()
    assert message in err and "Traceback" not in err and len(err.splitlines()) == 1, err
