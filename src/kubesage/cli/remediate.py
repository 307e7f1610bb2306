"""`kubesage remediate plan|apply|approve|rollback|history`.

`plan` is read-only (live or --snapshot) and prints each proposal's policy decision,
patch and equivalent kubectl command. Only `apply`, `approve` and `rollback` write, and
they write through the guarded pipeline with the agents' least-privileged credentials.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kubesage.cli.options import Context, Kubeconfig, Namespace, Snapshots
from kubesage.errors import KubesageError

if TYPE_CHECKING:
    from kubesage.agents.coordinator import Credentials
    from kubesage.cluster.snapshot import ClusterSnapshot
    from kubesage.remediate.model import Proposal
    from kubesage.remediate.pipeline import Runner
    from kubesage.remediate.policy import Policy

app = typer.Typer(
    help="Fix what is broken with typed, policy-checked, dry-run, verified and reversible actions.",
    no_args_is_help=True,
)

PolicyFile = Annotated[
    str | None,
    typer.Option(
        "--policy",
        help="Policy YAML: a KubeSage spec.remediation block (default: every action, every "
        "non-system namespace, approval required).",
    ),
]
Actions = Annotated[list[str] | None, typer.Option("--action", "-a", help="Only these actions (repeatable).")]
Backend = Annotated[
    str | None, typer.Option("--llm", help="Also ask this AI backend to choose typed actions (e.g. openai, localai).")
]
Output = Annotated[str, typer.Option("--output", "-o", help="text or json.")]
RecordNs = Annotated[str, typer.Option("--record-namespace", help="Namespace of the Remediation records.")]
AgentsNs = Annotated[str, typer.Option("--agents-namespace", help="Namespace of the agent ServiceAccounts.")]
AgentsPrefix = Annotated[
    str, typer.Option("--agents-prefix", help="Name prefix of the agent ServiceAccounts (chart value agents.prefix).")
]
NoAgents = Annotated[
    bool, typer.Option("--no-agents", help="Act with your own kubeconfig credentials instead of the agents' tokens.")
]


def load_policy(path: str | None, namespace: str, actions: list[str] | None) -> Policy:
    from kubesage.remediate.actions.base import all_actions
    from kubesage.remediate.policy import Policy

    if path:
        import yaml

        try:
            data = yaml.safe_load(Path(path).read_text())
        except (OSError, yaml.YAMLError) as err:
            raise KubesageError(f"cannot read policy {path}: {str(err).splitlines()[0]}") from None
        if isinstance(data, dict) and data.get("kind") == "KubeSage":
            data = (data.get("spec") or {}).get("remediation") or {}
        if isinstance(data, dict) and "remediation" in data and "mode" not in data:
            data = data["remediation"]
        if not isinstance(data, dict):
            raise KubesageError(f"policy {path}: expected a mapping (a KubeSage spec.remediation block)")
        policy = Policy.from_spec(data)
    else:
        policy = Policy.from_spec(
            {"enabled": True, "mode": "approve", "actions": list(all_actions()), "namespaces": [namespace or "*"]}
        )
    if actions:
        unknown = [a for a in actions if a not in all_actions()]
        if unknown:
            raise KubesageError(f"unknown action {unknown[0]!r} (known: {', '.join(all_actions())})")
        from dataclasses import replace

        policy = replace(policy, actions=tuple(a for a in policy.actions if a in actions))
    return policy


def _snapshot(
    snapshots: list[str] | None, kubeconfig: str | None, context: str | None, namespace: str, reader: Any = None
) -> ClusterSnapshot:
    """From files, from the reader agent (`reader`, a kubernetes ApiClient), or from the kubeconfig."""
    from kubesage.analysis import AnalyzeRequest
    from kubesage.analysis import plan as analysis_plan
    from kubesage.cli.source import load_source
    from kubesage.remediate.pipeline import VERIFY_KINDS

    _, _, kinds = analysis_plan(AnalyzeRequest(namespace=namespace))
    wanted = sorted(set(kinds) | set(VERIFY_KINDS))
    if reader is not None and not snapshots:
        from kubesage.cluster.live import LiveCluster, validate_namespace

        validate_namespace(namespace)
        live = LiveCluster(reader, str(reader.configuration.host))
        return live.snapshot(wanted, namespace=namespace, progress=False)
    return load_source(snapshots, wanted, kubeconfig, context, namespace, progress=False)


def _proposals(
    snapshots: list[str] | None,
    kubeconfig: str | None,
    context: str | None,
    namespace: str,
    policy: Policy,
    backend: str | None,
    history: list[Any] | None = None,
    reader: Any = None,
) -> tuple[ClusterSnapshot, list[Proposal]]:
    from kubesage.analysis import AnalyzeRequest, analyze_snapshot
    from kubesage.remediate.pipeline import plan

    snap = _snapshot(snapshots, kubeconfig, context, namespace, reader)
    results = analyze_snapshot(snap, AnalyzeRequest(namespace=namespace)).results
    llm = None
    if backend:
        from kubesage.config import load_config
        from kubesage.llm.registry import load_backend

        llm = load_backend(load_config(), backend)
    return snap, plan(snap, results, policy, llm=llm, history=history or ())


def _print_plan(snap: ClusterSnapshot, proposals: list[Proposal], output: str, snapshot_mode: bool) -> None:
    from rich.markup import escape

    from kubesage.cli.console import out
    from kubesage.remediate import render

    if output == "json":
        docs = []
        for p in proposals:
            obj = snap.get(p.target.kind, p.target.namespace, p.target.name) or {}
            doc = p.to_json()
            if p.changes or p.action == "delete-failed-pods":
                doc["patch"] = render.patch_text(obj, p)
                doc["kubectl"] = render.kubectl(obj, p)
            docs.append(doc)
        typer.echo(json.dumps({"proposals": docs}, indent=2, default=str))
        return
    console = out()
    if not proposals:
        console.print("No remediation proposed: no finding has a typed action that clearly fixes it.")
        return
    for p in proposals:
        verdict = "[green]allowed[/green]" if p.allowed else "[red]refused[/red]"
        console.print(
            f"[bold]{escape(p.id)}[/bold]  {escape(p.action)} {escape(p.target.key)}  ({escape(p.source)})  {verdict}"
        )
        if p.finding:
            console.print(
                f"  finding: {escape(p.finding.kind)} {escape(p.finding.name)}: "
                f"{escape('; '.join(p.finding.texts)[:300])}"
            )
        for reason in p.decision.reasons if p.decision else ():
            console.print(f"  [red]refused:[/red] {escape(reason)}")
        live = snap.get(p.target.kind, p.target.namespace, p.target.name)
        if live is None or not (p.changes or p.action == "delete-failed-pods"):
            continue
        obj = live
        for c in p.changes:
            if c.path != "spec.template":
                doc = c.to_json()
                old, new = json.dumps(doc.get("from")), json.dumps(doc.get("to"))
                console.print(f"  change: {escape(c.path)}: {escape(old)} -> {escape(new)}")
        diff = render.diff(obj, render.planned(obj, p), p.target.key)
        if diff:
            console.print("  diff:")
            console.print(escape(_indent(diff)))
        if snapshot_mode or p.allowed:
            console.print("  patch:")
            console.print(escape(_indent(render.patch_text(obj, p))))
            console.print("  kubectl:")
            console.print(escape(_indent(render.kubectl(obj, p))))
        console.print()


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip().splitlines())


@app.command("plan")
def plan_cmd(
    snapshot: Snapshots = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    namespace: Namespace = "",
    policy: PolicyFile = None,
    action: Actions = None,
    llm: Backend = None,
    output: Output = "text",
) -> None:
    """Propose fixes for what is broken, with each policy decision, patch and kubectl command. Read-only."""
    if output not in ("text", "json"):
        raise KubesageError(f"unknown output format {output!r} (text, json)")
    pol = load_policy(policy, namespace, action)
    snap, proposals = _proposals(snapshot, kubeconfig, context, namespace, pol, llm)
    _print_plan(snap, proposals, output, bool(snapshot))


def _connect(kubeconfig: str | None, context: str | None) -> Any:
    from kubesage.cluster.live import connect

    cluster = connect(kubeconfig, context)
    cluster.check()
    return cluster._api


def _runner(
    kubeconfig: str | None,
    context: str | None,
    agents_ns: str,
    record_ns: str,
    no_agents: bool,
    policy: Policy,
    prefix: str = "kubesage-agent-",
) -> Runner:
    from kubesage.agents.client import Kube
    from kubesage.agents.coordinator import AgentNames, Coordinator, Direct
    from kubesage.cli.console import err
    from kubesage.remediate.pipeline import Runner
    from kubesage.remediate.records import Records

    api = _connect(kubeconfig, context)
    creds: Credentials
    if no_agents:
        creds = Direct(Kube(api, who="your kubeconfig"))
    else:
        creds = Coordinator(api, AgentNames(namespace=agents_ns, prefix=prefix))
    records = Records(creds.kube("record"), record_ns)
    return Runner(creds, policy, records, log=lambda m: err().print(m, markup=False))


def _report(outcomes: list[Any]) -> None:
    from rich.markup import escape

    from kubesage.cli.console import out

    for o in outcomes:
        colour = {"Verified": "green", "RolledBack": "yellow", "AwaitingApproval": "cyan"}.get(o.phase, "red")
        timing = f" in {o.seconds:.1f}s" if o.seconds else ""
        out().print(f"{escape(o.id)}: [{colour}]{escape(o.phase)}[/{colour}]{timing} {escape(o.message)}")


@app.command("apply")
def apply_cmd(
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    namespace: Namespace = "",
    policy: PolicyFile = None,
    action: Actions = None,
    llm: Backend = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Approve the allowed proposals now (as you).")] = False,
    record_namespace: RecordNs = "kubesage",
    agents_namespace: AgentsNs = "kubesage",
    agents_prefix: AgentsPrefix = "kubesage-agent-",
    no_agents: NoAgents = False,
) -> None:
    """Plan on the live cluster, then dry-run, approve (--yes or policy auto), apply, verify, roll back if needed."""
    pol = load_policy(policy, namespace, action)
    runner = _runner(kubeconfig, context, agents_namespace, record_namespace, no_agents, pol, agents_prefix)
    try:
        reader = runner.creds.kube("read").api
        _, proposals = _proposals(None, kubeconfig, context, namespace, pol, llm, runner.records.history(), reader)
        if not proposals:
            typer.echo("Nothing to remediate.")
            return
        approver = f"cli:{getpass.getuser()}" if yes else None
        outcomes = runner.run(proposals, approver)
    finally:
        runner.creds.close()
    _report(outcomes)
    if any(o.phase in ("Failed", "Aborted") for o in outcomes):
        raise typer.Exit(1)


@app.command("approve")
def approve_cmd(
    ids: Annotated[list[str], typer.Argument(help="Remediation record names.")],
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    policy: PolicyFile = None,
    record_namespace: RecordNs = "kubesage",
    agents_namespace: AgentsNs = "kubesage",
    agents_prefix: AgentsPrefix = "kubesage-agent-",
    no_agents: NoAgents = False,
) -> None:
    """Approve recorded proposals, then apply, verify and roll back if needed."""
    pol = load_policy(policy, "", None)
    runner = _runner(kubeconfig, context, agents_namespace, record_namespace, no_agents, pol, agents_prefix)
    try:
        outcomes = [runner.resume(i, approver=f"cli:{getpass.getuser()}") for i in ids]
    finally:
        runner.creds.close()
    _report(outcomes)
    if any(o.phase not in ("Verified",) for o in outcomes):
        raise typer.Exit(1)


@app.command("rollback")
def rollback_cmd(
    ids: Annotated[list[str], typer.Argument(help="Remediation record names.")],
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    record_namespace: RecordNs = "kubesage",
    agents_namespace: AgentsNs = "kubesage",
    agents_prefix: AgentsPrefix = "kubesage-agent-",
    no_agents: NoAgents = False,
) -> None:
    """Put back the fields an applied remediation changed, from its record (aborts if they changed since)."""
    pol = load_policy(None, "", None)
    runner = _runner(kubeconfig, context, agents_namespace, record_namespace, no_agents, pol, agents_prefix)
    try:
        outcomes = [runner.rollback(i, reason=f"rollback by cli:{getpass.getuser()}") for i in ids]
    finally:
        runner.creds.close()
    _report(outcomes)
    if any(o.phase != "RolledBack" for o in outcomes):
        raise typer.Exit(1)


@app.command("history")
def history_cmd(
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    record_namespace: RecordNs = "kubesage",
    output: Output = "text",
) -> None:
    """List Remediation records: action, target, phase, approver, timing. Read-only."""
    from kubesage.agents.client import Kube
    from kubesage.remediate.records import Records

    records = Records(Kube(_connect(kubeconfig, context)), record_namespace).list()
    if output == "json":
        typer.echo(json.dumps({"items": records}, indent=2, default=str))
        return
    if not records:
        typer.echo(f"No Remediation records in namespace {record_namespace}.")
        return
    rows = [["NAME", "ACTION", "TARGET", "SOURCE", "PHASE", "APPROVED BY", "SECONDS", "MESSAGE"]]
    for r in records:
        spec, status = r.get("spec") or {}, r.get("status") or {}
        t = spec.get("target") or {}
        rows.append(
            [
                str(r["metadata"]["name"]),
                str(spec.get("action") or ""),
                f"{t.get('kind')}/{t.get('namespace')}/{t.get('name')}",
                str(spec.get("source") or ""),
                str(status.get("phase") or ""),
                str((status.get("approval") or {}).get("by") or "-"),
                str((status.get("verify") or {}).get("seconds") or "-"),
                str(status.get("message") or "").replace("\n", " ")[:100],
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        typer.echo("   ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "   " + row[-1])
