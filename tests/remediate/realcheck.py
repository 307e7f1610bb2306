"""One scenario end to end on the real cluster, with every check the issue asks for.

Used by the tests and by benchmarks/bench_remediate.py (which times it)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tests.remediate.clusterdiff import changed, dump
from tests.remediate.conftest import Env
from tests.remediate.scenarios import Scenario

from kubesage.remediate import render
from kubesage.remediate.pipeline import Outcome


@dataclass
class Run:
    scenario: str
    outcome: Outcome | None
    seconds: float = 0.0
    refusals: int = 0
    healthy_changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def fixed(self) -> bool:
        return self.outcome is not None and self.outcome.phase == "Verified"


def _owners(env: Env, kind: str, name: str) -> list[str]:
    """uids whose children a fix may legitimately change: the target and its ReplicaSets."""
    obj = env.get(kind, name)
    if obj is None:
        return []
    uid = obj["metadata"]["uid"]
    out = [uid]
    if kind == "Deployment":
        sets = (env.admin.request("GET", f"/apis/apps/v1/namespaces/{env.namespace}/replicasets") or {}).get(
            "items"
        ) or []
        out += [
            rs["metadata"]["uid"]
            for rs in sets
            if any(r.get("uid") == uid for r in rs["metadata"].get("ownerReferences") or ())
        ]
    if kind == "Pod":
        out += [r["uid"] for r in obj["metadata"].get("ownerReferences") or ()]
    return out


def run_scenario(env: Env, sc: Scenario) -> Run:
    sc.setup(env)
    env.wait_finding(sc.finding, timeout=90)
    policy = env.policy(**sc.policy)
    proposals = env.plan(policy)
    allowed = [p for p in proposals if p.allowed]
    run = Run(sc.name, None, refusals=sum(1 for p in proposals if not p.allowed))
    if [(p.action, p.target.kind) for p in allowed] != [(sc.action, sc.kind)]:
        run.problems.append(
            f"expected one {sc.action} on a {sc.kind}, got {[(p.action, p.target.key, p.decision) for p in proposals]}"
        )
        return run
    p = allowed[0]
    if sc.target != "*" and p.target.name != sc.target:
        run.problems.append(f"targeted {p.target.key}, expected {sc.target}")
        return run
    original = env.get(p.target.kind, p.target.name)
    owners = _owners(env, p.target.kind, p.target.name)
    before = dump(env.admin.api)
    start = time.monotonic()
    outcome = env.runner(policy).run([p])[0]
    run.outcome, run.seconds = outcome, time.monotonic() - start
    if outcome.phase != sc.outcome:
        run.problems.append(f"phase {outcome.phase} ({outcome.message}), expected {sc.outcome}")
    rec = env.records.get(outcome.id) or {}
    steps = [(s.get("step"), s.get("outcome")) for s in (rec.get("status") or {}).get("steps") or ()]
    for needed in (("policy", "allowed"), ("dry-run", "ok"), ("approve", "approved"), ("apply", "ok")):
        if needed not in steps:
            run.problems.append(f"record lacks step {needed}: {steps}")
    if p.changes and not (rec.get("status") or {}).get("dryRun", {}).get("diff"):
        run.problems.append("record has no dry-run diff")
    after_obj = env.get(p.target.kind, p.target.name)
    if outcome.phase == "Verified":
        from kubesage.remediate.actions.base import get_action

        snap, results = env.analyze()
        action = get_action(p.action)
        assert action is not None
        if p.target.kind != "Pod" and action.evidence(snap, p.target, results) is not None:
            run.problems.append("finding still active after Verified")
        if p.target.kind == "Deployment" and after_obj is not None:
            pods = (
                env.admin.request(
                    "GET", f"/api/v1/namespaces/{env.namespace}/pods", query=[("labelSelector", _selector(after_obj))]
                )
                or {}
            ).get("items") or []
            ready = [
                q
                for q in pods
                if any(
                    c.get("type") == "Ready" and c.get("status") == "True"
                    for c in (q.get("status") or {}).get("conditions") or ()
                )
            ]
            if len(ready) != int(after_obj["spec"].get("replicas", 1)):
                run.problems.append(f"{len(ready)} ready pods after the fix")
    rolled = outcome.phase == "RolledBack" and original is not None and after_obj is not None
    if rolled and render.comparable(original).get("spec") != render.comparable(after_obj).get("spec"):
        run.problems.append("rollback did not restore the original spec")
    events = (
        env.admin.request(
            "GET",
            f"/api/v1/namespaces/{env.namespace}/events",
            query=[("fieldSelector", f"involvedObject.name={p.target.name}")],
        )
        or {}
    ).get("items") or []
    if not any(str(e.get("reason", "")).startswith("Remediation") for e in events):
        run.problems.append("no Remediation event on the target")
    after = dump(env.admin.api)
    owners += _owners(env, p.target.kind, p.target.name)  # ReplicaSets the fix rolled in
    targets = [(p.target.key, [c.path for c in p.changes])]
    run.healthy_changes = changed(before, after, targets, owners)
    if run.healthy_changes:
        run.problems.append(f"healthy objects changed: {run.healthy_changes}")
    for neighbor in sc.neighbors:
        kind, name = neighbor.split("/")
        if f"{kind}/{env.namespace}/{name}" not in after:
            run.problems.append(f"neighbor {neighbor} is gone")
    return run


def _selector(obj: dict[str, Any]) -> str:
    labels = obj["spec"]["selector"].get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in labels.items())
