"""Mattermost incoming webhook: Slack's shape plus channel, username and icon; without details,
the numbered list of error texts (as k8sgpt-operator does)."""

from __future__ import annotations

from typing import Any

from kubesage.operator.sinks.base import Notification, error_list


def build(n: Notification, sink: Any) -> tuple[dict[str, Any], dict[str, str]]:
    body: dict[str, Any] = {
        "text": f">*[{n.kubesage}] KubeSage analysis of the {n.kind} {n.name}*",
        "attachments": [{"type": "mrkdwn", "text": n.details or error_list(n), "color": "danger", "title": "Report"}],
    }
    for key, value in (("channel", sink.channel), ("username", sink.username), ("icon_url", sink.icon_url)):
        if value:
            body[key] = value
    return body, {}
