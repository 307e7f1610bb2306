"""Turn findings into proposals: from rules, or from an LLM's typed choices.

Both go through `make`, which builds the action's changes from the live (or snapshot)
object and runs the policy gate. A proposal that cannot be built is kept, refused, with
its reason: refusals are recorded, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kubesage.cluster.snapshot import ClusterSnapshot, meta
from kubesage.remediate.actions.base import Action, all_actions
from kubesage.remediate.model import Decision, Finding, Proposal, Refusal, Target
from kubesage.remediate.policy import Applied, Policy
from kubesage.results import Result

# Which action wins when several fit one object: the narrowest fix first.
PRIORITY = (
    "restart-rollout",
    "raise-memory-limit",
    "rollback-deployment",
    "scale",
    "fix-service-selector",
    "delete-failed-pods",
    "resume-cronjob",
    "fix-cronjob-schedule",
)


def finding_of(result: Result | None) -> Finding | None:
    if result is None:
        return None
    return Finding(result.kind, result.name, result.texts, result.parent_object)


def make(
    action: Action,
    target: Target,
    params: dict[str, Any],
    snap: ClusterSnapshot,
    results: list[Result],
    policy: Policy,
    source: str = "rule",
) -> Proposal:
    """A proposal with its changes built (or its refusal reason); no policy decision yet."""
    proposal = Proposal(action.name, target, dict(params), source=source)
    obj = snap.get(target.kind, target.namespace, target.name)
    if obj is None:
        proposal.reason = f"{target.kind} {target.namespace}/{target.name} not found"
        proposal.decision = Decision(False, [proposal.reason])
        return proposal
    m = meta(obj)
    proposal.resource_version = str(m.get("resourceVersion") or "")
    proposal.generation = int(m.get("generation") or 0)
    proposal.uid = str(m.get("uid") or "")
    evidence = action.evidence(snap, target, results)
    proposal.finding = finding_of(evidence)
    if evidence is None:
        return proposal  # the policy gate refuses it: nothing broken
    try:
        proposal.changes = action.build(snap, obj, target, proposal.params, policy, evidence)
    except Refusal as why:
        proposal.reason = str(why)
        proposal.decision = Decision(False, [str(why)])
        return proposal
    proposal.reason = proposal.reason or action.fixes
    return proposal


def rule_proposals(snap: ClusterSnapshot, results: list[Result], policy: Policy) -> list[Proposal]:
    """One proposal per broken object that a typed action clearly fixes."""
    actions = all_actions()
    out: list[Proposal] = []
    seen: set[str] = set()
    for result in results:
        for name in PRIORITY:
            action = actions[name]
            if not action.matches(result):
                continue
            built = False
            for target in action.targets_of(snap, result):
                if target.key in seen:
                    built = True
                    continue
                proposal = make(action, target, {}, snap, results, policy)
                if (
                    proposal.decision is not None
                    and not proposal.decision.allowed
                    and proposal.reason
                    and not proposal.changes
                ):
                    continue  # this action does not fit; a later one may
                seen.add(target.key)
                out.append(proposal)
                built = True
            if built:
                break
    return out


def gate(
    proposals: Iterable[Proposal], policy: Policy, history: Iterable[Applied] = (), now: datetime | None = None
) -> list[Proposal]:
    """Run the policy gate over proposals in order; allowed ones count against the caps."""
    now = now or datetime.now().astimezone()
    ledger = list(history)
    taken: set[str] = set()
    out: list[Proposal] = []
    for p in proposals:
        if p.decision is not None and not p.decision.allowed:
            out.append(p)
            continue
        decision = policy.check(p, ledger, now)
        if p.target.key in taken:
            decision = Decision(False, [*decision.reasons, f"another proposal already targets {p.target.key}"])
        p.decision = decision
        if decision.allowed:
            taken.add(p.target.key)
            ledger.append(Applied(now, p.target.namespace, p.target.key))
        out.append(p)
    return out
