"""Mattermost incoming webhook: Slack's shape plus channel, username and icon; without details,
the numbered list of error texts (as k8sgpt-operator does)."""

from __future__ import annotations

from typing import Any

from kubesage.operator.sinks import slack
from kubesage.operator.sinks.base import Notification


def build(n: Notification, sink: Any) -> tuple[dict[str, Any], dict[str, str]]:
    body, headers = slack.build(n, sink)
    for key, value in (("channel", sink.channel), ("username", sink.username), ("icon_url", sink.icon_url)):
        if value:
            body[key] = value
    return body, headers
