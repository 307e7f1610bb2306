"""What every sink shares: the notification, delivery with retries, and a per-sink rate limit.

A failed send is retried with exponential backoff (Retry-After honoured, capped); when it
still fails the error is returned, never raised: a sink never fails the reconcile. URLs can
carry credentials (Slack and Mattermost webhooks do), so errors never include them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubesage.operator.throttle import TokenBucket
from kubesage.retryafter import retry_after_seconds

if TYPE_CHECKING:
    import httpx

    from kubesage.operator.models import SinkSpec

MAX_DELAY = 8.0
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Notification:
    """One Result that is new or changed."""

    kubesage: str
    namespace: str
    result_name: str
    kind: str
    name: str
    parent_object: str
    texts: tuple[str, ...]
    details: str
    severity: str
    lifecycle: str
    content_hash: str


@dataclass
class Delivery:
    ok: bool
    attempts: int
    error: str = ""


@dataclass
class SinkState:
    """Per-sink bookkeeping for status: successes, failures, the last error."""

    name: str
    sent: int = 0
    failed: int = 0
    attempts: int = 0
    last_error: str = ""
    last_error_time: str = ""
    last_success_time: str = ""
    pending: int = 0
    bucket: TokenBucket | None = None
    spec: Any = None
    """The rate limit the bucket was made for (a spec change makes a new bucket)."""

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "sent": self.sent, "failed": self.failed, "pending": self.pending}
        if self.last_error:
            out["lastError"] = self.last_error
            out["lastErrorTime"] = self.last_error_time
        if self.last_success_time:
            out["lastSuccessTime"] = self.last_success_time
        return out


def bucket_for(spec: SinkSpec, clock: Callable[[], float] = time.monotonic) -> TokenBucket:
    return TokenBucket(rate=spec.rate_limit.per_minute / 60.0, burst=float(spec.rate_limit.burst), clock=clock)


def deliver(
    client: httpx.Client,
    url: str,
    body: dict[str, Any],
    headers: dict[str, str],
    *,
    retries: int,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
    base_delay: float = 0.5,
) -> Delivery:
    """POST `body` as JSON; retry transport errors, 408/425/429 and 5xx up to `retries` times."""
    import httpx

    error = ""
    attempts = 0
    for attempt in range(retries + 1):
        attempts += 1
        retry_after: float | None = None
        try:
            resp = client.post(url, json=body, headers=headers, timeout=timeout)
        except httpx.HTTPError as err:
            error = f"{type(err).__name__}: {_scrub(str(err), url)}"
        else:
            if 200 <= resp.status_code < 300:
                return Delivery(True, attempts)
            error = f"HTTP {resp.status_code}"
            if resp.status_code not in _RETRY_STATUSES:
                return Delivery(False, attempts, error)
            retry_after = retry_after_seconds(resp.headers.get("Retry-After"))
        if attempt < retries:
            delay = retry_after if retry_after is not None else random.uniform(0, base_delay * 2**attempt)
            sleep(min(delay, MAX_DELAY))
    return Delivery(False, attempts, error)


def _scrub(text: str, url: str) -> str:
    """Drop the URL (it may hold a token) from an error message."""
    return " ".join(text.replace(url, "<sink url>").split()) or "send failed"


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def error_list(n: Notification) -> str:
    """The error texts as a numbered list (Mattermost's fallback when there are no details)."""
    return "\n".join(f"{i}. {t}" for i, t in enumerate(n.texts, 1))
