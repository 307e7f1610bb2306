"""`kubesage analyze --explain` and `kubesage cache` end to end against a local server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kubesage.cli.app import app
from kubesage.config import Config, save_config
from kubesage.untrusted import DATA_INSTRUCTION
from llm.wire import Recorded, Reply, echo_openai, openai_answer, openai_error, serve

from . import canary

runner = CliRunner()


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": canary.objects()}))
    return path


def configure(url: str) -> None:
    provider = {"name": "openai", "password": "sk-cli-test-1234", "baseurl": url}
    save_config(Config.model_validate({"ai": {"providers": [provider]}}))


def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
    res = runner.invoke(app, list(args), input=input)
    return res.exit_code, res.stdout, res.stderr


def test_explain_anonymized_end_to_end(snap: Path) -> None:
    with serve(echo_openai) as srv:
        configure(srv.url)
        code, out, err = invoke("analyze", "--snapshot", str(snap), "-f", "Pod,Deployment", "-e", "-a", "-o", "json")
    assert code == 0, err
    assert srv.requests, "the Pod and Deployment failures must have been explained"
    for body in srv.bodies():
        assert "cnry" not in body, body[:300]
    doc = json.loads(out)
    assert doc["provider"] == "openai"
    pod = next(r for r in doc["results"] if r["kind"] == "Pod")
    assert canary.IMAGE in pod["details"]  # de-masked for the user
    assert pod["error"][0]["Text"] == f'Back-off pulling image "{canary.IMAGE}:1.0"'


def test_failed_calls_keep_results_and_exit_non_zero(snap: Path) -> None:
    def reply(r: Recorded) -> Reply:
        if "Back-off" in r.body.decode():
            return openai_error(400, "Invalid request", "invalid_request_error")
        return openai_answer("Error: fine\nSolution: none")

    with serve(reply) as srv:
        configure(srv.url)
        code, out, err = invoke("analyze", "--snapshot", str(snap), "-f", "Pod,Deployment", "-e", "-o", "json")
    assert code == 1
    assert err.strip() == ("Error: 1 explanation call(s) failed; their results are in the output with the error noted")
    doc = json.loads(out)
    details = {r["kind"]: r["details"] for r in doc["results"]}
    assert details["Pod"].startswith("kubesage: explanation failed: openai: request rejected (HTTP 400)")
    assert details["Deployment"] == "Error: fine\nSolution: none"


def test_offline_default_and_noop(snap: Path) -> None:
    code, out, err = invoke("analyze", "--snapshot", str(snap), "-f", "Deployment", "-e", "-b", "noop", "-o", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["provider"] == "noopai"
    assert doc["results"][0]["details"].startswith("I am a noop response to the prompt Simplify the following")
    code, _, err = invoke("analyze", "--snapshot", str(snap), "-f", "Deployment", "-e", "-b", "anthropic")
    assert code == 1
    assert err.strip() == (
        "Error: AI provider anthropic not specified in configuration. Please run kubesage auth add -b anthropic"
    )


def test_interactive_keeps_history(snap: Path) -> None:
    with serve(echo_openai) as srv:
        configure(srv.url)
        code, out, err = invoke(
            "analyze", "--snapshot", str(snap), "-f", "Deployment", "-e", "-i", "-c",
            input="what is wrong?\n\nand how do I fix it?\nexit\n",
        )  # fmt: skip
    assert code == 0, err
    sent = [r.json()["messages"] for r in srv.requests]
    assert all(m[0] == {"role": "system", "content": DATA_INSTRUCTION} for m in sent)
    chats = [m[1:] for m in sent if "<cluster-data>" in m[1]["content"]]
    assert len(chats) == 2
    assert [m["role"] for m in chats[1]] == ["user", "assistant", "user"]
    assert chats[1][2]["content"] == "and how do I fix it?"
    assert "ECHO and how do I fix it?" in out


def test_cache_list_and_purge(snap: Path) -> None:
    with serve(lambda r: openai_answer("cached")) as srv:
        configure(srv.url)
        assert invoke("analyze", "--snapshot", str(snap), "-f", "Deployment", "-e")[0] == 0
        assert invoke("analyze", "--snapshot", str(snap), "-f", "Deployment", "-e")[0] == 0
    assert len(srv.requests) == 1
    code, out, _ = invoke("cache", "list")
    assert code == 0 and "Entries: 1" in out and "Cache directory: " in out
    key = out.strip().splitlines()[-1].split()[0]
    assert len(key) == 64
    assert invoke("cache", "purge", key)[1].strip() == f"Purged {key}"
    code, _, err = invoke("cache", "purge", key)
    assert code == 1 and err.strip() == f"Error: no cache entry {key}"
    code, _, err = invoke("cache", "purge", "../../etc/passwd")
    assert code == 1 and "not a cache key" in err
    assert invoke("cache", "purge", "--all")[1].startswith("Purged 0 cache entries")
