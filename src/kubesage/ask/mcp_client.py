"""External MCP servers for `ask` (config `ask.mcp_servers`): a stdio command or a streamable HTTP URL,
reached with the official SDK's client. Their tools join the loop as `<server>__<tool>`, under the same
budget; tools not annotated read-only are left out.

The SDK is async; `ask` is not. Each server runs in one event loop on a background thread (an anyio
blocking portal), and calls cross over synchronously.
"""

from __future__ import annotations

import os
import re
from contextlib import ExitStack
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kubesage.ask.toolbox import ToolDef
from kubesage.errors import KubesageError
from kubesage.mcp.tools import bounded

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,30}$")
TIMEOUT = 60.0


class ServerConfig(BaseModel):
    """One entry of `ask.mcp_servers`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    command: str = ""
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    url: str = ""
    headers: dict[str, str] = Field(default_factory=dict)
    token_env: str = Field("", alias="tokenEnv")
    """Environment variable holding a bearer token for `url`."""
    timeout: float = TIMEOUT


def server_configs(config: Any) -> list[ServerConfig]:
    """`ask.mcp_servers` from the config file, validated (one-line errors)."""
    extra = getattr(config, "model_extra", None) or {}
    section = extra.get("ask") or {}
    raw = section.get("mcp_servers") if isinstance(section, dict) else None
    if not raw:
        return []
    if not isinstance(raw, list):
        raise KubesageError("config ask.mcp_servers must be a list")
    out: list[ServerConfig] = []
    for i, item in enumerate(raw):
        try:
            sc = ServerConfig.model_validate(item)
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise KubesageError(f"config ask.mcp_servers[{i}].{where}: {first['msg']}") from None
        check(sc, f"ask.mcp_servers[{i}]")
        out.append(sc)
    return out


def check(sc: ServerConfig, where: str) -> None:
    if not _NAME.match(sc.name):
        raise KubesageError(f"config {where}.name {sc.name!r}: letters, digits and '-' only, starting with a letter")
    if bool(sc.command) == bool(sc.url):
        raise KubesageError(f"config {where}: give exactly one of command (stdio) or url (streamable HTTP)")


class MCPServerTools:
    """A connected external server; use as a context manager."""

    def __init__(self, sc: ServerConfig) -> None:
        self.name = sc.name
        self.config = sc
        self._stack = ExitStack()
        self._client: Any = None
        self._portal: Any = None
        self._tools: list[ToolDef] = []

    def __enter__(self) -> MCPServerTools:
        from anyio.from_thread import start_blocking_portal

        try:
            self._portal = self._stack.enter_context(start_blocking_portal())
            self._client = self._stack.enter_context(self._portal.wrap_async_context_manager(self._open()))
            listed = self._portal.call(self._client.list_tools)
        except BaseException as err:
            self._stack.close()
            if isinstance(err, KeyboardInterrupt):
                raise
            raise KubesageError(f"MCP server {self.name}: cannot connect: {_reason(err)}") from None
        for t in listed.tools:
            hint = t.annotations.read_only_hint if t.annotations else None
            schema = dict(t.input_schema or {"type": "object", "properties": {}})
            self._tools.append(ToolDef(t.name, t.description or t.title or t.name, schema, read_only=hint is True))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _open(self) -> Any:
        from mcp import Client, StdioServerParameters

        sc = self.config
        if sc.command:
            params = StdioServerParameters(command=sc.command, args=list(sc.args), env=dict(sc.env) or None)
            return Client(params, read_timeout_seconds=sc.timeout)
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        headers = dict(sc.headers)
        if sc.token_env:
            token = os.environ.get(sc.token_env, "")
            if not token:
                raise KubesageError(f"MCP server {sc.name}: ${sc.token_env} is not set")
            headers["Authorization"] = f"Bearer {token}"
        http = httpx2.AsyncClient(headers=headers, timeout=sc.timeout)
        return Client(streamable_http_client(sc.url, http_client=http), read_timeout_seconds=sc.timeout)

    def tools(self) -> list[ToolDef]:
        return list(self._tools)

    def call(self, tool: str, arguments: dict[str, Any], limit: int) -> tuple[str, bool]:
        try:
            result = self._portal.call(self._client.call_tool, tool, arguments)
        except Exception as err:
            return f"error: {self.name}/{tool}: {_reason(err)}", True
        parts: list[str] = []
        for block in result.content or ():
            text = getattr(block, "text", None)
            parts.append(text if isinstance(text, str) else f"[{getattr(block, 'type', 'content')} omitted]")
        text, _ = bounded("\n".join(parts).splitlines(), limit)
        return text, bool(result.is_error)


def _reason(err: BaseException) -> str:
    if isinstance(err, BaseExceptionGroup) and err.exceptions:
        return _reason(err.exceptions[0])
    return f"{type(err).__name__}: {err}".splitlines()[0][:300]
