"""Credentials never printed: one redaction step, always applied before any truncation.

Every configured secret (API keys, passwords, custom-header values, bearer tokens) is
registered once, when the config is loaded or a backend is built, and `redact` replaces it
wherever text leaves the process: error messages, result details, log records, server
responses, cache entries. Key-shaped strings (`sk-...`, `AIza...`, `Bearer ...`) are masked
even when unregistered, because a provider may echo a key that kubesage never saw.

Redact first, then cut: cutting first can split a secret so that its prefix no longer
matches and 29 of its 32 characters get printed. `clip` does both in the right order.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote

MASK = "***"
MIN_LENGTH = 6
"""Shorter values (`on`, `json`) are not secrets worth mangling every text for."""

_KEYLIKE = re.compile(r"\b(sk|sk-ant|sk-proj|AIza|xai|gsk|ghp|glpat)[-_A-Za-z0-9*]{8,}")
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.I)

_lock = threading.Lock()
_registered: set[str] = set()
_ordered: tuple[str, ...] = ()


def _forms(secret: str) -> set[str]:
    """The secret as it may appear in an echo: verbatim, JSON-escaped, URL-encoded."""
    forms = {secret, json.dumps(secret)[1:-1], quote(secret, safe="")}
    return {f for f in forms if len(f) >= MIN_LENGTH}


def register(*secrets: str | None) -> None:
    """Remember secret values for every later `redact` in this process."""
    global _ordered
    new = {f for s in secrets if s and len(s.strip()) >= MIN_LENGTH for f in _forms(s.strip())}
    if not new - _registered:
        return
    with _lock:
        _registered.update(new)
        _ordered = tuple(sorted(_registered, key=len, reverse=True))  # a secret containing another goes whole


def registered() -> tuple[str, ...]:
    return _ordered


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with every registered (and given) secret and every key-shaped string masked."""
    if not text:
        return text
    extra = [f for s in secrets if s and len(s) >= MIN_LENGTH for f in _forms(s)]
    values = sorted({*extra, *_ordered}, key=len, reverse=True) if extra else _ordered
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _KEYLIKE.sub(lambda m: f"{m.group(1)}-{MASK}", text)


def clip(text: str, limit: int, secrets: Iterable[str | None] = ()) -> str:
    """One line of at most `limit` characters: redacted first, then cut."""
    flat = " ".join(redact(text, secrets).split())
    return flat if len(flat) <= limit else flat[: max(0, limit - 1)] + "…"


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's final message (install on handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logger's problem, not a leak
            return True
        clean = redact(message)
        if clean != message or record.exc_info:
            if record.exc_info:
                # Tracebacks quote exception messages: render them now, redacted.
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
            record.msg, record.args = clean, None
        return True
