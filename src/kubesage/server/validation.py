"""Request validation: capped, surrogate-free text fields and pydantic errors in OpenAI's 400 shape."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints

from kubesage.server import limits
from kubesage.server.state import APIError

_SURROGATE = re.compile("[\ud800-\udfff]")  # json.loads joins valid pairs, so any left is lone


def _no_surrogate(value: str) -> str:
    if _SURROGATE.search(value):
        raise ValueError("string contains a lone UTF-16 surrogate, which is not valid Unicode text")
    return value


# Text fields: at most N characters of valid Unicode text (limits.py says why each cap).
Name = Annotated[str, StringConstraints(max_length=limits.MAX_NAME), AfterValidator(_no_surrogate)]
Prompt = Annotated[str, StringConstraints(max_length=limits.MAX_PROMPT), AfterValidator(_no_surrogate)]
FailureText = Annotated[str, StringConstraints(max_length=limits.MAX_MESSAGE), AfterValidator(_no_surrogate)]
Query = Annotated[str, StringConstraints(min_length=1, max_length=limits.MAX_QUERY), AfterValidator(_no_surrogate)]
StopText = Annotated[str, StringConstraints(max_length=limits.MAX_STOP_LEN), AfterValidator(_no_surrogate)]


_CODES = {
    "missing": "missing_required_parameter",
    "extra_forbidden": "unknown_parameter",
    "string_too_long": "string_above_max_length",
    "string_too_short": "string_below_min_length",
    "too_long": "array_above_max_length",
    "too_short": "array_below_min_length",
    "greater_than": "value_below_min_value",
    "greater_than_equal": "value_below_min_value",
    "less_than": "value_above_max_value",
    "less_than_equal": "value_above_max_value",
    "value_error": "invalid_value",
    "string_unicode": "invalid_value",
    "literal_error": "invalid_value",
    "enum": "invalid_value",
}


_LABELS = frozenset({"str", "int", "float", "bool", "dict", "list", "none", "lax-or-strict"})
_LABEL_PREFIXES = ("function-", "constrained-")


def param_of(loc: tuple[Any, ...]) -> str:
    """`("body", "messages", 0, "content")` -> `messages[0].content`."""
    out = ""
    for part in loc:
        if part == "body" and not out:
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        elif not isinstance(part, str) or "[" in part or part in _LABELS or part.startswith(_LABEL_PREFIXES):
            continue  # pydantic's union-member labels are not field names
        else:
            out += f".{part}" if out else part
    return out


def api_error(errors: Any) -> APIError:
    """The first pydantic/FastAPI validation error as an OpenAI-shaped 400."""
    errors = list(errors)
    for err in errors:
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx") or {}
            return APIError(400, f"malformed JSON body: {ctx.get('error', err.get('msg', 'invalid JSON'))}",
                            code="invalid_json")  # fmt: skip
    if not errors:
        return APIError(400, "invalid request")
    first = errors[0]
    if _is_type_error(first):  # a union: prefer the member that got past the type check
        top = param_of(tuple(first.get("loc", ()))).split(".")[0].split("[")[0]
        first = next((e for e in errors if not _is_type_error(e)
                      and param_of(tuple(e.get("loc", ()))).startswith(top)), first)  # fmt: skip
    kind = str(first.get("type", ""))
    param = param_of(tuple(first.get("loc", ())))
    msg = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if kind == "string_unicode":
        msg = "string contains a lone UTF-16 surrogate, which is not valid Unicode text"
    if kind == "missing" and not param:
        return APIError(400, "request body is required (JSON object)", code="missing_body")
    if kind == "missing":
        return APIError(400, f"Missing required parameter: '{param}'.", param=param, code=_CODES[kind])
    if kind == "extra_forbidden":
        return APIError(400, f"Unrecognized request argument supplied: {param}", param=param, code=_CODES[kind])
    if _is_type_error(first):
        return APIError(400, f"Invalid type for '{param or 'body'}': {msg}.", param=param or None,
                        code="invalid_type")  # fmt: skip
    return APIError(400, f"Invalid '{param or 'body'}': {msg}.", param=param or None, code=_CODES.get(kind))


def _is_type_error(err: Any) -> bool:
    kind = str(err.get("type", ""))
    return kind.endswith(("_type", "_parsing")) or kind == "union_tag_invalid"
