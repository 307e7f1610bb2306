"""`response_format` for chat: an answer as a JSON object, or as JSON that fits a caller's schema.

An answer is `Error: …`, `Solution: …` and its cited sources. `json_object` returns those fields;
`json_schema` fills the caller's schema from them, by property name:

- error, explanation, cause, problem, summary, diagnosis → the Error line
- solution, fix, resolution, remediation → the Solution line (a list schema gets its numbered steps)
- steps, actions → the numbered steps
- answer, text, content, response, message, details → the whole answer
- sources, references, citations → the sources (strings, or objects with title/source/url/doc_id/score)
- refused, unknown → whether the knowledge base had nothing relevant
- confidence, score → the best source's relevance

A schema property the answer cannot fill is not made up: the request gets a 400 naming it, so the
caller learns before relying on it. The schema subset handled is what SDKs generate (pydantic, zod):
objects, arrays, strings, numbers, booleans, `anyOf` with null, `enum` and local `$ref`s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kubesage.llm.base import Completion
from kubesage.server.state import APIError

_FIELDS = {
    "error": ("error", "explanation", "cause", "problem", "summary", "diagnosis", "reason"),
    "solution": ("solution", "fix", "resolution", "remediation"),
    "steps": ("steps", "actions", "solution_steps"),
    "answer": ("answer", "text", "content", "response", "message", "details"),
    "sources": ("sources", "references", "citations"),
    "refused": ("refused", "unknown", "is_refusal"),
    "confidence": ("confidence", "score", "relevance"),
}
_STEP = re.compile(r"(?:^|\s)(\d{1,2})\.\s")  # bounded: linear in the text


@dataclass(frozen=True)
class Parts:
    answer: str
    error: str
    solution: str
    steps: tuple[str, ...]
    sources: tuple[dict[str, Any], ...]
    refused: bool
    confidence: float


def parts(result: Completion, text: str) -> Parts:
    body = text.split("\nSources:\n", 1)[0]
    error = solution = ""
    for line in body.splitlines():
        if line.startswith("Error:") and not error:
            error = line[len("Error:") :].strip()
        elif line.startswith("Solution:") and not solution:
            solution = line[len("Solution:") :].strip()
    if not error and not solution:
        solution = body.strip()
    sources = tuple({"title": s.title, "source": s.source, "doc_id": s.doc_id, "score": s.score}
                    for s in result.sources)  # fmt: skip
    return Parts(text, error, solution, _steps(solution), sources, result.refused,
                 max((s.score for s in result.sources), default=0.0))  # fmt: skip


def _steps(solution: str) -> tuple[str, ...]:
    marks = [m for m in _STEP.finditer(solution)]
    numbered = [m for i, m in enumerate(marks) if m.group(1) == str(i + 1)]
    if len(numbered) < 2:
        return (solution.strip(),) if solution.strip() else ()
    out = []
    for i, m in enumerate(numbered):
        end = numbered[i + 1].start() if i + 1 < len(numbered) else len(solution)
        out.append(solution[m.end() : end].strip())
    return tuple(s for s in out if s)


def json_object(p: Parts) -> dict[str, Any]:
    return {"answer": p.answer, "error": p.error, "solution": p.solution, "steps": list(p.steps),
            "sources": list(p.sources), "refused": p.refused}  # fmt: skip


def check_schema(schema: Any) -> None:
    """Raise a 400 now if the schema asks for something an answer cannot fill."""
    fill(schema, _SAMPLE)


def fill(schema: Any, p: Parts) -> Any:
    if not isinstance(schema, dict):
        raise _unfillable("the schema", "it is not a JSON object")
    return _Filler(schema, p).value(schema, "", None)


class _Filler:
    def __init__(self, root: dict[str, Any], p: Parts) -> None:
        self.root = root
        self.p = p
        self.depth = 0

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        if not isinstance(ref, str):
            return schema
        node: Any = self.root
        if not ref.startswith("#/"):
            raise _unfillable(ref, "only local $ref are supported")
        for part in ref[2:].split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            raise _unfillable(ref, "the $ref does not resolve")
        return node

    def value(self, schema: Any, name: str, field: str | None) -> Any:
        self.depth += 1
        try:
            if self.depth > 16:
                raise _unfillable(name or "the schema", "it nests too deep")
            schema = self.resolve(schema) if isinstance(schema, dict) else {}
            options = schema.get("anyOf") or schema.get("oneOf")
            if isinstance(options, list) and options:
                real = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
                if len(real) < len(options) and (field is None or self._empty(field)):
                    return None
                return self.value(real[0] if real else {}, name, field)
            kind = schema.get("type")
            if isinstance(kind, list):
                kind = next((k for k in kind if k != "null"), None)
            if kind == "object" or (kind is None and "properties" in schema):
                return self.obj(schema, name)
            if field is None:
                raise _unfillable(name or "the schema", "no part of an answer has this name")
            return self.leaf(schema, kind, name, field)
        finally:
            self.depth -= 1

    def obj(self, schema: dict[str, Any], name: str) -> dict[str, Any]:
        props = schema.get("properties") or {}
        if not isinstance(props, dict):
            raise _unfillable(name or "the schema", "properties must be an object")
        out: dict[str, Any] = {}
        for key, sub in props.items():
            path = f"{name}.{key}" if name else str(key)
            field = _field_of(str(key))
            sub_schema = self.resolve(sub) if isinstance(sub, dict) else {}
            is_object = sub_schema.get("type") == "object" or "properties" in sub_schema
            if field is None and not is_object and not self._nullable(sub_schema):
                raise _unfillable(path, "no part of an answer has this name")
            out[key] = self.value(sub, path, field)
        return out

    def leaf(self, schema: dict[str, Any], kind: Any, name: str, field: str) -> Any:
        p = self.p
        if kind == "boolean":
            if field != "refused":
                raise _unfillable(name, f"the answer's {field} is not a boolean")
            return p.refused
        if kind in ("number", "integer"):
            if field != "confidence":
                raise _unfillable(name, f"the answer's {field} is not a number")
            return round(p.confidence, 4) if kind == "number" else int(p.confidence >= 0.5)
        if kind == "array":
            raw = schema.get("items")
            items = self.resolve(raw) if isinstance(raw, dict) else {}
            if field == "sources":
                return [self.source(items, s, name) for s in p.sources]
            values = list(p.steps) if field in ("steps", "solution") else [self.text(field)]
            if items.get("type", "string") != "string":
                raise _unfillable(name, "only lists of strings or of sources can be filled")
            return values
        if kind in ("string", None):
            value = self.text(field)
            enum = schema.get("enum")
            if isinstance(enum, list) and value not in enum:
                raise _unfillable(name, "the answer's text is not one of the enum values")
            return value
        raise _unfillable(name, f"type {kind!r} cannot be filled")

    def source(self, items: dict[str, Any], src: dict[str, Any], name: str) -> Any:
        if items.get("type", "string") == "string":
            return f"{src['title']} ({src['source']})"
        props = items.get("properties") or {}
        out: dict[str, Any] = {}
        for key in props:
            k = str(key).lower()
            if k in ("title", "name"):
                out[key] = src["title"]
            elif k in ("source", "url", "link", "uri", "path"):
                out[key] = src["source"]
            elif k in ("doc_id", "id"):
                out[key] = src["doc_id"]
            elif k in ("score", "confidence", "relevance"):
                out[key] = src["score"]
            else:
                raise _unfillable(f"{name}[].{key}", "a source has title, source, doc_id and score")
        return out

    def text(self, field: str) -> str:
        p = self.p
        return {"error": p.error, "solution": p.solution, "steps": "\n".join(p.steps), "answer": p.answer,
                "sources": "\n".join(f"{s['title']} ({s['source']})" for s in p.sources),
                "refused": str(p.refused).lower(), "confidence": f"{p.confidence:.4f}"}[field]  # fmt: skip

    def _empty(self, field: str) -> bool:
        return not self.text(field)

    @staticmethod
    def _nullable(schema: dict[str, Any]) -> bool:
        options = schema.get("anyOf") or schema.get("oneOf") or []
        kinds = schema.get("type")
        return (isinstance(options, list) and any(isinstance(o, dict) and o.get("type") == "null" for o in options)) \
            or (isinstance(kinds, list) and "null" in kinds)


def _field_of(name: str) -> str | None:
    key = name.lower().replace("-", "_")
    for field, names in _FIELDS.items():
        if key in names:
            return field
    return None


def _unfillable(name: str, why: str) -> APIError:
    return APIError(400, f"response_format json_schema: cannot fill '{name}': {why}; an answer has error, solution, "
                    "steps, answer, sources, refused and confidence (see docs/explain.md)",
                    param="response_format", code="unsupported_schema")  # fmt: skip


_SAMPLE = Parts("Error: x\nSolution: 1. a 2. b", "x", "1. a 2. b", ("a", "b"),
                ({"title": "t", "source": "s", "doc_id": "d", "score": 0.5},), False, 0.5)  # fmt: skip
