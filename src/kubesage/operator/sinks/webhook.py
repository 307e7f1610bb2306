"""A generic JSON webhook: the whole Result, its hash and lifecycle."""

from __future__ import annotations

from typing import Any

from kubesage.operator.sinks.base import Notification


def build(n: Notification, sink: Any) -> tuple[dict[str, Any], dict[str, str]]:
    return (
        {
            "kubesage": {"name": n.kubesage, "namespace": n.namespace},
            "result": {
                "name": n.result_name,
                "kind": n.kind,
                "objectName": n.name,
                "parentObject": n.parent_object,
                "error": list(n.texts),
                "details": n.details,
                "severity": n.severity,
            },
            "lifecycle": n.lifecycle,
            "contentHash": n.content_hash,
        },
        {},
    )
