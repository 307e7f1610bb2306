"""Result objects: k8sgpt-operator's naming rule, labels, content hash and spec shape."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from kubesage.operator import GROUP, VERSION
from kubesage.results import Result

LABEL_NAME = f"kubesages.{GROUP}/name"
LABEL_NAMESPACE = f"kubesages.{GROUP}/namespace"
LABEL_BACKEND = f"kubesages.{GROUP}/backend"
LABEL_SEVERITY = f"{GROUP}/severity"

_NOT_NAME = re.compile(r"[^a-z0-9.]")
_MAX_NAME = 253


def base_name(result_name: str) -> str:
    """k8sgpt-operator's rule: the result's `namespace/name` with `-` and `/` removed.

    Also lower-cased and reduced to what a DNS subdomain allows; very long names keep a hash.
    """
    name = _NOT_NAME.sub("", result_name.replace("-", "").replace("/", "").lower()).strip(".")
    if len(name) > _MAX_NAME or not name:
        digest = hashlib.sha256(result_name.encode()).hexdigest()[:10]
        name = f"{name[: _MAX_NAME - 12].strip('.')}-{digest}".lstrip("-") or f"result-{digest}"
    return name


def content_hash(result: Result) -> str:
    """SHA-256 over kind, name, parent object, the error count and texts; never the LLM details."""
    payload = json.dumps(
        [result.kind, result.name, result.parent_object, len(result.error), result.texts], ensure_ascii=False
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def severity(result: Result, groups: Mapping[str, str]) -> str:
    """`warning` for hygiene (lint) findings, `error` for failures."""
    names = {f.analyzer for f in result.error if f.analyzer} | ({result.analyzer} if result.analyzer else set())
    if names and all(groups.get(n) == "lint" for n in names):
        return "warning"
    return "error"


def namespace_of_result(result: Result) -> str:
    """The namespace part of `namespace/name` ("" for cluster-scoped objects)."""
    return result.name.split("/", 1)[0] if "/" in result.name else ""


def result_spec(result: Result, backend: str) -> dict[str, Any]:
    """The Result `spec`, with k8sgpt-operator's field names."""
    return {
        "backend": backend,
        "kind": result.kind,
        "name": result.name,
        "error": [
            {"text": f.text, "sensitive": [{"unmasked": s.unmasked, "masked": s.masked} for s in f.sensitive or ()]}
            for f in result.error
        ],
        "details": result.details,
        "parentObject": result.parent_object,
        "autoRemediationStatus": {"phase": 0},
    }


def result_body(
    name: str,
    result: Result,
    *,
    owner: Mapping[str, Any],
    backend: str,
    sev: str,
) -> dict[str, Any]:
    """A whole Result object for create; `owner` is the KubeSage object."""
    meta = owner.get("metadata") or {}
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Result",
        "metadata": {
            "name": name,
            "namespace": meta.get("namespace"),
            "labels": {
                LABEL_NAME: str(meta.get("name") or ""),
                LABEL_NAMESPACE: str(meta.get("namespace") or ""),
                LABEL_BACKEND: backend,
                LABEL_SEVERITY: sev,
            },
            "ownerReferences": [
                {
                    "apiVersion": f"{GROUP}/{VERSION}",
                    "kind": "KubeSage",
                    "name": meta.get("name"),
                    "uid": meta.get("uid"),
                    "controller": True,
                    "blockOwnerDeletion": False,
                }
            ],
        },
        "spec": result_spec(result, backend),
    }
