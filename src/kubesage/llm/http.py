"""Shared plumbing for backends: error diagnosis, Retry-After, httpx calls (redaction: kubesage.redact).

Every backend turns its failures into an `LLMError` whose message is one line that says
what is wrong (bad key, wrong URL, unknown model, unreachable host), never the key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from kubesage.llm.base import LLMError
from kubesage.redact import clip, register
from kubesage.redact import redact as redact  # re-exported for older callers
from kubesage.retryafter import parse_retry_after as parse_retry_after  # re-exported

if TYPE_CHECKING:
    import httpx

    from kubesage.config import ProviderConfig

_MAX_DETAIL = 300


def one_line(text: str, limit: int = _MAX_DETAIL, secrets: Iterable[str] = ()) -> str:
    """One line, every known secret redacted *before* cutting to `limit` characters."""
    return clip(text, limit, secrets)


def error_detail(body: Any) -> str:
    """The human message inside an error body: `{"error": {"message": ...}}`, `{"error": "..."}`, text."""
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return one_line(body)
    if isinstance(body, list) and body:
        return error_detail(body[0])
    if isinstance(body, Mapping):
        inner = body.get("error")
        if isinstance(inner, (Mapping, str)):
            return error_detail(inner)
        for key in ("message", "detail", "msg"):
            if isinstance(body.get(key), str):
                return one_line(str(body[key]))
        return one_line(json.dumps(body, ensure_ascii=False))
    return one_line(str(body)) if body is not None else ""


def _looks_like_model_error(detail: str, model: str) -> bool:
    low = detail.lower()
    return "model" in low or (bool(model) and model.lower() in low)


def status_error(
    backend: str,
    status: int,
    detail: str,
    *,
    url: str = "",
    model: str = "",
    retry_after: float | None = None,
    secrets: Iterable[str] = (),
) -> LLMError:
    """An LLMError that diagnoses an HTTP error status."""
    detail = one_line(detail, secrets=secrets)
    suffix = f": {detail}" if detail else ""
    if status in (401, 403) or (status == 400 and "api key" in detail.lower()):
        msg = f"bad or missing API key (HTTP {status}){suffix}"
    elif status == 404 and _looks_like_model_error(detail, model):
        msg = f"unknown model {model!r} (HTTP 404){suffix}"
    elif status == 404:
        msg = f"wrong URL: {url or 'the endpoint'} answered HTTP 404 Not Found (check --baseurl){suffix}"
    elif status == 400 and model and model.lower() in detail.lower():
        msg = f"unknown or unsupported model {model!r} (HTTP 400){suffix}"
    elif status == 429:
        msg = f"rate limited or quota exhausted (HTTP 429){suffix}"
    elif status >= 500:
        msg = f"server error (HTTP {status}){suffix}"
    else:
        msg = f"request rejected (HTTP {status}){suffix}"
    retryable = status == 429 or status >= 500 or status == 408
    return LLMError(f"{backend}: {msg}", retryable=retryable, status=status, retry_after=retry_after)


def connection_error(backend: str, url: str, reason: str, *, timeout: float | None = None) -> LLMError:
    host = urlsplit(url).netloc or url or "the server"
    if timeout is not None:
        return LLMError(f"{backend}: no answer from {host} within {timeout:g}s (timeout)", retryable=True)
    return LLMError(f"{backend}: cannot reach {host}: {one_line(reason, 160)}", retryable=True)


def _root_reason(err: BaseException) -> str:
    seen: list[BaseException] = [err]
    cur: BaseException | None = err
    while cur is not None and len(seen) < 8:
        cur = cur.__cause__ or cur.__context__
        if cur is not None:
            seen.append(cur)
    for e in reversed(seen):
        text = str(e).strip()
        if text and text not in ("Connection error.", "Request timed out."):
            return text
    return type(err).__name__


def from_sdk_error(
    backend: str, err: BaseException, *, url: str, model: str, timeout: float, secrets: Iterable[str] = ()
) -> LLMError:
    """Map an official SDK's exception (openai, anthropic, google-genai) to LLMError by its attributes."""
    status = getattr(err, "status_code", None)
    if not isinstance(status, int):
        code = getattr(err, "code", None)
        status = code if isinstance(code, int) else None
    if status is not None:
        response = getattr(err, "response", None)
        headers = getattr(response, "headers", None)
        body = getattr(err, "body", None)
        if body is None:
            body = getattr(err, "details", None)
        detail = error_detail(body) if body is not None else ""
        if not detail:
            detail = one_line(str(getattr(err, "message", "") or err))
        return status_error(
            backend, status, detail, url=url, model=model, retry_after=parse_retry_after(headers), secrets=secrets
        )
    name = type(err).__name__.lower()
    reason = redact(_root_reason(err), secrets)
    if "timeout" in name or "timed out" in reason.lower():
        return connection_error(backend, url, reason, timeout=timeout)
    if "connect" in name or "connection" in reason.lower() or isinstance(err, OSError):
        return connection_error(backend, url, reason)
    return LLMError(f"{backend}: {type(err).__name__}: {one_line(reason, secrets=secrets)}")


def provider_headers(provider: ProviderConfig | None) -> dict[str, str]:
    """Config `customHeaders` (list of {name: value} maps) flattened to one dict.

    The values are registered as secrets: a gateway key often travels in a custom header.
    """
    out = provider.headers() if provider else {}
    register(*out.values())
    return out


def post_json(
    client: httpx.Client,
    backend: str,
    url: str,
    *,
    content: bytes,
    headers: Mapping[str, str],
    model: str,
    timeout: float,
    secrets: Iterable[str] = (),
    error_text: bool = False,
) -> Any:
    """POST and decode a JSON object; errors become diagnosing LLMErrors.

    `error_text=True` keeps a non-2xx body verbatim in the message (customrest's format).
    """
    import httpx

    try:
        resp = client.post(url, content=content, headers=dict(headers), timeout=timeout)
    except httpx.TimeoutException as err:
        raise connection_error(backend, url, str(err), timeout=timeout) from None
    except httpx.HTTPError as err:
        raise connection_error(backend, url, redact(_root_reason(err), secrets)) from None
    if resp.status_code >= 400:
        retry_after = parse_retry_after(resp.headers)
        if error_text:
            text = one_line(resp.text, secrets=secrets)
            raise LLMError(
                f"Request Error, StatusCode: {resp.status_code}, ErrorMessage: {text}",
                retryable=resp.status_code == 429 or resp.status_code >= 500,
                status=resp.status_code,
                retry_after=retry_after,
            )
        raise status_error(
            backend,
            resp.status_code,
            error_detail(resp.text),
            url=url,
            model=model,
            retry_after=retry_after,
            secrets=secrets,
        )
    try:
        return resp.json()
    except ValueError:
        raise LLMError(f"{backend}: {url} did not answer JSON: {one_line(resp.text, 120, secrets)}") from None
