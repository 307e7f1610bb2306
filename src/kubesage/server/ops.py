"""`POST /v1/search`, `GET /healthz` and `GET /metrics`.

/healthz never waits for a worker: it reads the parent's copy of the index, so it answers even
while every worker is busy with a slow request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from kubesage.server.state import json_response
from kubesage.server.validation import Query

if TYPE_CHECKING:
    from fastapi import FastAPI

    from kubesage.server.answering import Answering
    from kubesage.server.state import ServerState


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: Query
    k: Annotated[int, Field(ge=1, le=50)] = 5


def register(app: FastAPI, state: ServerState, answering: Answering) -> None:
    @app.post("/v1/search")
    async def search(body: SearchRequest) -> Any:
        return json_response(await answering.search(body.query, body.k))

    @app.get("/healthz")
    async def healthz() -> Any:
        index = state.backend.answerer.retriever.index()
        return json_response({"status": "ok", "backend": state.settings.backend or "kb", "model": state.model,
                              "kb": str(state.backend.answerer.retriever.kb.path), "generation": index.generation,
                              "docs": len(index.manifest.get("docs", {})), "chunks": index.num_docs,
                              "workers": state.pool.size, "pending": state.pool.pending})  # fmt: skip

    @app.get("/metrics")
    async def metrics() -> Any:
        from starlette.responses import Response

        body, content_type = state.metrics.render()
        return Response(body, media_type=content_type)
