"""`kubesage auth ...` end to end: config file mode, masking, env keys, `auth test` diagnoses."""

from __future__ import annotations

import os
import stat

import pytest
import yaml
from typer.testing import CliRunner

from kubesage import paths
from kubesage.cli.app import app
from kubesage.config import load_config

from .wire import Reply, openai_answer, openai_error, serve, unreachable_url

runner = CliRunner()
SECRET = "sk-proj-SECRETVALUE-1234567890"


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    """(exit code, stdout, the one-line error without its `Error: ` prefix)."""
    res = runner.invoke(app, list(args), input=input)
    err = res.stderr.strip()
    if res.exit_code:
        assert len(err.splitlines()) == 1 and err.startswith("Error: "), res.stderr
    return res.exit_code, res.stdout, err.removeprefix("Error: ")


def test_add_writes_0600_and_list_masks_key() -> None:
    code, out, exc = run("auth", "add", "-b", "openai", "-p", SECRET, "-m", "gpt-4o-mini")
    assert code == 0, exc
    assert out.strip() == "openai added to the AI backend provider list"
    path = paths.config_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = yaml.safe_load(path.read_text())
    assert saved["ai"]["providers"][0]["name"] == "openai"
    assert saved["ai"]["providers"][0]["temperature"] == 0.0
    code, out, _ = run("auth", "list", "--details")
    assert code == 0
    assert SECRET not in out and "SECRETVALUE" not in out
    assert "> openai" in out and "Model: gpt-4o-mini" in out and "Key: ******** (stored)" in out
    assert out.startswith("Default: \n> openai\nActive: \n> openai\n")
    assert "Unused: " in out and "> ollama" in out


def test_duplicate_and_validation_errors() -> None:
    assert run("auth", "add", "-b", "ollama", "-u", "http://localhost:11434")[0] == 0
    code, _, exc = run("auth", "add", "-b", "ollama")
    assert code == 1 and exc == "Provider with same name already exists."
    _, _, exc = run("auth", "add", "-b", "azureopenai", "-p", "k")
    assert "azureopenai needs --engine" in exc
    _, _, exc = run("auth", "add", "-b", "localai", "-t", "1.5")
    assert "temperature must be between 0 and 1" in exc
    _, _, exc = run("auth", "add", "-b", "cohere", "-p", "k")
    assert "not supported" in exc


def test_key_from_env_var_and_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("auth", "add", "-b", "anthropic", "--password-env", "ANTHROPIC_KEY")[0] == 0
    p = load_config().ai.provider("anthropic")
    assert p is not None and p.password == "" and p.password_env == "ANTHROPIC_KEY"
    monkeypatch.setenv("ANTHROPIC_KEY", "sk-ant-from-env")
    assert p.api_key() == "sk-ant-from-env"
    _, out, _ = run("auth", "list", "-d")
    assert "Key: from env ANTHROPIC_KEY (set)" in out and "sk-ant-from-env" not in out
    assert run("auth", "add", "-b", "google", input="AIzaPipedKey123\n")[0] == 0
    g = load_config().ai.provider("google")
    assert g is not None and g.password == "AIzaPipedKey123"
    code, _, exc = run("auth", "add", "-b", "openai", input="")
    assert code == 1 and "needs an API key" in exc


def test_default_remove_update() -> None:
    run("auth", "add", "-b", "ollama")
    run("auth", "add", "-b", "localai", "-u", "http://x/v1")
    assert run("auth", "default")[1].strip() == "The current default provider is ollama"
    assert run("auth", "default", "-p", "LocalAI")[1].strip() == "Default provider set to localai"
    assert load_config().ai.defaultprovider == "localai"
    _, _, exc = run("auth", "default", "-p", "openai")
    assert "not configured" in exc
    assert run("auth", "update", "-b", "localai", "-m", "qwen")[0] == 0
    p = load_config().ai.provider("localai")
    assert p is not None and (p.model, p.baseurl, p.temperature) == ("qwen", "http://x/v1", 0.0)
    assert run("auth", "remove", "-b", "localai,ollama")[0] == 0
    cfg = load_config()
    assert cfg.ai.providers == [] and cfg.ai.defaultprovider == ""
    _, _, exc = run("auth", "remove", "-b", "nope")
    assert "does not exist" in exc


def _add_openai(url: str, model: str = "gpt-4o") -> None:
    assert run("auth", "add", "-b", "openai", "-p", SECRET, "-u", url, "-m", model)[0] == 0


def test_auth_test_success() -> None:
    with serve(lambda r: openai_answer("OK")) as srv:
        _add_openai(srv.url + "/v1")
        code, out, exc = run("auth", "test", "-b", "openai")
    assert code == 0, exc
    assert out.startswith("OK: openai (gpt-4o) answered in ") and out.strip().endswith(": OK")
    assert srv.requests[0].path == "/v1/chat/completions"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            openai_error(401, f"Incorrect API key provided: {SECRET}", "invalid_request_error", "invalid_api_key"),
            "bad or missing API key (HTTP 401)",
        ),
        (Reply(404, "404 page not found", {"Content-Type": "text/plain"}), "wrong URL"),
        (
            openai_error(404, "The model `gpt-x` does not exist", "invalid_request_error", "model_not_found"),
            "unknown model",
        ),
    ],
)
def test_auth_test_diagnoses(reply: Reply, expected: str) -> None:
    with serve(lambda r: reply) as srv:
        _add_openai(srv.url)
        code, _, exc = run("auth", "test")
    assert code == 1
    msg = exc
    assert msg.startswith("auth test failed: openai: ") and expected in msg
    assert SECRET not in msg and "\n" not in msg
    assert len(srv.requests) == 1


def test_auth_test_unreachable_host() -> None:
    _add_openai(unreachable_url())
    _, _, exc = run("auth", "test")
    assert "cannot reach 127.0.0.1:" in exc


def test_auth_test_offline_backends_need_no_setup() -> None:
    code, out, exc = run("auth", "test", "-b", "noop")
    assert code == 0, exc
    assert out.startswith("OK: noopai answered in ")


def test_config_file_never_world_readable_even_if_it_was() -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("ai: {providers: []}\n")
    os.chmod(path, 0o644)
    run("auth", "add", "-b", "ollama")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
