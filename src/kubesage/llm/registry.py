"""Backend ids -> modules (imported lazily), provider resolution, construction."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kubesage.errors import KubesageError

if TYPE_CHECKING:
    from kubesage.config import Config, ProviderConfig
    from kubesage.llm.base import Backend


@dataclass(frozen=True)
class BackendInfo:
    id: str
    module: str
    cls: str
    needs_key: bool
    default_model: str
    needs_config: bool = True
    """False for backends that work without an `auth add` (kb, noop)."""


# In k8sgpt's `auth list` order, kubesage's offline `kb` last.
BACKENDS: dict[str, BackendInfo] = {
    b.id: b
    for b in (
        BackendInfo("openai", "kubesage.llm.openai", "OpenAIBackend", True, "gpt-4o"),
        BackendInfo("anthropic", "kubesage.llm.anthropic", "AnthropicBackend", True, "claude-3-5-sonnet-latest"),
        BackendInfo("localai", "kubesage.llm.openai", "LocalAIBackend", False, "gpt-4o"),
        BackendInfo("ollama", "kubesage.llm.ollama", "OllamaBackend", False, "llama3"),
        BackendInfo("azureopenai", "kubesage.llm.azure", "AzureOpenAIBackend", True, "gpt-4o"),
        BackendInfo("google", "kubesage.llm.google", "GoogleBackend", True, "gemini-2.5-flash"),
        BackendInfo("noopai", "kubesage.llm.noop", "NoopBackend", False, "", needs_config=False),
        BackendInfo("customrest", "kubesage.llm.customrest", "CustomRestBackend", False, "llama3"),
        BackendInfo("kb", "kubesage.llm.kb", "KBBackend", False, "", needs_config=False),
    )
}
ALIASES = {"noop": "noopai"}
# k8sgpt backends kubesage does not implement: named so the error says so, instead of "unknown".
K8SGPT_ONLY = (
    "cohere",
    "amazonbedrock",
    "amazonbedrockconverse",
    "amazonsagemaker",
    "googlevertexai",
    "huggingface",
    "oci",
    "ibmwatsonxai",
    "groq",
    "bedrockmantle",
    "litellm",
)
OPENAI_COMPATIBLE = {"groq": "https://api.groq.com/openai/v1", "litellm": "http://localhost:4000/v1"}


def backend_info(name: str) -> BackendInfo:
    """The backend for an id (case-insensitive, `noop` = `noopai`), or a one-line error."""
    key = ALIASES.get(name.strip().lower(), name.strip().lower())
    if key in BACKENDS:
        return BACKENDS[key]
    supported = ", ".join(BACKENDS)
    if key in OPENAI_COMPATIBLE:
        raise KubesageError(
            f"backend {key} is OpenAI-compatible: use `kubesage auth add -b localai -u {OPENAI_COMPATIBLE[key]}`"
        )
    if key in K8SGPT_ONLY:
        raise KubesageError(f"backend {key} is not supported by kubesage (supported: {supported})")
    raise KubesageError(f"unknown AI backend {name!r} (supported: {supported})")


def resolve(config: Config, requested: str = "") -> tuple[BackendInfo, ProviderConfig | None]:
    """`--backend` > `ai.defaultprovider` > the first configured provider > offline `kb`."""
    ai = config.ai
    name = requested or ai.defaultprovider or (ai.providers[0].name if ai.providers else "kb")
    info = backend_info(name)
    provider = ai.provider(info.id) or next((p for p in ai.providers if p.name.lower() == info.id), None)
    if provider is None and info.needs_config:
        raise not_configured(info.id)
    return info, provider


def not_configured(name: str) -> KubesageError:
    return KubesageError(f"AI provider {name} not specified in configuration. Please run kubesage auth add -b {name}")


def create(info: BackendInfo, provider: ProviderConfig | None, config: Config) -> Backend:
    if provider is not None:  # values from flags (`-r`, `-p`) never went through load_config
        from kubesage.redact import register

        register(*provider.secret_values())
    try:
        module = importlib.import_module(info.module)
    except ImportError as err:
        raise KubesageError(f"backend {info.id} is not available: cannot import {info.module} ({err})") from None
    cls = getattr(module, info.cls, None)
    if cls is None:
        raise KubesageError(f"backend {info.id} is not available: {info.module} has no {info.cls}")
    try:
        backend: Backend = cls.from_config(provider, config)
    except KubesageError:
        raise
    except Exception as err:  # SDK constructors raise ValueError/TypeError on bad settings
        raise KubesageError(f"backend {info.id}: invalid configuration: {err}") from None
    return backend


def load_backend(config: Config, requested: str = "") -> Backend:
    info, provider = resolve(config, requested)
    return create(info, provider, config)
