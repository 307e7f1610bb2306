"""The benchmark data itself: every scenario and question is complete and uses the KB vocabulary."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from eval_paths import QUESTIONS, ROOT, SCENARIOS

from kubesage.cluster.files import load_snapshot
from kubesage.errors import KubesageError
from kubesage.eval.scenarios import (
    CATEGORIES,
    EXPECTED_FILE,
    load_questions,
    load_scenario,
    load_scenarios,
    load_vocabulary,
)

VOCAB = load_vocabulary(ROOT / "knowledge" / "vocabulary.yaml")
ALL = load_scenarios(SCENARIOS, VOCAB)


def test_at_least_30_scenarios_covering_every_category() -> None:
    assert len(ALL) >= 30
    counts = Counter(s.category for s in ALL)
    assert set(counts) == set(CATEGORIES), set(CATEGORIES) - set(counts)
    # several per hard category
    for hard in ("images", "crashloop", "config", "storage", "probes", "dns", "webhooks", "hpa", "networkpolicy"):
        assert counts[hard] >= 2, hard


def test_names_and_namespaces_vary() -> None:
    namespaces = {e.name.split("/")[0] for s in ALL for e in s.must_find if "/" in e.name}
    assert len(namespaces) >= 25
    assert "default" not in namespaces


@pytest.mark.parametrize("scenario", ALL, ids=[s.slug for s in ALL])
def test_scenario_is_complete_and_loadable(scenario) -> None:  # type: ignore[no-untyped-def]
    assert scenario.question and scenario.question_zh and scenario.root_cause
    assert any("\u4e00" <= ch <= "\u9fff" for ch in scenario.question_zh)
    assert set(scenario.reasons) <= VOCAB
    assert scenario.must_not_find, "every scenario carries healthy noise"
    snap = load_snapshot([scenario.path], exclude=(EXPECTED_FILE,))
    assert snap.warnings == []
    for exp in (*scenario.must_find, *scenario.must_not_find):
        kind = exp.kind
        ns, _, name = exp.name.rpartition("/")
        if kind.endswith("WebhookConfiguration"):
            configs = snap.objects(kind)
            assert any(w.get("name") == exp.name for c in configs for w in c.get("webhooks") or []), exp
        else:
            assert snap.get(kind, ns, name) is not None, f"{exp.label()} is not in the snapshot"
    for event in snap.objects("Event"):
        ref = event["involvedObject"]
        target = snap.by_uid(ref["uid"])
        assert target is not None, f"event {event['metadata']['name']} points at no object"
        assert (target["kind"], target["metadata"]["name"]) == (ref["kind"], ref["name"])
        assert target["metadata"].get("namespace", "") == ref.get("namespace", "")


def test_question_set_size_languages_and_vocabulary() -> None:
    qs = load_questions(QUESTIONS, VOCAB)
    assert len(qs.in_scope) >= 80
    assert len(qs.out_of_scope) >= 15
    langs = Counter(q.lang for q in qs.in_scope)
    assert langs["en"] >= 35 and langs["zh"] >= 35
    assert {q.lang for q in qs.out_of_scope} == {"en", "zh"}
    pasted = [q for q in qs.in_scope if any(m in q.text for m in ('"', "=", ": "))]
    assert len(pasted) >= 20, "pasted error messages are part of the mix"
    covered = {r for q in qs.in_scope for r in q.reasons}
    assert covered == VOCAB, f"tags without a question: {sorted(VOCAB - covered)}"


def _write(tmp_path: Path, data: object) -> Path:
    d = tmp_path / "01-x"
    d.mkdir()
    (d / EXPECTED_FILE).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return d


def _valid() -> dict[str, object]:
    return {
        "category": "images",
        "root_cause": "bad tag",
        "must_find": [{"kind": "Pod", "name": "a/b", "text_contains": "Back-off"}],
        "must_not_find": [{"kind": "Pod", "name": "a/c"}],
        "reasons": ["ImagePullBackOff"],
        "question": "why?",
        "question_zh": "為什麼？",
        "answer_points": [["tag", "標籤"], "image"],
    }


def test_valid_minimal_scenario_loads(tmp_path: Path) -> None:
    sc = load_scenario(_write(tmp_path, _valid()), VOCAB)
    assert sc.answer_points == (("tag", "標籤"), ("image",))
    assert sc.filters == () and sc.may_find == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"question_zh": None}, "question_zh"),
        ({"reasons": ["NotAReason"]}, "not in the knowledge-base vocabulary"),
        ({"category": "weather"}, "unknown category"),
        ({"must_find": [{"kind": "Pod", "name": "a/b"}]}, "text_contains is required"),
        ({"must_not_find": []}, "healthy objects"),
        ({"answer_points": []}, "answer_points"),
        ({"surprise": 1}, "unknown field 'surprise'"),
        ({"must_not_find": [{"kind": "Pod", "name": "a/b"}]}, "both must_find and must_not_find"),
    ],
)
def test_invalid_scenarios_are_one_line_errors(tmp_path: Path, change: dict[str, object], message: str) -> None:
    data = _valid()
    for k, v in change.items():
        if v is None:
            data.pop(k)
        else:
            data[k] = v
    with pytest.raises(KubesageError) as err:
        load_scenario(_write(tmp_path, data), VOCAB)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    assert EXPECTED_FILE in str(err.value)


def test_broken_yaml_and_missing_dirs(tmp_path: Path) -> None:
    d = tmp_path / "01-x"
    d.mkdir()
    (d / EXPECTED_FILE).write_text("category: [unclosed\n", encoding="utf-8")
    with pytest.raises(KubesageError, match=r"expected\.yaml:\d+: invalid YAML"):
        load_scenarios(tmp_path)
    with pytest.raises(KubesageError, match="scenario directory not found"):
        load_scenarios(tmp_path / "nope")
    with pytest.raises(KubesageError, match="no scenarios"):
        load_scenarios(d)


def test_question_file_errors(tmp_path: Path) -> None:
    p = tmp_path / "q.yaml"
    p.write_text("questions:\n- {id: a, lang: fr, text: hi, reasons: [OOMKilled]}\n", encoding="utf-8")
    with pytest.raises(KubesageError, match="lang must be one of en, zh"):
        load_questions(p, VOCAB)
    p.write_text("questions:\n- {id: a, lang: en, text: hi, reasons: [OOMKilled]}\n"
                 "- {id: a, lang: en, text: again, out_of_scope: true}\n", encoding="utf-8")
    with pytest.raises(KubesageError, match="duplicate id 'a'"):
        load_questions(p, VOCAB)


def test_answer_points_must_say_more_than_the_question(tmp_path: Path) -> None:
    """A coverage point an answer could meet by repeating the question is rejected at load time,
    in question files and in scenarios alike."""
    p = tmp_path / "q.yaml"
    ok = {"id": "a", "lang": "en", "text": "Pod killed with exit code 137", "reasons": ["OOMKilled"],
          "points": [["limits.memory", "memory limit"]]}
    p.write_text(yaml.safe_dump({"questions": [ok]}), encoding="utf-8")
    (q,) = load_questions(p, VOCAB).in_scope
    assert q.points == (("limits.memory", "memory limit"),)
    for point, bad in ((["137", "limits.memory"], "'137'"),  # one echoed alternative is enough
                       (["killed pod"], "'killed pod'"),  # every term occurs in the question
                       (["Exit Code"], "'Exit Code'")):  # case and spacing do not hide it
        p.write_text(yaml.safe_dump({"questions": [{**ok, "points": [point]}]}), encoding="utf-8")
        with pytest.raises(KubesageError, match=f"answer point {bad} is satisfied by the question's own words"):
            load_questions(p, VOCAB)
    data = yaml.safe_load((SCENARIOS / "07-oom-jvm-heap" / EXPECTED_FILE).read_text(encoding="utf-8"))
    data["answer_points"] = [["OOMKilled"]]  # the scenario's question says OOMKilled
    d = tmp_path / "07-x"
    shutil.copytree(SCENARIOS / "07-oom-jvm-heap", d)
    (d / EXPECTED_FILE).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KubesageError, match="satisfied by the question's own words"):
        load_scenario(d, VOCAB)


def test_question_fields_are_checked(tmp_path: Path) -> None:
    p = tmp_path / "q.yaml"
    for item, message in (
        ({"id": "a", "lang": "en", "text": "x", "reasons": ["OOMKilled"], "style": "poem"}, "style must be one of"),
        ({"id": "a", "lang": "en", "text": "x", "reasons": ["OOMKilled"], "answer": "y"}, "unknown field 'answer'"),
        ({"id": "a", "lang": "en", "text": "x", "out_of_scope": True, "points": [["y"]]}, "has no reasons"),
    ):
        p.write_text(yaml.safe_dump({"questions": [item]}), encoding="utf-8")
        with pytest.raises(KubesageError, match=message):
            load_questions(p, VOCAB)
