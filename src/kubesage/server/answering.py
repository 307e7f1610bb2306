"""Answers and searches through the worker pool, with each failure mapped to one clear HTTP error."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesage.server.pool import PoolBusy, PoolTimeout, WorkerFailed
from kubesage.server.state import APIError

if TYPE_CHECKING:
    from kubesage.llm.base import Completion, CompletionRequest
    from kubesage.server.state import ServerState

MAX_DETAIL = 300


class Answering:
    def __init__(self, state: ServerState) -> None:
        self.state = state

    async def complete(self, request: CompletionRequest) -> Completion:
        result: Completion = await self._run("complete", request)
        self.state.metrics.record_answer(len(result.sources), result.refused)
        return result

    async def search(self, query: str, k: int) -> dict[str, Any]:
        data: dict[str, Any] = await self._run("search", query, k)
        self.state.metrics.hits.inc(len(data["hits"]))
        return data

    async def _run(self, op: str, *payload: Any) -> Any:
        try:
            return await self.state.pool.run(op, *payload)
        except PoolBusy as err:
            self.state.metrics.rejected.labels("busy").inc()
            raise APIError(503, f"server busy: {err}; retry shortly", kind="server_busy",
                           code="server_busy") from None  # fmt: skip
        except PoolTimeout as err:
            self.state.metrics.rejected.labels("deadline").inc()
            raise APIError(504, f"request timed out: {err}", kind="timeout", code="deadline_exceeded") from None
        except WorkerFailed as err:
            message = self.redacted(str(err))
            if err.kind == "llm":
                raise APIError(502, f"upstream backend failed: {message}", kind="upstream_error",
                               code="upstream_error") from None  # fmt: skip
            raise APIError(500, message, kind="server_error") from None

    def redacted(self, text: str) -> str:
        """Every configured secret out first, then one line of at most MAX_DETAIL characters."""
        from kubesage.redact import clip

        return clip(redact(text, self.state.secrets), MAX_DETAIL, self.state.secrets)


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """kubesage.redact, plus any leading part of a secret (8+ characters): what a message that some
    layer cut before redacting can still hold."""
    from kubesage.redact import MASK
    from kubesage.redact import redact as redact_all

    for secret in secrets:
        head = secret[:8]
        start = text.find(head)
        while start >= 0:
            end = start
            while end < len(text) and end - start < len(secret) and text[end] == secret[end - start]:
                end += 1
            text = text[:start] + MASK + text[end:]
            start = text.find(head, start + len(MASK))
    return redact_all(text, secrets)
