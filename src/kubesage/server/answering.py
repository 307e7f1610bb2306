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
        """Every configured secret (and any cut-off start of one) out first, then one line of at most
        MAX_DETAIL characters."""
        from kubesage.redact import clip, redact_cut

        return clip(redact_cut(text, self.state.secrets), MAX_DETAIL, self.state.secrets)
