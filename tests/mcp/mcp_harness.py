"""Start `kubesage mcp` as a real subprocess (stdio or streamable HTTP) for the official client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mcp import StdioServerParameters

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "examples" / "demo-cluster")
KUBESAGE = str(Path(sys.executable).parent / "kubesage")
TOKEN = "test-token-0123456789abcdef"

# Valid arguments for every tool, over the demo cluster.
CALLS: dict[str, dict[str, object]] = {
    "analyze": {"namespace": "shop"},
    "explain": {"text": 'Back-off pulling image "ghcr.io/acme/checkout:v1.4.O"', "kind": "Pod"},
    "kb_search": {"query": "CrashLoopBackOff redis connection refused"},
    "kb_read": {"doc_id": "knowledge/oomkilled", "sections": ["Fix"], "language": "en"},
    "list_resources": {"kind": "Deployment", "namespace": "payments"},
    "get_resource": {"kind": "Secret", "name": "payments-db", "namespace": "payments"},
    "events": {"kind": "Pod", "name": "checkout-7d9f8c6b5d-6fz4x", "namespace": "shop"},
    "logs": {"pod": "cart-5c7b9d8f6d-gqsrl", "namespace": "shop", "previous": True, "tail": 20},
    "filters": {},
    "remediation_plan": {"namespace": "shop"},
}


def isolated_env(base: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBESAGE_") and k != "KUBECONFIG"}
    env.update(XDG_CONFIG_HOME=str(base / "config"), XDG_CACHE_HOME=str(base / "cache"),
               XDG_DATA_HOME=str(base / "data"), NO_COLOR="1")  # fmt: skip
    return env


def stdio_params(base: Path, *args: str) -> StdioServerParameters:
    return StdioServerParameters(command=KUBESAGE, args=["mcp", *args], env=isolated_env(base))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def http_server(base: Path, *args: str, token: str = TOKEN) -> Iterator[str]:
    """`kubesage mcp --transport http` on a free loopback port; yields the endpoint URL."""
    port = free_port()
    env = isolated_env(base) | {"KUBESAGE_MCP_TOKEN": token}
    with listening([KUBESAGE, "mcp", "--transport", "http", "--port", str(port), *args], env, port):
        yield f"http://127.0.0.1:{port}/mcp"


@contextmanager
def listening(argv: list[str], env: dict[str, str], port: int) -> Iterator[subprocess.Popen[str]]:
    """Run `argv` until it accepts connections on 127.0.0.1:`port`; terminate it afterwards."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                detail = proc.stderr.read() if proc.stderr else ""
                raise RuntimeError(f"{' '.join(argv[1:3])} exited {proc.returncode}: {detail}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{' '.join(argv[1:3])} did not start listening within 60s")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
