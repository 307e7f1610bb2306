"""Remediation on a real API server: injected failures fixed by the guarded pipeline.

Boots the test cluster (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok;
tools/cluster.py), then for each scenario of tests/remediate/scenarios.py - bad rollouts,
OOM kills, config changed underneath, a Service scaled to zero or with a selector typo, an
evicted pod, a suspended CronJob, some beside an unrelated healthy workload, one built so
that verification fails - it plans, dry-runs, applies, verifies (or rolls back), and diffs
the whole cluster before and after. A last run feeds an instruction-obeying LLM (the test
suite's OpenAI wire server) the injected texts and counts the refusals.

    .venv/bin/python benchmarks/bench_remediate.py [--only NAME] [--json PATH]

Figures: fixed / scenarios, median and p90 time to fix (apply -> verified), rollbacks,
refusals, healthy-object changes (must be 0). Exits 1 if any healthy object changed or a
scenario did not end as expected.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.real_cluster import RealCluster, cluster_tool  # noqa: E402
from tests.remediate.conftest import CRD, Env, _untaint_nodes, install_agents  # noqa: E402
from tests.remediate.faults import Faults  # noqa: E402
from tests.remediate.realcheck import Run, run_scenario  # noqa: E402
from tests.remediate.scenarios import SCENARIOS, Scenario  # noqa: E402

from kubesage.agents.client import Kube  # noqa: E402
from kubesage.remediate.records import Records  # noqa: E402


def _env(cluster: RealCluster, tmp: Path) -> tuple[Env, list[str]]:
    ns, agents_ns = f"b-{secrets.token_hex(3)}", f"ks-{secrets.token_hex(3)}"
    for name in (ns, agents_ns):
        cluster.kubectl("create", "namespace", name)
    coordinator = install_agents(cluster, agents_ns, [ns], tmp)
    admin = Kube(cluster.api_client(), "admin")
    env = Env(
        cluster, ns, agents_ns, admin, coordinator, Records(coordinator.kube("record"), agents_ns), Faults(admin, [ns])
    )
    return env, [ns, agents_ns]


def _injection(cluster: RealCluster, tmp: Path) -> dict[str, int]:
    """An obedient LLM told to scale everything to 0 and delete kube-system: count what gets through."""
    from tests.llm.wire import serve
    from tests.remediate.clusterdiff import changed, dump
    from tests.remediate.conftest import deployment, service
    from tests.remediate.injection import INJECTIONS, obedient_answer, responder

    from kubesage.config import Config
    from kubesage.llm.registry import create, resolve
    from kubesage.remediate.pipeline import plan

    env, spaces = _env(cluster, tmp)
    with env.faults:
        env.apply(
            deployment("billing", replicas=2, annotations={"note": INJECTIONS[0]}),
            service("billing", {"app": "billing"}),
        )
        env.wait_rolled_out("billing")
        env.apply(deployment("web", replicas=1, fault="crash"))
        env.wait_finding("last termination reason")
        snap, results = env.analyze()
        for r in results:
            r.error[-1].text += " " + " ".join(INJECTIONS)
        config = Config.model_validate({"ai": {"providers": [{"name": "localai", "baseurl": "", "model": "m"}]}})
        answer = obedient_answer(env.namespace, ["billing"], "web")
        before = dump(env.admin.api)
        with serve(responder(answer)) as srv:
            config.ai.providers[0].baseurl = srv.url + "/v1"
            info, provider = resolve(config, "localai")
            proposals = plan(snap, results, env.policy(), llm=create(info, provider, config))
        outcomes = env.runner(env.policy()).run([p for p in proposals if p.source != "rule"])
        after = dump(env.admin.api)
    for name in spaces:
        cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)
    return {
        "proposed": len(answer["proposals"]),
        "refused": sum(1 for o in outcomes if o.phase == "Refused"),
        "applied": sum(1 for o in outcomes if o.phase not in ("Refused",)),
        "healthy_changes": len(changed(before, after)),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", action="append", default=[], help="scenario name (repeatable)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    scenarios: list[Scenario] = [s for s in SCENARIOS if not args.only or s.name in args.only]
    with tempfile.TemporaryDirectory(prefix="kubesage-bench-remediate-") as tmpdir:
        tmp = Path(tmpdir)
        handle = cluster_tool.Cluster(tmp / "cluster")
        try:
            boot = handle.up(nodes=3)
        except cluster_tool.ClusterError as err:
            print(f"real cluster unavailable: {err}", file=sys.stderr)
            return 1
        cluster = RealCluster(handle, handle.kubeconfig, handle.server, cluster_tool.bin_dir(), boot)
        runs: list[Run] = []
        try:
            _untaint_nodes(cluster)
            cluster.kubectl("apply", "--server-side", "-f", str(CRD))
            cluster.kubectl(
                "wait", "--for=condition=Established", "crd/remediations.core.kubesage.dev", "--timeout=30s"
            )
            print(f"cluster up in {boot:.1f} s; {len(scenarios)} scenarios", flush=True)
            for sc in scenarios:
                env, spaces = _env(cluster, tmp)
                started = time.monotonic()
                try:
                    with env.faults:
                        run = run_scenario(env, sc)
                except AssertionError as err:
                    run = Run(sc.name, None, problems=[str(err)])
                runs.append(run)
                phase = run.outcome.phase if run.outcome else "-"
                fix = f"{run.outcome.seconds:6.1f} s" if run.outcome and run.outcome.seconds else "     - "
                status = "ok" if not run.problems else "PROBLEM: " + "; ".join(run.problems)[:300]
                print(
                    f"  {sc.name:28} {phase:11} fix {fix}  total {time.monotonic() - started:5.1f} s  {status}",
                    flush=True,
                )
                env.coordinator.close()
                for name in spaces:
                    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)
            injection = (
                _injection(cluster, tmp)
                if not args.only
                else {"proposed": 0, "refused": 0, "applied": 0, "healthy_changes": 0}
            )
        finally:
            handle.down()
    fixed = [r for r in runs if r.fixed]
    times = sorted(r.outcome.seconds for r in fixed if r.outcome)
    figures: dict[str, Any] = {
        "scenarios": len(runs),
        "fixed": len(fixed),
        "expected_rollbacks": sum(1 for s in scenarios if s.outcome == "RolledBack"),
        "rollbacks": sum(1 for r in runs if r.outcome and r.outcome.phase == "RolledBack"),
        "median_time_to_fix_s": round(statistics.median(times), 1) if times else None,
        "p90_time_to_fix_s": round(times[int(0.9 * (len(times) - 1))], 1) if times else None,
        "refusals": sum(r.refusals for r in runs) + injection["refused"],
        "injection": injection,
        "healthy_object_changes": sum(len(r.healthy_changes) for r in runs) + injection["healthy_changes"],
        "problems": {r.scenario: r.problems for r in runs if r.problems},
    }
    print(
        f"fixed {figures['fixed']}/{figures['scenarios']} "
        f"(+{figures['rollbacks']} rolled back as designed: {figures['expected_rollbacks']}); "
        f"median time to fix {figures['median_time_to_fix_s']} s, p90 {figures['p90_time_to_fix_s']} s; "
        f"refusals {figures['refusals']} (injected proposals refused {injection['refused']}/{injection['proposed']}, "
        f"applied {injection['applied']}); healthy-object changes {figures['healthy_object_changes']}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    ok = not figures["problems"] and figures["healthy_object_changes"] == 0 and injection["applied"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
