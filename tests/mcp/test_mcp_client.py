"""`ask`'s MCP client: external servers from config add namespaced tools to the loop.

Against kubesage's own `kubesage mcp` (stdio), and against the third-party `kubernetes-mcp-server` (npm,
installed by `python tools/kubernetes_mcp_server.py install`) pointed at the real test cluster.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_harness import DEMO, KUBESAGE, stdio_params

from ask.scripted import KEY, never, openai_calls, openai_text
from kubesage.ask.session import AskOptions, Session
from kubesage.config import Config
from kubesage.errors import KubesageError
from kubesage.mcp.workspace import Source, Workspace
from llm.wire import serve

ROOT = Path(__file__).resolve().parents[2]


def _config(url: str, servers: list[dict[str, Any]]) -> Config:
    return Config.model_validate({
        "ai": {"providers": [{"name": "openai", "password": KEY, "baseurl": url + "/v1", "model": "m-1"}],
               "defaultprovider": "openai"},
        "ask": {"mcp_servers": servers},
    })  # fmt: skip


def _tools(body: dict[str, Any]) -> list[str]:
    return [t["function"]["name"] for t in body["tools"]]


def _tool_messages(body: dict[str, Any]) -> list[str]:
    return [m["content"] for m in body["messages"] if m["role"] == "tool"]


def test_ask_calls_kubesage_own_mcp_server_over_stdio(tmp_path: Path) -> None:
    own = stdio_params(tmp_path, "--snapshot", DEMO)
    servers = [{"name": "self", "command": own.command, "args": own.args, "env": own.env}]
    with serve(never) as srv:
        srv.scripted += [
            openai_calls(("self__analyze", {"namespace": "payments"}),
                         ("self__get_resource", {"kind": "Secret", "name": "payments-db", "namespace": "payments"})),
            openai_text("ledger-worker lacks DATABASE_URL [1]."),
        ]  # fmt: skip
        config = _config(srv.url, servers)
        with Session(Workspace(Source(snapshots=(DEMO,)), config=config), config, AskOptions()) as session:
            answer = session.ask("what is broken in payments?")
    names = _tools(srv.requests[0].json())
    assert {"self__analyze", "self__kb_search", "self__logs", "analyze"} <= set(names)
    outputs = _tool_messages(srv.requests[1].json())
    assert "ledger-worker" in outputs[0] and outputs[0].startswith("<cluster-data")
    assert "password" in outputs[1] and "not-a-real-password" not in outputs[1]
    assert [o.tool for o in answer.observations] == ["self__analyze", "self__get_resource"]
    assert not answer.refused


def test_bad_external_server_config_is_one_line_error(tmp_path: Path) -> None:
    config = _config("http://127.0.0.1:9", [{"name": "x y", "command": "true"}])
    with pytest.raises(KubesageError, match=r"ask.mcp_servers\[0\].name"):
        Session(Workspace(Source(snapshots=(DEMO,)), config=config), config, AskOptions()).__enter__()
    config = _config("http://127.0.0.1:9", [{"name": "gone", "command": str(tmp_path / "no-such-binary")}])
    with pytest.raises(KubesageError, match="MCP server gone: cannot connect"):
        Session(Workspace(Source(snapshots=(DEMO,)), config=config), config, AskOptions()).__enter__()


def _load_installer() -> Any:
    spec = importlib.util.spec_from_file_location("kubernetes_mcp_server", ROOT / "tools" / "kubernetes_mcp_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Resolved at import, before the per-test fixture points XDG_CACHE_HOME at a temp dir.
K8S_MCP_SERVER = os.environ.get("KUBESAGE_K8S_MCP_SERVER") or str(_load_installer().binary())


def _k8s_mcp_server() -> str:
    if not Path(K8S_MCP_SERVER).is_file():
        message = (f"kubernetes-mcp-server is not installed at {K8S_MCP_SERVER} "
                   "(python tools/kubernetes_mcp_server.py install)")  # fmt: skip
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return K8S_MCP_SERVER


@pytest.mark.real
def test_ask_with_third_party_kubernetes_mcp_server_on_the_real_cluster(real_demo: Any) -> None:
    binary = _k8s_mcp_server()
    servers = [{"name": "k8s", "command": binary,
                "args": ["--kubeconfig", str(real_demo.kubeconfig), "--disable-multi-cluster"]}]  # fmt: skip
    with serve(never) as srv:
        srv.scripted += [
            openai_calls(("k8s__pods_list_in_namespace", {"namespace": "shop"}),
                         ("k8s__resources_delete", {"apiVersion": "v1", "kind": "Pod", "namespace": "shop",
                                                    "name": "checkout-7d9f8c6b5d-6fz4x"})),
            openai_calls(("k8s__events_list", {"namespace": "shop"})),
            openai_text("checkout-7d9f8c6b5d-6fz4x cannot pull its image [1][2]."),
        ]  # fmt: skip
        config = _config(srv.url, servers)
        workspace = Workspace(Source(kubeconfig=str(real_demo.kubeconfig)), config=config)
        with Session(workspace, config, AskOptions()) as session:
            answer = session.ask("why is checkout stuck?")
        workspace.close()
    names = _tools(srv.requests[0].json())
    assert "k8s__pods_list_in_namespace" in names and "k8s__events_list" in names
    assert not any(n.endswith(("resources_delete", "resources_create_or_update", "pods_delete")) for n in names)
    first = _tool_messages(srv.requests[1].json())
    assert "checkout-7d9f8c6b5d-6fz4x" in first[0]
    assert "read-only" in first[1]
    assert [o.status for o in answer.observations] == ["ok", "refused", "ok"]
    assert "ImagePull" in answer.observations[2].text or "image" in answer.observations[2].text.lower()
    # The pod is still there: nothing was deleted.
    assert real_demo.kubectl("get", "pod", "-n", "shop", "checkout-7d9f8c6b5d-6fz4x").returncode == 0


@pytest.mark.real
def test_kubesage_mcp_on_the_live_real_cluster(real_demo: Any, tmp_path: Path) -> None:
    async def main() -> dict[str, Any]:
        params = stdio_params(tmp_path, "--kubeconfig", str(real_demo.kubeconfig))
        async with Client(params) as client:
            return {
                "analyze": await client.call_tool("analyze", {"namespace": "shop"}),
                "secret": await client.call_tool("get_resource", {"kind": "Secret", "name": "payments-db",
                                                                  "namespace": "payments"}),
                "logs": await client.call_tool("logs", {"pod": "cart-5c7b9d8f6d-gqsrl", "namespace": "shop",
                                                        "previous": True, "tail": 20}),
                "events": await client.call_tool("events", {"kind": "Pod", "name": "checkout-7d9f8c6b5d-6fz4x",
                                                            "namespace": "shop"}),
            }  # fmt: skip

    out = anyio.run(main)
    text = {k: v.content[0].text for k, v in out.items()}
    assert not any(v.is_error for v in out.values()), text
    assert "source: cluster" in text["analyze"] and "Deployment shop/checkout" in text["analyze"]
    assert "password" in text["secret"] and "not-a-real-password" not in text["secret"]
    assert "ErrImagePull" in text["events"]
    assert "REDIS_URL" in text["logs"] or "no previous logs" in text["logs"]
    assert json.dumps(text)  # every output is plain text
    assert KUBESAGE


def test_ask_calls_kubesage_own_mcp_server_over_http(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mcp_harness import TOKEN, http_server

    monkeypatch.setenv("OWN_MCP_TOKEN", TOKEN)
    with http_server(tmp_path, "--snapshot", DEMO) as url, serve(never) as srv:
        srv.scripted += [openai_calls(("own__events", {"kind": "Pod", "name": "checkout-7d9f8c6b5d-6fz4x",
                                                       "namespace": "shop"})),
                         openai_text("The image tag does not exist [1].")]  # fmt: skip
        config = _config(srv.url, [{"name": "own", "url": url, "tokenEnv": "OWN_MCP_TOKEN"}])
        with Session(Workspace(Source(snapshots=(DEMO,)), config=config), config, AskOptions()) as session:
            answer = session.ask("why is checkout stuck?")
    assert "ErrImagePull" in _tool_messages(srv.requests[1].json())[0]
    assert [o.status for o in answer.observations] == ["ok"] and not answer.refused


@pytest.mark.real
def test_offline_planner_on_the_live_demo_cluster(real_demo: Any) -> None:
    from kubesage.ask.planner import investigate
    from kubesage.ask.toolbox import Toolbox

    workspace = Workspace(Source(kubeconfig=str(real_demo.kubeconfig)))
    try:
        checkout = investigate("Why is checkout in shop not rolling out?", Toolbox(workspace))
        cart = investigate("cart 一直重啟，為什麼？", Toolbox(workspace))
    finally:
        workspace.close()
    assert not checkout.refused and "checkout-7d9f8c6b5d-6fz4x" in checkout.text and "v1.4.O" in checkout.text
    assert "source: cluster" in checkout.observations[0].text
    assert not cart.refused and "cart-5c7b9d8f6d" in cart.text and cart.chinese
