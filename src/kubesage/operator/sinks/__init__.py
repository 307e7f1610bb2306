"""Notification sinks, one module each: payload builders with k8sgpt-operator's shapes."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from kubesage.operator.sinks.base import Notification

Builder = Callable[[Notification, Any], tuple[dict[str, Any], dict[str, str]]]


def builder(sink_type: str) -> Builder:
    """The payload builder of `slack`, `mattermost`, `cloudevents` or `webhook`."""
    module = importlib.import_module(f"kubesage.operator.sinks.{sink_type}")
    build: Builder = module.build
    return build
