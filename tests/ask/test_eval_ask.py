"""The `ask` section of `kubesage eval`: the question file, deterministic scoring, the judge, the report."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kubesage.config import Config
from kubesage.errors import KubesageError
from kubesage.eval.ask import ALL_CLEAR, base_name, load_ask_questions, markdown, matched, run_ask_eval
from kubesage.eval.judge import Judge
from kubesage.eval.scenarios import find_vocabulary, load_scenarios
from kubesage.llm.registry import load_backend
from kubesage.rag.tokenize import has_cjk
from llm.wire import openai_answer, serve

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "benchmarks" / "scenarios"
ASK_FILE = ROOT / "benchmarks" / "ask.yaml"


@pytest.fixture(scope="module")
def scenarios() -> list[Any]:
    return load_scenarios(SCENARIOS, find_vocabulary(SCENARIOS))


def test_question_file_covers_both_languages_with_object_cause_and_fix(scenarios: list[Any]) -> None:
    questions = load_ask_questions(ASK_FILE, scenarios)
    assert len(questions) >= 25
    assert {q.lang for q in questions} == {"en", "zh"}
    assert all(has_cjk(q.text) for q in questions if q.lang == "zh")
    for q in questions:
        labels = {f.label for f in q.facts}
        assert labels == {"object", "cause", "fix"}, q.id
        assert set(ALL_CLEAR) <= set(q.must_not_claim)
        if q.lang == "en":  # Chinese-only phrasings are facts for the Chinese answer only
            assert all(not has_cjk(a) for f in q.facts for a in f.alternatives), q.id


def test_base_name_and_matching() -> None:
    assert base_name("Pod", "shop/web-7d9f8c6b5d-6fz4x") == "web"
    assert base_name("ReplicaSet", "shop/web-7d9f8c6b5d") == "web"
    assert base_name("CronJob", "finance/month-end-close") == "month-end-close"
    assert matched(["image  TAG"], "the Image tag does not exist")
    assert not matched(["rollout undo"], "roll out, undo")


def _small(tmp_path: Path, scenarios: list[Any]) -> tuple[Path, list[Any]]:
    chosen = [s for s in scenarios if s.slug.startswith(("01-", "16-"))]
    path = tmp_path / "ask.yaml"
    path.write_text(json.dumps({"questions": [
        {"scenario": "01-image-tag-typo", "fix": [["tag"]], "must_not_claim": ["catalog-web"]},
        {"scenario": "16-service-selector-typo", "langs": ["en"], "fix": [["selector"]]},
    ]}), encoding="utf-8")  # fmt: skip
    return path, chosen


def test_offline_planner_is_scored_deterministically(tmp_path: Path, scenarios: list[Any]) -> None:
    path, chosen = _small(tmp_path, scenarios)
    first = run_ask_eval(chosen, path, Config())
    second = run_ask_eval(chosen, path, Config())
    strip = [{k: v for k, v in i.items() if k != "seconds"} for i in first["items"]]
    assert strip == [{k: v for k, v in i.items() if k != "seconds"} for i in second["items"]]
    assert first["questions"] == 3 and set(first["by_language"]) == {"en", "zh"}
    for item in first["items"]:
        assert item["mode"] == "planner" and item["tokens"] == 0 and item["tool_calls"] >= 2
        assert item["claimed"] == []
    assert first["items"][0]["passed"], first["items"][0]
    lines = "\n".join(markdown(first))
    assert "## Ask" in lines and "| en | 2 |" in lines


def test_judge_grades_the_facts(tmp_path: Path, scenarios: list[Any]) -> None:
    path, chosen = _small(tmp_path, scenarios)
    calls = iter(range(100))

    def judge_reply(rec: Any) -> Any:
        prompt = rec.json()["messages"][-1]["content"]
        n = len(re.findall(r"^\d+\. ", prompt.split("Facts:")[1], re.M))
        first = next(calls) == 0
        return openai_answer(json.dumps({"points": [not (first and i == 1) for i in range(n)]}))

    with serve(judge_reply) as srv:
        config = Config.model_validate({"ai": {"providers": [
            {"name": "openai", "password": "sk-test-0123456789abcdef", "baseurl": srv.url + "/v1"}]}})  # fmt: skip
        report = run_ask_eval(chosen, path, config, judge=Judge(load_backend(config, "openai")))
    assert report["judge"] is True and len(srv.requests) == 3
    assert report["items"][0]["passed"] is False and report["items"][0]["missed"]


def test_bad_question_file_is_one_line(tmp_path: Path, scenarios: list[Any]) -> None:
    bad = tmp_path / "ask.yaml"
    bad.write_text("questions:\n  - scenario: no-such-scenario\n", encoding="utf-8")
    with pytest.raises(KubesageError, match=r"questions\[0\]: `scenario`"):
        load_ask_questions(bad, scenarios)
    bad.write_text("questions:\n  - scenario: 01-image-tag-typo\n    fix: [[1]]\n", encoding="utf-8")
    with pytest.raises(KubesageError, match="fix: must be a phrase"):
        load_ask_questions(bad, scenarios)


def test_a_real_model_runs_the_agent_loop_with_steps_and_tokens(tmp_path: Path, scenarios: list[Any]) -> None:
    from .scripted import KEY, openai_calls, openai_text

    path, chosen = _small(tmp_path, scenarios)

    def model(rec: Any) -> Any:
        messages = rec.json()["messages"]
        if not any(m["role"] == "tool" for m in messages):
            return openai_calls(("analyze", {}))
        return openai_text("cart-api cannot pull its image: ImagePullBackOff, the tag is wrong in the registry [1].")

    with serve(model) as srv:
        config = Config.model_validate({"ai": {"providers": [
            {"name": "openai", "password": KEY, "baseurl": srv.url + "/v1"}]}})  # fmt: skip
        report = run_ask_eval(chosen, path, config, backend="openai")
    first = report["items"][0]
    assert first["mode"] == "agent" and first["steps"] == 2 and first["tokens"] == 310 and first["tool_calls"] == 1
    assert first["passed"] and report["mean_tokens"] == 310.0
