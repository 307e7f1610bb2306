"""Slack incoming webhook: k8sgpt-operator's message (a header line and one "danger" attachment)."""

from __future__ import annotations

from typing import Any

from kubesage.operator.sinks.base import Notification, error_list


def build(n: Notification, sink: Any) -> tuple[dict[str, Any], dict[str, str]]:
    text = n.details or error_list(n)
    return (
        {
            "text": f">*[{n.kubesage}] KubeSage analysis of the {n.kind} {n.name}*",
            "attachments": [{"type": "mrkdwn", "text": text, "color": "danger", "title": "Report"}],
        },
        {},
    )
