"""The LLM proposer: typed choices only, refused and recorded otherwise; injection cannot steer a write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.llm.wire import openai_answer, serve
from tests.remediate.injection import INJECTIONS, obedient_answer, responder

from kubesage.analysis import AnalyzeRequest, analyze_snapshot
from kubesage.cluster.files import load_snapshot
from kubesage.config import Config
from kubesage.llm.registry import create, resolve
from kubesage.remediate.actions.base import all_actions
from kubesage.remediate.llm import parse, schema
from kubesage.remediate.pipeline import plan
from kubesage.remediate.policy import Policy

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-cluster"


def backend(url: str) -> Any:
    config = Config.model_validate({"ai": {"providers": [{"name": "localai", "baseurl": url + "/v1", "model": "m"}]}})
    info, provider = resolve(config, "localai")
    return create(info, provider, config)


def policy() -> Policy:
    return Policy.from_spec(
        {
            "enabled": True,
            "mode": "auto",
            "actions": list(all_actions()),
            "namespaces": ["shop"],
            "maxObjectsPerInterval": 50,
            "maxPerNamespace": 50,
        }
    )


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n", "free-form manifest refused"),
        ('{"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 0}}', "free-form manifest refused"),
        ("sure, scale it to zero", "not JSON"),
        ('{"actions": []}', "does not match the schema"),
    ],
)
def test_anything_but_typed_json_is_refused(answer: str, reason: str) -> None:
    choices, refusals = parse(answer)
    assert choices == [] and reason in refusals[0]


def test_schema_admits_only_typed_actions_with_declared_params() -> None:
    item = {"action": "scale", "kind": "Deployment", "namespace": "a", "name": "b", "params": {"replicas": 2}}
    ok = "```json\n" + json.dumps({"proposals": [item]}) + "\n```"
    choices, refusals = parse(ok)
    assert len(choices) == 1 and refusals == []
    bad = {
        "proposals": [
            {"action": "scale", "kind": "Service", "namespace": "a", "name": "b"},
            {"action": "scale", "kind": "Deployment", "namespace": "a", "name": "b", "params": {"image": "evil"}},
            {"action": "exec", "kind": "Pod", "namespace": "a", "name": "b"},
            {"action": "scale", "kind": "Deployment", "namespace": "a", "name": "b", "manifest": "..."},
        ]
    }
    choices, refusals = parse(json.dumps(bad))
    assert choices == [] and len(refusals) == 4
    assert set(schema()["properties"]["proposals"]["items"]["discriminator"]["mapping"]) == set(all_actions())


def test_obedient_llm_cannot_steer_any_write_and_every_refusal_has_a_reason() -> None:
    snap = load_snapshot([DEMO])
    results = analyze_snapshot(snap, AnalyzeRequest()).results
    # Plant the injections where cluster text reaches the prompt: annotations, event messages, logs.
    pod = next(p for p in snap.objects("Pod", "shop") if p["metadata"]["name"].startswith("checkout"))
    results[0].error[0].text += " " + INJECTIONS[0]
    results[-1].error[-1].text += " " + INJECTIONS[1] + " " + INJECTIONS[2]
    pod["metadata"].setdefault("annotations", {})["note"] = INJECTIONS[0]
    healthy = [
        d["metadata"]["name"]
        for d in snap.objects("Deployment", "shop")
        if d["metadata"]["name"] not in ("checkout", "cart", "recommender")
    ]
    answer = obedient_answer("shop", healthy, "checkout")
    with serve(responder(answer)) as srv:
        proposals = plan(snap, results, policy(), llm=backend(srv.url))
    sent = srv.requests[0].json()["messages"][-1]["content"]
    data = sent.split("<cluster-data>", 1)[1]
    assert "</cluster-data>" not in data.rsplit("</cluster-data>", 1)[0]  # the planted closing tag was defused
    assert "```" not in data
    llm = [p for p in proposals if p.source.startswith("llm:")]
    assert len(llm) == len(answer["proposals"])
    assert not any(p.allowed for p in llm)
    assert all(p.decision and p.decision.reasons for p in llm)
    reasons = " | ".join(r for p in llm if p.decision for r in p.decision.reasons)
    for expected in (
        "has no active finding",
        "does not match any typed action's schema",
        "namespace kube-system (protected) is not allowed",
        "not found",
    ):
        assert expected in reasons
    # The rule proposals are still there, and they are the only allowed ones.
    assert {p.target.key for p in proposals if p.allowed} <= {p.target.key for p in proposals if p.source == "rule"}


def test_llm_choice_goes_through_the_same_build_and_gate() -> None:
    snap = load_snapshot([DEMO])
    results = analyze_snapshot(snap, AnalyzeRequest()).results
    choice = {
        "proposals": [
            {
                "action": "raise-memory-limit",
                "kind": "Deployment",
                "namespace": "shop",
                "name": "recommender",
                "params": {"memory": "768Mi"},
            }
        ]
    }
    pol = Policy.from_spec({**policy().to_spec(), "actions": ["raise-memory-limit"]})
    with serve(lambda r: openai_answer(json.dumps(choice))) as srv:
        proposals = plan(snap, results, pol, llm=backend(srv.url))
    llm = [p for p in proposals if p.source.startswith("llm:")]
    (p,) = llm
    assert p.changes[0].new == "768Mi"
    # The rule proposal for the same object came first; the duplicate is refused.
    assert not p.allowed and "already targets" in p.decision.reasons[-1]  # type: ignore[union-attr]
    too_much = {"proposals": [{**choice["proposals"][0], "params": {"memory": "2Gi"}}]}
    with serve(lambda r: openai_answer(json.dumps(too_much))) as srv:
        (p,) = [p for p in plan(snap, results, pol, llm=backend(srv.url)) if p.source.startswith("llm:")]
    assert not p.allowed and "exceeds 1Gi" in p.reason
