"""uvicorn with the connection limits of server/limits.py.

uvicorn has a keep-alive timeout, a concurrency cap and a backlog, but no deadline for a request's
headers: a client that opens connections and never finishes a request line keeps each one (and
its file descriptor) forever. `GuardedH11Protocol` adds that deadline, and when the connection cap
is reached it closes the longest-idle connection that has no request in flight, so a flood of idle
connections cannot lock out a real request (or the kubelet's /healthz probe).
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from kubesage.server import limits

log = logging.getLogger("kubesage.server")
FD_RESERVE = 64
"""File descriptors kept for the KB, workers' pipes and logs, beyond the connection cap."""


class GuardedH11Protocol(H11Protocol):
    header_timeout: float = limits.HEADER_TIMEOUT
    max_connections: int = limits.MAX_CONNECTIONS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._awaiting = True
        self._idle_since = time.monotonic()
        self._arm()
        if len(self.connections) > self.max_connections:
            self._evict()

    def _arm(self) -> None:
        self._cancel()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _cancel(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        if self._awaiting and not self.transport.is_closing():
            self.transport.close()

    def _evict(self) -> None:
        idle = [c for c in self.connections
                if isinstance(c, GuardedH11Protocol) and c is not self and c._awaiting]  # fmt: skip
        victim = min(idle, key=lambda c: c._idle_since) if idle else self  # all busy: no room for this one
        victim.transport.close()
        self.connections.discard(victim)  # now, not when the loop gets to connection_lost

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not before:  # a request's headers are complete
            self._awaiting = False
            self._cancel()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._awaiting = True
        self._idle_since = time.monotonic()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)


def protocol(header_timeout: float, max_connections: int) -> type[GuardedH11Protocol]:
    return type("ConfiguredH11Protocol", (GuardedH11Protocol,),
                {"header_timeout": header_timeout, "max_connections": max_connections})  # fmt: skip


def raise_fd_limit(connections: int) -> int:
    """Raise the soft open-files limit towards what `connections` needs; the cap that fits."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + FD_RESERVE
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return connections
    return max(16, min(connections, soft - FD_RESERVE))


def config(app: Any, host: str, port: int, *, max_connections: int = limits.MAX_CONNECTIONS,
           header_timeout: float = limits.HEADER_TIMEOUT, keep_alive: int = limits.KEEP_ALIVE,
           backlog: int = limits.BACKLOG, log_level: str = "warning") -> uvicorn.Config:  # fmt: skip
    cap = raise_fd_limit(max_connections)
    return uvicorn.Config(
        app, host=host, port=port, log_level=log_level, access_log=False,
        http=protocol(header_timeout, cap),
        timeout_keep_alive=keep_alive,
        # Eviction keeps open connections at `cap`; uvicorn's own check (503) only bites past it.
        limit_concurrency=cap + 1,
        backlog=backlog,
        h11_max_incomplete_event_size=16 * 1024,  # request line + headers
        timeout_graceful_shutdown=10,
    )  # fmt: skip


class ListeningServer(uvicorn.Server):
    """uvicorn.Server that calls `on_listening(host, port)` once its socket is bound, not before."""

    def __init__(self, cfg: uvicorn.Config, on_listening: Callable[[str, int], None] | None = None) -> None:
        super().__init__(cfg)
        self.on_listening = on_listening

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started and self.on_listening is not None and self.servers:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            self.on_listening(str(host), int(port))

    @property
    def port(self) -> int:
        return int(self.servers[0].sockets[0].getsockname()[1])


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
