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
from typing import Any
from urllib.parse import quote

MASK = "***"
MIN_LENGTH = 6
"""Shorter values (`on`, `json`) are not secrets worth mangling every text for."""

_KEYLIKE = re.compile(r"\b(sk|sk-ant|sk-proj|AIza|xai|gsk|ghp|glpat)[-_A-Za-z0-9*]{8,}")
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.I)

_lock = threading.RLock()
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
    install_log_redaction()


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


def redact_cut(text: str, secrets: tuple[str, ...]) -> str:
    """`redact`, plus any leading part (8+ characters) of one of `secrets`: what a message that some
    layer cut before redacting can still hold."""
    for secret in secrets:
        head = secret[:8]
        start = text.find(head)
        while start >= 0:
            end = start
            while end < len(text) and end - start < len(secret) and text[end] == secret[end - start]:
                end += 1
            text = text[:start] + MASK + text[end:]
            start = text.find(head, start + len(MASK))
    return redact(text, secrets)


def _redact_arg(value: object) -> object:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, BaseException):  # `log.error("failed: %s", err)`: the message may quote a key
        return redact(str(value))
    return value


def _redact_record(record: logging.LogRecord) -> None:
    """Redact the message and its arguments in place, keeping their shape (formatters such as
    uvicorn's access log unpack `args`); render a traceback now, redacted."""
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    args = record.args
    if isinstance(args, tuple):
        record.args = tuple(_redact_arg(a) for a in args)
    elif isinstance(args, dict):
        record.args = {k: _redact_arg(v) for k, v in args.items()}
    if record.exc_info and not record.exc_text:
        # Formatters reuse exc_text, so the traceback is printed as rendered here.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's message (for handlers set up elsewhere)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


_factory_installed = False


def install_log_redaction() -> None:
    """Redact every log record of the process (any logger, uvicorn's and kopf's too), once.

    Called by `register`: from the moment a secret is known, no log line can carry it.
    """
    global _factory_installed
    with _lock:
        if _factory_installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _redact_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True
