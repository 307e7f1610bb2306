"""CloudEvents 1.0, structured mode (`application/cloudevents+json`), with k8sgpt-operator's data."""

from __future__ import annotations

import uuid
from typing import Any

from kubesage.operator.sinks.base import Notification, now_iso

SOURCE = "https://kubesage.dev/operator"
TYPE = "dev.kubesage.operator.sinks.cloudevents"


def build(n: Notification, sink: Any) -> tuple[dict[str, Any], dict[str, str]]:
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": SOURCE,
        "type": TYPE,
        "subject": f"{n.kind}/{n.name}",
        "time": now_iso(),
        "datacontenttype": "application/json",
        "data": {
            "kind": n.kind,
            "name": n.name,
            "details": n.details,
            "k8sgpt": n.kubesage,
            "parentObject": n.parent_object,
            "errors": list(n.texts),
        },
    }
    return event, {"Content-Type": "application/cloudevents+json"}
