"""`Retry-After` (RFC 9110: delay-seconds or an HTTP date) and OpenAI's `retry-after-ms`, in seconds."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait for one `Retry-After` value; None when absent or unreadable. Never negative."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is unreadable
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from response headers: `retry-after-ms` first, then `Retry-After`.

    `headers` must look names up case-insensitively (httpx and the SDKs' header objects do).
    """
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            value = float(ms) / 1000
        except ValueError:
            pass
        else:
            if value == value:
                return max(0.0, value)
    return retry_after_seconds(headers.get("retry-after"))
