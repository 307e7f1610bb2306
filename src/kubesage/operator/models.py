"""The KubeSage spec as pydantic models (the CRD schema in deploy/crds/kubesage.yaml is the contract).

The API server validates and defaults a CR before the operator sees it; these models apply
the same defaults so a spec read from a file (tests, `kubesage migrate`) behaves the same.
`remediation` is kept as a plain mapping: `kubesage.remediate.policy` parses it.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kubesage.errors import KubesageError

_DURATION = re.compile(r"^([0-9]+)([smh])$")
_UNIT = {"s": 1, "m": 60, "h": 3600}

BACKENDS = ("kb", "openai", "localai", "azureopenai", "anthropic", "google", "ollama", "customrest", "noopai")


def parse_duration(text: str) -> float:
    """Seconds of a `30s` / `5m` / `1h` duration (the CRD's pattern)."""
    m = _DURATION.match(text.strip())
    if not m:
        raise KubesageError(f"invalid duration {text!r}: use a number and s, m or h (e.g. 30s, 5m)")
    return float(int(m.group(1)) * _UNIT[m.group(2)])


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class SecretRef(_Model):
    name: str
    key: str = "api-key"


class CircuitBreakerSpec(_Model):
    failure_threshold: int = Field(3, alias="failureThreshold", ge=1)
    open_seconds: int = Field(60, alias="openSeconds", ge=1)


class AISpec(_Model):
    enabled: bool = False
    backend: str = "kb"
    model: str = ""
    base_url: str = Field("", alias="baseUrl")
    secret: SecretRef | None = None
    language: str = "english"
    anonymize: bool = True
    max_concurrency: int = Field(4, alias="maxConcurrency", ge=1)
    max_attempts: int = Field(3, alias="maxAttempts", ge=1)
    timeout_seconds: int = Field(60, alias="timeoutSeconds", ge=1)
    circuit_breaker: CircuitBreakerSpec = Field(
        default_factory=lambda: CircuitBreakerSpec.model_validate({}), alias="circuitBreaker"
    )


class RateLimitSpec(_Model):
    per_minute: int = Field(30, alias="perMinute", ge=1)
    burst: int = Field(10, ge=1)


class SinkSpec(_Model):
    name: str
    type: Literal["slack", "mattermost", "cloudevents", "webhook"]
    url: str = ""
    secret: SecretRef | None = None
    channel: str = ""
    username: str = ""
    icon_url: str = Field("", alias="iconUrl")
    kinds: list[str] = Field(default_factory=list)
    severities: list[Literal["error", "warning"]] = Field(default_factory=list)
    rate_limit: RateLimitSpec = Field(default_factory=lambda: RateLimitSpec.model_validate({}), alias="rateLimit")
    retries: int = Field(3, ge=0)
    timeout_seconds: int = Field(10, alias="timeoutSeconds", ge=1)

    def wants(self, kind: str, severity: str) -> bool:
        return (not self.kinds or kind in self.kinds) and (not self.severities or severity in self.severities)


class ResultsSpec(_Model):
    on_resolved: Literal["delete", "mark"] = Field("delete", alias="onResolved")
    max_writes_per_second: float = Field(5.0, alias="maxWritesPerSecond", gt=0)
    min_update_seconds: int = Field(30, alias="minUpdateSeconds", ge=0)


class KubeSageSpec(_Model):
    interval: str = "30s"
    filters: list[str] = Field(default_factory=list)
    lint: bool = False
    target_namespaces: list[str] = Field(default_factory=list, alias="targetNamespaces")
    excluded_namespaces: list[str] = Field(default_factory=list, alias="excludedNamespaces")
    ai: AISpec = Field(default_factory=lambda: AISpec.model_validate({}))
    no_cache: bool = Field(False, alias="noCache")
    results: ResultsSpec = Field(default_factory=lambda: ResultsSpec.model_validate({}))
    sinks: list[SinkSpec] = Field(default_factory=list)
    remediation: dict[str, Any] = Field(default_factory=dict)

    @property
    def interval_seconds(self) -> float:
        return parse_duration(self.interval)

    def in_scope(self, namespace: str) -> bool:
        """Whether results in `namespace` belong to this KubeSage ("" = cluster-scoped object)."""
        if not namespace:
            return not self.target_namespaces
        if namespace in self.excluded_namespaces:
            return False
        return not self.target_namespaces or namespace in self.target_namespaces

    @classmethod
    def parse(cls, spec: Any) -> KubeSageSpec:
        """A spec mapping -> model, or a one-line KubesageError naming the field."""
        try:
            model = cls.model_validate(spec or {})
            model.interval_seconds  # noqa: B018 - validates the duration
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise KubesageError(f"invalid KubeSage spec at {where}: {first['msg']}") from None
        return model
