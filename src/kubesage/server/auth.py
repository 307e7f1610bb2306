"""Request guards (pure ASGI): optional bearer token, a body size limit and a body deadline."""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from kubesage.server.limits import BODY_TIMEOUT
from kubesage.server.state import dumps, error_body

Scope = dict[str, Any]
OPEN_PATHS = ("/healthz",)


async def send_error(
    send: Any, status: int, message: str, kind: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    code = {401: "invalid_api_key", 408: "request_timeout", 413: "request_too_large"}.get(status)
    body = dumps(error_body(message, kind, None, code))
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


class GuardMiddleware:
    def __init__(self, app: Any, token: str = "", max_body: int = 1 << 20, body_timeout: float = BODY_TIMEOUT) -> None:
        self.app = app
        self.token = token.encode()
        self.max_body = max_body
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if self.token and scope.get("path") not in OPEN_PATHS and not self._authorized(headers):
            await send_error(send, 401, "missing or invalid bearer token", "authentication_error",
                             [(b"www-authenticate", b"Bearer")])  # fmt: skip
            return
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await send_error(send, 400, "invalid Content-Length header", "invalid_request_error")
                return
            if declared > self.max_body:
                await send_error(send, 413, f"request body larger than {self.max_body} bytes", "invalid_request_error")
                return
        if scope.get("method") in ("POST", "PUT", "PATCH"):
            body = bytearray()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.body_timeout
            while True:
                try:
                    message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
                except TimeoutError:
                    await send_error(send, 408, f"request body not received within {self.body_timeout:g} s",
                                     "invalid_request_error", [(b"connection", b"close")])  # fmt: skip
                    return
                if message["type"] == "http.disconnect":
                    return
                body.extend(message.get("body", b""))
                if len(body) > self.max_body:
                    await send_error(send, 413, f"request body larger than {self.max_body} bytes",
                                     "invalid_request_error")  # fmt: skip
                    return
                if not message.get("more_body"):
                    break
            replayed = False

            async def replay() -> dict[str, Any]:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": bytes(body), "more_body": False}
                result: dict[str, Any] = await receive()
                return result

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)

    def _authorized(self, headers: dict[bytes, bytes]) -> bool:
        return bearer_ok(headers, self.token)


def bearer_ok(headers: dict[bytes, bytes], token: bytes) -> bool:
    value = headers.get(b"authorization", b"")
    scheme, _, credential = value.partition(b" ")
    return scheme.lower() == b"bearer" and hmac.compare_digest(credential.strip(), token)


class BearerGuard:
    """One route's own bearer token (pure ASGI), e.g. /mcp on a server started without `--token`."""

    def __init__(self, app: Any, token: str) -> None:
        if not token:
            raise ValueError("BearerGuard needs a token")
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not bearer_ok(dict(scope.get("headers") or []), self.token):
            await send_error(send, 401, "missing or invalid bearer token", "authentication_error",
                             [(b"www-authenticate", b"Bearer")])  # fmt: skip
            return
        await self.app(scope, receive, send)
