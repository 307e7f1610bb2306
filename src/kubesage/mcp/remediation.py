"""The one write tool, `submit_remediation`, offered only by `kubesage mcp --allow-write` on a live cluster.

It goes through the same pipeline as `kubesage remediate apply`: the proposal is re-planned from a fresh
read (as the reader agent), recorded as a Remediation object, checked against the policy, dry-run, and
applied, verified and rolled back by the least-privileged agents. The MCP client is never the approver:
under a policy in `approve` mode the record waits for a human (`kubesage remediate approve ID`); only a
policy in `auto` mode lets the pipeline apply on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field

from kubesage.errors import KubesageError
from kubesage.mcp.tools import ToolError, ToolOutput, ToolSpec, _Args
from kubesage.mcp.workspace import Workspace
from kubesage.untrusted import neutralize


class SubmitArgs(_Args):
    id: str = Field(..., min_length=1, description="A proposal id from remediation_plan.")
    namespace: str = Field("", description="The namespace remediation_plan was asked for (empty: all).")


@dataclass
class WriteSettings:
    policy: Any
    """A kubesage.remediate.policy.Policy (from --policy, else approve mode for every action)."""
    agents_namespace: str = "kubesage"
    record_namespace: str = "kubesage"
    agents_prefix: str = "kubesage-agent-"


def write_tools(settings: WriteSettings) -> list[ToolSpec]:
    def submit(ws: Workspace, a: SubmitArgs) -> ToolOutput:
        return _submit(ws, a, settings)

    return [ToolSpec("submit_remediation", "Submit a remediation",
                     "Submit one proposal from remediation_plan to kubesage's remediation pipeline (policy, "
                     "server-side dry-run, approval, apply by a least-privileged agent, verify, roll back). "
                     "Under an approve-mode policy it waits for a human to approve.",
                     SubmitArgs, submit, read_only=False)]  # fmt: skip


def _submit(ws: Workspace, a: SubmitArgs, settings: WriteSettings) -> ToolOutput:
    from kubesage.agents.coordinator import AgentNames, Coordinator
    from kubesage.cluster.live import LiveCluster, connect
    from kubesage.remediate.pipeline import VERIFY_KINDS, Runner, plan
    from kubesage.remediate.records import Records

    if not ws.live:
        raise ToolError("submit_remediation needs a live cluster (not --snapshot)")
    cluster = connect(ws.source.kubeconfig, ws.source.context)
    creds = Coordinator(vars(cluster)["_api"], AgentNames(settings.agents_namespace, settings.agents_prefix))
    try:
        runner = Runner(creds, settings.policy, Records(creds.kube("record"), settings.record_namespace))
        reader = creds.kube("read").api
        snap = LiveCluster(reader, str(reader.configuration.host)).snapshot(
            sorted(set(VERIFY_KINDS) | {"Node", "PersistentVolumeClaim", "Job"}), namespace=a.namespace,
            progress=False,
        )  # fmt: skip
        from kubesage.analysis import AnalyzeRequest, analyze_snapshot

        results = analyze_snapshot(snap, AnalyzeRequest(namespace=a.namespace)).results
        found = {p.id: p for p in plan(snap, results, settings.policy, history=runner.records.history())}
        proposal = found.get(a.id)
        if proposal is None:
            known = ", ".join(found) or "none"
            raise ToolError(f"no current proposal {a.id!r} (the cluster may have changed; current: {known})")
        outcome = runner.submit(proposal, approver=None)
    except KubesageError:
        raise
    except Exception as err:  # API and credential failures: one line for the caller
        raise ToolError(f"submit_remediation: {type(err).__name__}: {err}") from None
    finally:
        creds.close()
        cluster.close()
    text = f"{outcome.id}: {outcome.phase}" + (f": {neutralize(outcome.message)}" if outcome.message else "")
    if outcome.phase == "AwaitingApproval":
        text += f"\nA human approves it with: kubesage remediate approve {outcome.id}"
    return ToolOutput(text, {"id": outcome.id, "phase": outcome.phase})
