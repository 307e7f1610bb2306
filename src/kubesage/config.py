"""The config file (`~/.config/kubesage/config.yaml`), as pydantic models.

Key names follow k8sgpt's config (`ai.providers`, `ai.defaultprovider`, `active_filters`)
so a k8sgpt user recognises them. The file is written atomically with mode 0600 because
it may hold API keys.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kubesage import paths
from kubesage.errors import KubesageError
from kubesage.fsutil import atomic_write


class ProviderConfig(BaseModel):
    """One AI provider entry (k8sgpt's `ai.providers[]`, plus `passwordEnv`)."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    name: str
    model: str = ""
    password: str = ""
    password_env: str = Field(default="", alias="passwordEnv")
    baseurl: str = ""
    proxy_endpoint: str = Field(default="", alias="proxyEndpoint")
    endpointname: str = ""
    engine: str = ""
    temperature: float = 0.0
    providerregion: str = ""
    providerid: str = ""
    compartmentid: str = ""
    topp: float = 0.5
    topk: int = 50
    maxtokens: int = 2048
    stopsequences: list[str] = Field(default_factory=list)
    organizationid: str = ""
    azureapitype: str = ""
    azureapiversion: str = ""
    custom_headers: list[dict[str, str]] = Field(default_factory=list, alias="customHeaders")
    timeout: float = 60.0

    def api_key(self) -> str:
        """The key: from `passwordEnv` when set (and present), else the stored password."""
        if self.password_env:
            return os.environ.get(self.password_env, "") or self.password
        return self.password

    def headers(self) -> dict[str, str]:
        """`customHeaders` (a list of {name: value} or {key, value} maps) as one dict."""
        out: dict[str, str] = {}
        for entry in self.custom_headers:
            if "key" in entry and "value" in entry and len(entry) == 2:
                out[str(entry["key"])] = str(entry["value"])
            else:
                out.update({str(k): str(v) for k, v in entry.items()})
        return out

    def secret_values(self) -> list[str]:
        """Every value here that must never be printed: key, password, custom-header values."""
        return [v for v in (self.api_key(), self.password, *self.headers().values()) if v]


class AIConfig(BaseModel):
    model_config = ConfigDict(extra="allow")

    providers: list[ProviderConfig] = Field(default_factory=list)
    defaultprovider: str = ""

    def provider(self, name: str) -> ProviderConfig | None:
        return next((p for p in self.providers if p.name == name), None)


class NodeConditionsConfig(BaseModel):
    """Data-driven Node condition polarity (see docs/compat.md)."""

    positive: list[str] = Field(default_factory=list, description="healthy when True")
    negative: list[str] = Field(default_factory=list, description="healthy when False")
    ignored: list[str] = Field(default_factory=list)


class AnalysisConfig(BaseModel):
    node_conditions: NodeConditionsConfig = Field(default_factory=NodeConditionsConfig)


class Config(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    active_filters: list[str] = Field(default_factory=list)
    ai: AIConfig = Field(default_factory=AIConfig)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    prompts: dict[str, str] = Field(default_factory=dict, description="prompt template per result kind")
    kb: dict[str, Any] = Field(default_factory=dict)

    def to_yaml_dict(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_defaults=False)


def config_path(explicit: str | Path | None = None) -> Path:
    return Path(explicit) if explicit else paths.config_file()


def load_config(path: str | Path | None = None) -> Config:
    """The config at `path` (default XDG); an absent file is an empty config."""
    import yaml

    from kubesage.yamlsafe import safe_load

    p = config_path(path)
    if not p.exists():
        return Config()
    try:
        data = safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise KubesageError(f"{p}{line}: invalid config YAML: {getattr(err, 'problem', err)}") from None
    except OSError as err:
        raise KubesageError(f"{p}: cannot read config: {err.strerror or err}") from None
    if not isinstance(data, dict):
        raise KubesageError(f"{p}: config must be a YAML mapping")
    try:
        config = Config.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise KubesageError(f"{p}: invalid config at {where}: {first['msg']}") from None
    register_secrets(config)
    return config


def register_secrets(config: Config) -> None:
    """Make every configured credential redacted wherever kubesage prints or stores text."""
    from kubesage.redact import register

    for provider in config.ai.providers:
        register(*provider.secret_values())


def save_config(config: Config, path: str | Path | None = None) -> Path:
    """Write atomically (temp file + rename) with mode 0600."""
    import yaml

    p = config_path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(config.to_yaml_dict(), sort_keys=False, allow_unicode=True)
    atomic_write(p, text, mode=0o600, prefix=".config-")
    return p
