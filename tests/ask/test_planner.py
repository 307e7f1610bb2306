"""The offline planner answers the demo cluster's questions, grounded and cited, with no model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubesage.ask.planner import investigate
from kubesage.ask.toolbox import Toolbox
from kubesage.cli.app import app
from kubesage.mcp.workspace import Source, Workspace

from .scripted import DEMO

# (question, facts the answer must contain, objects it must not claim)
DEMO_QUESTIONS = [
    ("Why is checkout in shop not rolling out?", ["checkout-7d9f8c6b5d-6fz4x", "v1.4.O", "ImagePullBackOff", "tag"],
     ["cart", "frontend"]),
    ("Why does cart keep crashing?", ["cart-5c7b9d8f6d", "REDIS_URL", "CrashLoopBackOff"], ["checkout"]),
    ("Why is the frontend service in shop not getting traffic?", ["frontend", "app=fronted", "selector"], ["catalog"]),
    ("Why does the storefront ingress return 404 on /search?", ["storefront", "shop/search", "does not exist"],
     ["checkout"]),
    ("Why is the analytics-db PVC pending?", ["data-analytics-db-0", "fast-ssd", "storage"], ["etl-runner"]),
    ("Why did the settlement-batch job fail?",
     ["settlement-batch-29933370", "backoff limit", "reconciliation mismatch"], ["ledger-worker"]),
    ("Why doesn't the nightly-report cronjob run?", ["nightly-report", "CronJob", "Solution"], ["analytics-db"]),
    ("What is wrong with node ip-10-0-2-87.ec2.internal?", ["DiskPressure", "ip-10-0-2-87.ec2.internal"],
     ["etl-runner"]),
    ("Why is etl-runner pending?", ["etl-runner", "Insufficient memory"], ["analytics-db"]),
    ("Why does recommender keep restarting?", ["recommender", "OOMKilled", "memory"], ["cart"]),
    ("Why is payments-api restarting?", ["payments-api", "Liveness probe failed", "500"], ["ledger-worker"]),
    ("Why does the catalog service refuse connections?", ["catalog", "8080", "targetPort"], ["frontend"]),
    ("Why can't fraud-scorer create pods?", ["fraud-scorer", "exceeded quota", "payments-quota"], ["ledger"]),
    ("Why is ledger-worker not starting?", ["ledger-worker", "DATABASE_URL", "ledger-config"], ["fraud-scorer"]),
    ("alertmanager 為什麼起不來？", ["alertmanager", "alertmanager-config", "原因與修復"], ["checkout"]),
    ("checkout 為什麼沒有完成部署？", ["checkout-7d9f8c6b5d-6fz4x", "v1.4.O", "來源"], ["cart"]),
]  # fmt: skip


@pytest.fixture(scope="module")
def workspace() -> Workspace:
    return Workspace(Source(snapshots=(DEMO,)))


@pytest.mark.parametrize(("question", "facts", "not_claimed"), DEMO_QUESTIONS, ids=[q[0][:40] for q in DEMO_QUESTIONS])
def test_planner_answers_demo_questions(workspace: Workspace, question: str, facts: list[str],
                                        not_claimed: list[str]) -> None:  # fmt: skip
    answer = investigate(question, Toolbox(workspace))
    text = answer.render()
    assert not answer.refused, text
    for fact in facts:
        assert fact.lower() in text.lower(), (fact, text)
    for name in not_claimed:
        assert not any(name in claim for claim in answer.claims), (name, answer.claims)
    # Every line that states a failure carries a citation of a tool output that exists.
    refs = {o.ref for o in answer.observations if o.ref}
    assert answer.cited() and {o.ref for o in answer.cited()} <= refs
    assert answer.runbooks(), "a runbook backs the cause and fix"
    assert answer.tokens == 0 and answer.mode == "planner"


@pytest.mark.parametrize("question", ["How do I bake bread?", "Why is the redis in data namespace slow?",
                                      "為什麼 nginx 很慢？"])  # fmt: skip
def test_planner_says_i_dont_know_without_evidence(workspace: Workspace, question: str) -> None:
    answer = investigate(question, Toolbox(workspace))
    assert answer.refused and answer.claims == []
    assert answer.text.startswith(("I don't know", "我不知道"))


def test_general_question_lists_the_worst_problems(workspace: Workspace) -> None:
    answer = investigate("What is broken in the cluster?", Toolbox(workspace))
    assert len(answer.claims) >= 5 and all(c.startswith("Pod ") for c in answer.claims[:5])


runner = CliRunner()


def test_cli_ask_offline_with_trace() -> None:
    result = runner.invoke(app, ["ask", "why is ledger-worker not starting?", "--snapshot", DEMO, "--show-tools"])
    assert result.exit_code == 0, result.output
    assert "DATABASE_URL" in result.output and "Sources (tool outputs):" in result.output
    assert "Tool calls:" in result.output and "offline planner, 0 tokens" in result.output


def test_cli_ask_json_and_conversation() -> None:
    questions = "why is etl-runner pending?\nwhy does recommender keep restarting?\nexit\n"
    result = runner.invoke(app, ["ask", "--snapshot", DEMO, "-o", "json", "-i"], input=questions)
    assert result.exit_code == 0, result.output
    docs = [json.loads(chunk) for chunk in result.output.replace("}\n{", "}\x00{").split("\x00")]
    assert [d["mode"] for d in docs] == ["planner", "planner"]
    assert "etl-runner" in docs[0]["answer"] and "OOMKilled" in docs[1]["answer"]
    assert docs[0]["sources"] and docs[0]["trace"][0]["call"].startswith("analyze(")


@pytest.mark.parametrize(("args", "message"), [
    (["ask", "--snapshot", DEMO], "needs a question"),
    (["ask", "x", "--snapshot", DEMO, "--language", "fr"], "--language must be en or zh"),
    (["ask", "x", "--snapshot", "/no/such/dir"], "no such file"),
    (["ask", "x", "--snapshot", DEMO, "--backend", "openai"], "not specified in configuration"),
])  # fmt: skip
def test_cli_ask_bad_input_is_one_line(args: list[str], message: str) -> None:
    kubesage = str(Path(sys.executable).parent / "kubesage")
    proc = subprocess.run([kubesage, *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
