"""The loop one worker process runs (see server/pool.py): build the backend once, then answer requests.

Messages in: `("complete", (CompletionRequest,))` or `("search", (query, k))`.
Messages out: `("ready", None)` once, then `("ok", value)`, `("llm", (message, status))` for an
upstream failure, or `("error", (message, None))`.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING, Any

# Imported here so the forkserver preloads them and a replacement worker starts in a fork.
import kubesage.llm.kb
import kubesage.rag.answer
import kubesage.rag.retrieve  # noqa: F401
from kubesage.errors import KubesageError
from kubesage.llm.base import LLMError
from kubesage.server.backend import build_backend, search_json

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from kubesage.server.state import ServerSettings


def serve_forever(conn: Connection, settings: ServerSettings) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which stops us
    try:
        backend = build_backend(settings)
        backend.answerer.retriever.index()
    except KubesageError as err:
        conn.send(("fatal", str(err)))
        return
    except Exception as err:
        conn.send(("fatal", f"server worker failed to start: {type(err).__name__}: {err}"))
        return
    conn.send(("ready", None))
    while True:
        try:
            op, payload = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        conn.send(_handle(backend, op, payload))


def _handle(backend: Any, op: str, payload: tuple[Any, ...]) -> tuple[str, Any]:
    try:
        if op == "complete":
            return "ok", backend.complete(*payload)
        if op == "search":
            return "ok", search_json(backend, *payload)
        return "error", (f"unknown worker operation {op!r}", None)
    except LLMError as err:
        return "llm", (str(err), err.status)
    except KubesageError as err:
        return "error", (str(err), None)
    except Exception as err:
        return "error", (f"{type(err).__name__}: {err}", None)
