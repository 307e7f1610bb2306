"""Every limit the server enforces, in one place (docs/security.md explains each one)."""

from __future__ import annotations

import os

MAX_BODY = 1 << 20
"""Whole request body (413 above)."""

# Per-field caps (400 above). A k8sgpt prompt is its ~300-character template plus the failure texts
# of one result; a whole `kubectl describe` pasted into a chat stays far below these.
MAX_PROMPT = 64 * 1024
"""customrest `prompt`, one chat message's text, in characters."""
MAX_MESSAGE = 32 * 1024
"""customrest `options.message` (the failure texts of one result), in characters."""
MAX_QUERY = 16 * 1024
"""`/v1/search` query, in characters."""
MAX_MESSAGES = 256
"""Chat messages per request."""
MAX_NAME = 256
"""`model`, `language`, `user` and other short strings."""
MAX_STOP = 4
MAX_STOP_LEN = 256
MAX_N = 8
"""Choices per chat request."""

# Work off the event loop.
KB_DEADLINE = 10.0
"""Seconds a kb answer or search may take in its worker before the request gets 504."""
UPSTREAM_DEADLINE = 180.0
"""The same with an upstream LLM writing the answer (its own timeout and retries come first)."""
QUEUE_PER_WORKER = 64
"""Requests waiting for a worker, per worker, before new ones get 503."""
BODY_TIMEOUT = 30.0
"""Seconds to receive a request body once its headers arrived (408 after)."""

# Connections (uvicorn).
HEADER_TIMEOUT = 10.0
"""Seconds a connection may take to send complete request headers (closed after)."""
KEEP_ALIVE = 5
"""Seconds an idle keep-alive connection stays open."""
MAX_CONNECTIONS = 1000
"""Open connections; above it the longest-idle connection that has no request in flight is closed."""
BACKLOG = 1024
"""Listen backlog: connections the kernel queues before the server accepts them."""

# Memory.
ANSWER_CACHE_BYTES = 32 << 20
"""Answers kept per worker, by their size in bytes."""


def default_workers(upstream: bool) -> int:
    """kb answers are CPU-bound: one worker per core (at most 4). With an upstream LLM a worker mostly
    waits on the network, so more of them."""
    cores = os.cpu_count() or 1
    return 8 if upstream else max(1, min(cores, 4))
