"""A circuit breaker per KubeSage: closed -> open after N failed LLM calls in a row ->
half-open after a cool-down (one probe call) -> closed on success, open again on failure.

Unlike k8sgpt-operator's process-global flag, each KubeSage has its own, and it closes by itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

CLOSED, OPEN, HALF_OPEN = "closed", "open", "halfOpen"
STATE_VALUE = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}


@dataclass
class CircuitBreaker:
    failure_threshold: int = 3
    open_seconds: float = 60.0
    clock: Callable[[], float] = time.monotonic
    state: str = CLOSED
    failures: int = 0
    opened_at: float = 0.0
    last_error: str = ""
    transitions: list[str] = field(default_factory=list)
    """States entered since the caller last drained them (for Events)."""

    def allow(self) -> bool:
        """Whether LLM calls may be made now; an open circuit past its cool-down turns half-open."""
        if self.state == OPEN and self.clock() - self.opened_at >= self.open_seconds:
            self._enter(HALF_OPEN)
        return self.state != OPEN

    @property
    def probing(self) -> bool:
        """Half-open: send one call only."""
        return self.state == HALF_OPEN

    def record(self, succeeded: int, failed: int, error: str = "") -> None:
        """The outcome of one pass's calls."""
        if failed:
            self.last_error = error or self.last_error
        if succeeded and not failed:
            self.failures = 0
            if self.state != CLOSED:
                self._enter(CLOSED)
            return
        if not failed:
            return
        self.failures += failed
        if self.state == HALF_OPEN or self.failures >= self.failure_threshold:
            self.opened_at = self.clock()
            if self.state != OPEN:
                self._enter(OPEN)

    def _enter(self, state: str) -> None:
        self.state = state
        self.transitions.append(state)

    def drain(self) -> list[str]:
        out, self.transitions = self.transitions, []
        return out
