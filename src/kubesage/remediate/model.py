"""Proposal, Target, Change, Decision: what flows through the remediation pipeline."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from kubesage.remediate.fields import MISSING

API_VERSIONS = {
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "Pod": "v1",
    "Service": "v1",
    "ConfigMap": "v1",
    "CronJob": "batch/v1",
}
PLURALS = {
    "Deployment": "deployments",
    "StatefulSet": "statefulsets",
    "Pod": "pods",
    "Service": "services",
    "ConfigMap": "configmaps",
    "CronJob": "cronjobs",
}


class Refusal(Exception):
    """An action cannot (or must not) be built for this target; `str()` is the reason."""


@dataclass(frozen=True)
class Target:
    kind: str
    namespace: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"

    @property
    def api_version(self) -> str:
        return API_VERSIONS.get(self.kind, "")

    @property
    def plural(self) -> str:
        return PLURALS.get(self.kind, self.kind.lower() + "s")

    def path(self, subresource: str = "") -> str:
        """The REST path of the object (or one of its subresources)."""
        group_version = self.api_version
        base = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
        out = f"{base}/namespaces/{self.namespace}/{self.plural}/{self.name}"
        return f"{out}/{subresource}" if subresource else out

    def to_json(self) -> dict[str, str]:
        return {"apiVersion": self.api_version, "kind": self.kind, "namespace": self.namespace, "name": self.name}


@dataclass
class Change:
    """One field changed by an action: `old` and `new` are MISSING when absent."""

    path: str
    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path}
        if self.old is not MISSING:
            out["from"] = self.old
        if self.new is not MISSING:
            out["to"] = self.new
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        return cls(str(data["path"]), data.get("from", MISSING), data.get("to", MISSING))


@dataclass
class Finding:
    """The evidence: one analyzer result naming the target (or its pods)."""

    kind: str
    name: str
    texts: list[str]
    parent: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "errors": list(self.texts), "parentObject": self.parent}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(
            str(data.get("kind") or ""),
            str(data.get("name") or ""),
            [str(t) for t in data.get("errors") or ()],
            str(data.get("parentObject") or ""),
        )


@dataclass
class Decision:
    allowed: bool
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"allowed": self.allowed, "reasons": list(self.reasons)}


@dataclass
class Proposal:
    action: str
    target: Target
    params: dict[str, Any] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    finding: Finding | None = None
    source: str = "rule"
    """`rule`, or `llm:<backend>`."""
    reason: str = ""
    """Why the action fits (rule proposals) or why it could not be built (refusals)."""
    decision: Decision | None = None
    resource_version: str = ""
    generation: int = 0
    uid: str = ""

    @property
    def allowed(self) -> bool:
        return bool(self.decision and self.decision.allowed)

    @property
    def id(self) -> str:
        """A stable, DNS-safe record name for this proposal."""
        digest = hashlib.sha256(
            json.dumps(
                [
                    self.action,
                    self.target.key,
                    [c.to_json() for c in self.changes],
                    self.resource_version,
                    self.source,
                    self.reason,
                ],
                sort_keys=True,
                default=str,
            ).encode()
        ).hexdigest()[:8]
        stem = f"{self.action}-{self.target.name}".lower()
        stem = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in stem)[:52].strip("-")
        return f"{stem}-{digest}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "action": self.action,
            "target": self.target.to_json(),
            "params": self.params,
            "changes": [c.to_json() for c in self.changes],
            "finding": self.finding.to_json() if self.finding else None,
            "source": self.source,
            "reason": self.reason,
            "decision": self.decision.to_json() if self.decision else None,
            "resourceVersion": self.resource_version,
            "generation": self.generation,
        }
