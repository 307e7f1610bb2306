"""Retries for LLM calls: exponential backoff with full jitter, honouring Retry-After.

A shared gate makes every worker wait after one of them is told to back off, so a 429
slows the whole run down instead of being hammered by the other workers.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kubesage.errors import KubesageError
from kubesage.llm.base import Backend, Completion, CompletionRequest, LLMError


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_retry_after: float = 60.0
    """Longer Retry-After values are capped here (the call is retried, not abandoned)."""

    def delay(self, attempt: int, err: LLMError, rng: Callable[[float, float], float] = random.uniform) -> float:
        if err.retry_after is not None:
            return min(err.retry_after, self.max_retry_after)
        return rng(0.0, min(self.max_delay, self.base_delay * (2 ** (attempt - 1))))


@dataclass
class Gate:
    """Earliest time any worker may send its next request."""

    _not_before: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)

    def wait(self, sleep: Callable[[float], None]) -> None:
        with self._lock:
            remaining = self._not_before - time.monotonic()
        if remaining > 0:
            sleep(remaining)


def as_llm_error(backend: Backend, err: BaseException) -> LLMError:
    if isinstance(err, LLMError):
        return err
    if isinstance(err, KubesageError):
        return LLMError(str(err))
    first = (str(err).strip().splitlines() or [""])[0]
    return LLMError(f"{backend.name}: {type(err).__name__}: {first}")


def call_with_retry(
    backend: Backend,
    request: CompletionRequest,
    policy: RetryPolicy,
    gate: Gate | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_attempt: Callable[[], None] | None = None,
) -> Completion:
    """The completion, or the last LLMError once attempts are used up or the error is permanent."""
    attempt = 0
    while True:
        attempt += 1
        if gate is not None:
            gate.wait(sleep)
        if on_attempt is not None:
            on_attempt()
        try:
            return backend.complete(request)
        except Exception as raw:
            err = as_llm_error(backend, raw)
            if not err.retryable or attempt >= policy.max_attempts:
                if err.retryable and attempt > 1:
                    raise LLMError(
                        f"{err} (gave up after {attempt} attempts)",
                        retryable=False,
                        status=err.status,
                        retry_after=err.retry_after,
                    ) from None
                raise err from None
            pause = policy.delay(attempt, err)
            if err.retry_after is not None and gate is not None:
                gate.hold(pause)
            else:
                sleep(pause)
