"""XDG locations: config, cache and data directories (overridable by env)."""

from __future__ import annotations

import os
from pathlib import Path


def _xdg(var: str, default: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / default


def config_file() -> Path:
    explicit = os.environ.get("KUBESAGE_CONFIG")
    if explicit:
        return Path(explicit)
    return _xdg("XDG_CONFIG_HOME", ".config") / "kubesage" / "config.yaml"


def cache_dir() -> Path:
    explicit = os.environ.get("KUBESAGE_CACHE_DIR")
    return Path(explicit) if explicit else _xdg("XDG_CACHE_HOME", ".cache") / "kubesage"


def data_dir() -> Path:
    explicit = os.environ.get("KUBESAGE_DATA_DIR")
    return Path(explicit) if explicit else _xdg("XDG_DATA_HOME", ".local/share") / "kubesage"
