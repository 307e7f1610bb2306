"""`kubesage auth add|list|remove|default|update|test`: k8sgpt's flags, keys never printed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from kubesage.config import Config, ProviderConfig

app = typer.Typer(help="Manage AI providers (stored in the config file, mode 0600).", no_args_is_help=True)

_AZURE_TYPES = ("", "AZURE", "AZURE_AD", "CLOUDFLARE_AZURE")

Model = Annotated[str | None, typer.Option("--model", "-m", help="Model name (backend default when empty).")]
Password = Annotated[
    str | None,
    typer.Option("--password", "-p", help="API key (visible in the process list: prefer --password-env or stdin)."),
]
PasswordEnv = Annotated[
    str | None, typer.Option("--password-env", help="Read the API key from this environment variable at run time.")
]
BaseURL = Annotated[str | None, typer.Option("--baseurl", "-u", help="Endpoint URL (local or proxy servers).")]
Temperature = Annotated[float | None, typer.Option("--temperature", "-t", help="Sampling temperature 0-1 (default 0).")]
Engine = Annotated[str | None, typer.Option("--engine", "-e", help="Azure deployment name.")]
Org = Annotated[str | None, typer.Option("--organizationId", "-o", help="OpenAI / Azure organization id.")]
AzureType = Annotated[
    str | None, typer.Option("--azureAPIType", "-a", help="Azure API type: AZURE, AZURE_AD or CLOUDFLARE_AZURE.")
]
AzureVersion = Annotated[str | None, typer.Option("--azureAPIVersion", help="Azure api-version, e.g. 2024-10-21.")]
TopP = Annotated[float | None, typer.Option("--topp", help="Top-p 0-1 (default 0.5).")]
TopK = Annotated[int | None, typer.Option("--topk", "-c", help="Top-k 1-100 (default 50).")]
MaxTokens = Annotated[int | None, typer.Option("--maxtokens", "-l", help="Maximum answer tokens (default 2048).")]
Timeout = Annotated[float | None, typer.Option("--timeout", help="Per-call timeout in seconds (default 60).")]


def _load() -> Config:
    from kubesage.config import load_config

    return load_config()


def _save(config: Config) -> None:
    from kubesage.config import save_config

    save_config(config)


def _validate(p: ProviderConfig) -> None:
    from kubesage.errors import KubesageError

    if not 0.0 <= p.temperature <= 1.0:
        raise KubesageError("temperature must be between 0 and 1")
    if not 0.0 <= p.topp <= 1.0:
        raise KubesageError("topP must be between 0 and 1")
    if not 1 <= p.topk <= 100:
        raise KubesageError("topK must be between 1 and 100")
    if p.maxtokens < 0:
        raise KubesageError("maxtokens must not be negative")
    if p.timeout <= 0:
        raise KubesageError("timeout must be positive")
    if p.azureapitype.upper() not in _AZURE_TYPES:
        raise KubesageError("azureAPIType must be one of AZURE, AZURE_AD, CLOUDFLARE_AZURE")
    if p.name == "azureopenai" and (not p.engine or not p.baseurl):
        raise KubesageError("azureopenai needs --engine (the deployment name) and --baseurl")


def _read_key(backend: str) -> str:
    import sys

    if sys.stdin is None:
        return ""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"Enter {backend} Key: ").strip()
    return sys.stdin.readline().strip()


def _key_source(p: ProviderConfig) -> str:
    import os

    if p.password_env:
        state = "set" if os.environ.get(p.password_env) else "NOT set"
        return f"from env {p.password_env} ({state})"
    return "******** (stored)" if p.password else "none"


@app.command("add")
def add(
    backend: Annotated[str, typer.Option("--backend", "-b", help="Backend id, e.g. openai, ollama.")] = "openai",
    model: Model = None,
    password: Password = None,
    password_env: PasswordEnv = None,
    baseurl: BaseURL = None,
    endpointname: Annotated[str, typer.Option("--endpointname", "-n", help="Endpoint name.")] = "",
    topp: TopP = None,
    topk: TopK = None,
    maxtokens: MaxTokens = None,
    stopsequences: Annotated[
        list[str] | None, typer.Option("--stopsequences", "-s", help="Stop sequences (repeatable).")
    ] = None,
    temperature: Temperature = None,
    engine: Engine = None,
    provider_region: Annotated[str, typer.Option("--providerRegion", "-r", help="Provider region.")] = "",
    provider_id: Annotated[str, typer.Option("--providerId", "-i", help="Provider id.")] = "",
    compartment_id: Annotated[str, typer.Option("--compartmentId", "-k", help="Compartment id.")] = "",
    organization_id: Org = None,
    azure_api_type: AzureType = None,
    azure_api_version: AzureVersion = None,
    proxy_endpoint: Annotated[str, typer.Option("--proxy-endpoint", help="HTTP proxy URL.")] = "",
    custom_header: Annotated[
        list[str] | None, typer.Option("--custom-header", help="Extra HTTP header KEY:VALUE (repeatable).")
    ] = None,
    timeout: Timeout = None,
) -> None:
    """Add an AI provider."""
    from kubesage.config import ProviderConfig
    from kubesage.errors import KubesageError
    from kubesage.llm.registry import backend_info

    info = backend_info(backend)
    config = _load()
    if config.ai.provider(info.id) is not None:
        raise KubesageError("Provider with same name already exists.")
    headers = []
    for h in custom_header or ():
        key, sep, value = h.partition(":")
        if not sep or not key.strip():
            raise KubesageError(f"--custom-header {h!r}: expected KEY:VALUE")
        headers.append({key.strip(): value.strip()})
    p = ProviderConfig(
        name=info.id,
        model=model or info.default_model,
        password=password or "",
        passwordEnv=password_env or "",
        baseurl=baseurl or "",
        proxyEndpoint=proxy_endpoint,
        endpointname=endpointname,
        engine=engine or "",
        temperature=0.0 if temperature is None else temperature,
        providerregion=provider_region,
        providerid=provider_id,
        compartmentid=compartment_id,
        topp=0.5 if topp is None else topp,
        topk=50 if topk is None else topk,
        maxtokens=2048 if maxtokens is None else maxtokens,
        stopsequences=list(stopsequences or ()),
        organizationid=organization_id or "",
        azureapitype=(azure_api_type or "").upper(),
        azureapiversion=azure_api_version or "",
        customHeaders=headers,
        timeout=60.0 if timeout is None else timeout,
    )
    _validate(p)
    if info.needs_key and not p.password and not p.password_env:
        p.password = _read_key(info.id)
        if not p.password:
            raise KubesageError(
                f"{info.id} needs an API key: use --password-env VAR, pipe it on stdin, or --password"
            )
    config.ai.providers.append(p)
    _save(config)
    typer.echo(f"{info.id} added to the AI backend provider list")


@app.command("list")
def list_(
    details: Annotated[bool, typer.Option("--details", "-d", help="Show model, URL and key source.")] = False,
) -> None:
    """List configured and available providers (keys are never shown)."""
    from kubesage.llm.registry import BACKENDS

    config = _load()
    ai = config.ai
    default = ai.defaultprovider or (ai.providers[0].name if ai.providers else "kb")
    lines = ["Default: ", f"> {default}", "Active: "]
    active = {p.name for p in ai.providers}
    for p in ai.providers:
        lines.append(f"> {p.name}")
        if details:
            lines.append(f"   - Model: {p.model or '(default)'}")
            if p.engine:
                lines.append(f"   - Engine: {p.engine}")
            if p.baseurl:
                lines.append(f"   - BaseURL: {p.baseurl}")
            lines.append(f"   - Key: {_key_source(p)}")
            if p.custom_headers:
                names = sorted({k for h in p.custom_headers for k in h})
                lines.append(f"   - Headers: {', '.join(names)} (values hidden)")
    lines.append("Unused: ")
    lines.extend(f"> {b}" for b in BACKENDS if b not in active)
    typer.echo("\n".join(lines))


@app.command("remove")
def remove(
    backends: Annotated[str, typer.Option("--backends", "-b", help="Comma-separated providers to remove.")],
) -> None:
    """Remove providers; a removed default falls back to automatic resolution."""
    from kubesage.errors import KubesageError

    config = _load()
    names = [n.strip().lower() for n in backends.split(",") if n.strip()]
    if not names:
        raise KubesageError("give the providers to remove with -b NAME[,NAME]")
    missing = [n for n in names if config.ai.provider(n) is None]
    if missing:
        raise KubesageError(f"{missing[0]} does not exist in configuration file (see kubesage auth list)")
    config.ai.providers = [p for p in config.ai.providers if p.name not in names]
    if config.ai.defaultprovider in names:
        config.ai.defaultprovider = ""
    _save(config)
    for n in names:
        typer.echo(f"{n} deleted from the AI backend provider list")


@app.command("default")
def default(
    provider: Annotated[str, typer.Option("--provider", "-p", help="Provider to make the default.")] = "",
) -> None:
    """Set (or, without -p, show) the default provider."""
    from kubesage.errors import KubesageError

    config = _load()
    if not provider:
        ai = config.ai
        current = ai.defaultprovider or (ai.providers[0].name if ai.providers else "kb")
        typer.echo(f"The current default provider is {current}")
        return
    name = provider.strip().lower()
    if config.ai.provider(name) is None and name not in ("kb", "noopai"):
        raise KubesageError(f"provider {name} is not configured; run kubesage auth add -b {name}")
    config.ai.defaultprovider = name
    _save(config)
    typer.echo(f"Default provider set to {name}")


@app.command("update")
def update(
    backend: Annotated[str, typer.Option("--backend", "-b", help="Provider to update.")],
    model: Model = None,
    password: Password = None,
    password_env: PasswordEnv = None,
    baseurl: BaseURL = None,
    temperature: Temperature = None,
    engine: Engine = None,
    organization_id: Org = None,
    azure_api_type: AzureType = None,
    azure_api_version: AzureVersion = None,
    topp: TopP = None,
    topk: TopK = None,
    maxtokens: MaxTokens = None,
    timeout: Timeout = None,
) -> None:
    """Change the given fields of a provider (others are kept)."""
    from kubesage.errors import KubesageError

    config = _load()
    name = backend.strip().lower()
    p = config.ai.provider(name)
    if p is None:
        raise KubesageError(f"provider {name} is not configured; run kubesage auth add -b {name}")
    changes = {
        "model": model,
        "password": password,
        "password_env": password_env,
        "baseurl": baseurl,
        "temperature": temperature,
        "engine": engine,
        "organizationid": organization_id,
        "azureapitype": azure_api_type.upper() if azure_api_type is not None else None,
        "azureapiversion": azure_api_version,
        "topp": topp,
        "topk": topk,
        "maxtokens": maxtokens,
        "timeout": timeout,
    }
    for field, value in changes.items():
        if value is not None:
            setattr(p, field, value)
    _validate(p)
    _save(config)
    typer.echo(f"{name} updated in the AI backend provider list")


@app.command("test")
def test(
    backend: Annotated[str, typer.Option("--backend", "-b", help="Provider to test (default: the default).")] = "",
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the answer.")] = 20.0,
) -> None:
    """Send one tiny request and report success or a one-line diagnosis."""
    import time

    from kubesage.errors import KubesageError
    from kubesage.explain.pipeline import ExplainOptions, load_backend_for
    from kubesage.explain.retry import RetryPolicy, call_with_retry
    from kubesage.llm.base import CompletionRequest, LLMError
    from kubesage.redact import clip

    config = _load()
    b = load_backend_for(config, ExplainOptions(backend=backend, timeout=timeout))
    start = time.perf_counter()
    request = CompletionRequest(prompt="Reply with the single word OK.", message="Reply with the single word OK.")
    try:
        completion = call_with_retry(b, request, RetryPolicy(max_attempts=1))
    except LLMError as err:
        raise KubesageError(f"auth test failed: {err}") from None
    took = time.perf_counter() - start
    answer = clip(completion.text, 60)  # redacted before cut
    model = f" ({b.model})" if b.model else ""
    typer.echo(f"OK: {b.name}{model} answered in {took:.2f}s: {answer}")
