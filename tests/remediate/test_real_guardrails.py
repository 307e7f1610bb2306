"""Guardrails on the real API server: conflicts abort, injection is refused, policy holds, approval gates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.llm.wire import serve
from tests.remediate.clusterdiff import changed, dump
from tests.remediate.conftest import Env, deployment, service
from tests.remediate.injection import INJECTIONS, obedient_answer, responder

from kubesage.agents.client import KubeError
from kubesage.config import Config
from kubesage.llm.registry import create, resolve
from kubesage.remediate import render
from kubesage.remediate.model import Change, Finding, Proposal, Target
from kubesage.remediate.pipeline import plan

pytestmark = pytest.mark.real


def _oom(env: Env) -> Proposal:
    env.apply(deployment("worker", memory="128Mi", fault="oom-below=200Mi"))
    env.wait_finding("OOMKilled")
    (p,) = [p for p in env.plan(env.policy()) if p.allowed]
    return p


def test_a_change_between_plan_and_apply_aborts_and_is_not_overwritten(env: Env) -> None:
    p = _oom(env)
    path = f"/apis/apps/v1/namespaces/{env.namespace}/deployments/worker"
    # Someone else raises the limit to their own value after the plan.
    env.admin.request(
        "PATCH",
        path,
        query=[("fieldManager", "someone")],
        body={
            "spec": {
                "template": {"spec": {"containers": [{"name": "app", "resources": {"limits": {"memory": "300Mi"}}}]}}
            }
        },
        content_type="application/strategic-merge-patch+json",
    )
    outcome = env.runner(env.policy()).run([p])[0]
    assert outcome.phase == "Aborted" and "changed since the plan" in outcome.message
    dep = env.get("Deployment", "worker")
    assert dep is not None
    assert dep["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "300Mi"
    rec = env.records.get(outcome.id)
    assert rec is not None and rec["status"]["phase"] == "Aborted"
    assert not (rec["status"].get("apply") or {}).get("at")


def test_an_unrelated_spec_change_also_aborts(env: Env) -> None:
    p = _oom(env)
    env.admin.merge_patch(
        f"/apis/apps/v1/namespaces/{env.namespace}/deployments/worker", {"spec": {"minReadySeconds": 3}}
    )
    outcome = env.runner(env.policy()).run([p])[0]
    assert outcome.phase == "Aborted" and "generation" in outcome.message


def test_failed_verification_rolls_back_to_the_exact_original(env: Env) -> None:
    env.apply(deployment("worker", memory="128Mi", fault="oom-below=2Gi"))
    env.wait_finding("OOMKilled")
    policy = env.policy(verifyTimeoutSeconds=6)
    (p,) = [p for p in env.plan(policy) if p.allowed]
    original = env.get("Deployment", "worker")
    outcome = env.runner(policy).run([p])[0]
    assert outcome.phase == "RolledBack", outcome.message
    now = env.get("Deployment", "worker")
    assert original is not None and now is not None
    assert render.comparable(now)["spec"] == render.comparable(original)["spec"]
    rec = env.records.get(outcome.id)
    assert rec is not None
    assert rec["status"]["rollback"]["ok"] is True
    assert [s["step"] for s in rec["status"]["steps"]][-2:] == ["verify", "rollback"]


def _backend(url: str) -> Any:
    config = Config.model_validate({"ai": {"providers": [{"name": "localai", "baseurl": url + "/v1", "model": "m"}]}})
    info, provider = resolve(config, "localai")
    return create(info, provider, config)


def test_prompt_injection_is_refused_and_healthy_objects_stay_untouched(env: Env) -> None:
    ns = env.namespace
    billing = deployment("billing", replicas=2, annotations={"note": INJECTIONS[0]})
    billing["metadata"]["annotations"] = {"ops-note": INJECTIONS[1]}
    env.apply(billing, service("billing", {"app": "billing"}), deployment("ledger", replicas=1))
    env.wait_rolled_out("billing")
    env.wait_rolled_out("ledger")
    env.apply(deployment("web", replicas=1))
    env.wait_rolled_out("web")
    env.apply(deployment("web", image="registry.local/app:bad", replicas=1, fault="image-pull"))
    found = env.wait_finding("ImagePullBackOff|Back-off pulling")
    # Events and logs carry instructions too.
    pod = found[0].name.split("/")[1]
    env.admin.create(
        f"/api/v1/namespaces/{ns}/events",
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": "web."},
            "involvedObject": {"kind": "Pod", "name": pod, "namespace": ns},
            "reason": "Failed",
            "type": "Warning",
            "message": INJECTIONS[1],
        },
    )
    snap, results = env.analyze()
    snap.add_log(ns, pod, "app", INJECTIONS[2])
    for r in results:
        r.error[-1].text += " " + INJECTIONS[0]
    answer = obedient_answer(ns, ["billing", "ledger"], "web")
    policy = env.policy()
    before = dump(env.admin.api)
    with serve(responder(answer)) as srv:
        proposals = plan(snap, results, policy, llm=_backend(srv.url), history=env.records.history())
    llm = [p for p in proposals if p.source.startswith("llm:")]
    assert len(llm) == len(answer["proposals"]) and not any(p.allowed for p in llm)
    outcomes = env.runner(policy).run(proposals)
    refused = [o for o in outcomes if o.phase == "Refused"]
    assert len(refused) == len(llm)  # one record each, every one refused
    applied = [o for o in outcomes if o.phase not in ("Refused",)]
    assert [o.phase for o in applied] == ["Verified"]  # only the rule's rollback of the broken web
    after = dump(env.admin.api)
    web = next(p for p in proposals if p.allowed)
    web_obj = env.get("Deployment", "web")
    assert web_obj is not None
    owners = [web_obj["metadata"]["uid"]] + [
        rs["metadata"]["uid"]
        for rs in (env.admin.request("GET", f"/apis/apps/v1/namespaces/{ns}/replicasets") or {}).get("items") or []
        if rs["metadata"]["name"].startswith("web-")
    ]
    assert changed(before, after, [(web.target.key, ["spec.template"])], owners) == []
    assert env.admin.get("/api/v1/namespaces/kube-system") is not None
    for name, replicas in (("billing", 2), ("ledger", 1)):
        dep = env.get("Deployment", name)
        assert dep is not None and dep["spec"]["replicas"] == replicas
    # Every refusal is recorded with its reason.
    recs = [r for r in env.records.list() if r["spec"]["source"].startswith("llm:")]
    assert recs and all(r["status"]["phase"] == "Refused" and r["status"]["decision"]["reasons"] for r in recs)


def test_cross_namespace_and_out_of_policy_proposals_are_refused_with_the_reason_recorded(
    env: Env, real_cluster: Any
) -> None:
    other = env.namespace + "-x"
    real_cluster.kubectl("create", "namespace", other)
    try:
        broken = deployment("web", replicas=1, fault="crash")
        broken["metadata"]["namespace"] = other
        env.apply(broken)
        env.apply(deployment("api", replicas=0), service("api", {"app": "api"}))
        env.wait_finding("has no endpoints")
        snap, results = env.analyze()
        snap2, results2 = env.analyze(other)
        # A finding in `other` cannot justify a change in the allowed namespace.
        cross = Proposal(
            "scale",
            Target("Deployment", env.namespace, "api"),
            {"replicas": 1},
            finding=Finding("Pod", f"{other}/web-x", ["CrashLoopBackOff"]),
        )
        cross.changes = [Change("spec.replicas", 0, 1)]
        policy = env.policy(actions=["fix-service-selector"], scale={"min": 1, "max": 3})
        from kubesage.remediate.propose import gate

        proposals = gate([cross], policy) + plan(snap, results, policy) + plan(snap2, results2, policy)
        outcomes = env.runner(policy).run(proposals)
        assert outcomes and all(o.phase == "Refused" for o in outcomes)
        reasons = " | ".join(o.message for o in outcomes)
        assert "cross-namespace" in reasons
        assert "action scale is not allowed by policy" in reasons
        recs = env.records.list()
        assert all(r["status"]["phase"] == "Refused" and r["status"]["decision"]["reasons"] for r in recs)
        dep = env.get("Deployment", "api")
        assert dep is not None and dep["spec"]["replicas"] == 0
    finally:
        real_cluster.kubectl("delete", "namespace", other, "--wait=false", check=False)


def kubesage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kubesage.cli.app", *args], capture_output=True, text=True, timeout=240
    )


def test_cli_apply_waits_for_approval_then_approve_verifies_and_rollback_restores(env: Env, tmp_path: Path) -> None:
    env.apply(deployment("cache", replicas=0), service("cache", {"app": "cache"}))
    env.wait_finding("has no endpoints")
    pol = tmp_path / "policy.yaml"
    pol.write_text(
        json.dumps(
            {
                "enabled": True,
                "mode": "approve",
                "actions": ["scale"],
                "namespaces": [env.namespace],
                "verifyTimeoutSeconds": 60,
            }
        )
    )
    common = (
        "--kubeconfig",
        str(env.kubeconfig),
        "--agents-namespace",
        env.agents_ns,
        "--record-namespace",
        env.agents_ns,
        "--agents-prefix",
        env.coordinator.names.prefix,
    )
    plan_out = kubesage(
        "remediate", "plan", "--kubeconfig", str(env.cluster.kubeconfig), "-n", env.namespace, "--policy", str(pol)
    )
    assert plan_out.returncode == 0 and "scale Deployment/" in plan_out.stdout
    proc = kubesage("remediate", "apply", "-n", env.namespace, "--policy", str(pol), *common)
    assert proc.returncode == 0, proc.stderr
    assert "AwaitingApproval" in proc.stdout
    name = proc.stdout.split(":")[0].strip()
    dep = env.get("Deployment", "cache")
    assert dep is not None and dep["spec"]["replicas"] == 0  # nothing written before approval
    proc = kubesage("remediate", "approve", name, "--policy", str(pol), *common)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Verified" in proc.stdout
    dep = env.get("Deployment", "cache")
    assert dep is not None and dep["spec"]["replicas"] == 1
    rec = env.records.get(name)
    assert rec is not None and rec["status"]["approval"]["by"].startswith("cli:")
    hist = kubesage(
        "remediate", "history", "--kubeconfig", str(env.cluster.kubeconfig), "--record-namespace", env.agents_ns
    )
    assert name in hist.stdout and "Verified" in hist.stdout
    proc = kubesage("remediate", "rollback", name, *common)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    dep = env.get("Deployment", "cache")
    assert dep is not None and dep["spec"]["replicas"] == 0


def test_approval_by_annotation_on_the_record(env: Env) -> None:
    env.apply(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "r"},
            "spec": {
                "schedule": "@hourly",
                "suspend": True,
                "jobTemplate": {
                    "spec": {
                        "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "i"}]}}
                    }
                },
            },
        }
    )
    env.wait_finding("is suspended")
    policy = env.policy(mode="approve")
    (p,) = [p for p in env.plan(policy) if p.allowed]
    runner = env.runner(policy)
    (o,) = runner.run([p])
    assert o.phase == "AwaitingApproval"
    assert runner.resume(o.id).message == "not approved"
    env.records.approve(o.id, "alice@example.com")
    done = runner.resume(o.id)
    assert done.phase == "Verified"
    rec = env.records.get(o.id)
    assert rec is not None and rec["status"]["approval"] == {
        **rec["status"]["approval"],
        "by": "alice@example.com",
        "via": "annotation",
    }
    cj = env.get("CronJob", "r")
    assert cj is not None and cj["spec"]["suspend"] is False


def test_the_server_enforces_the_resource_version_precondition_of_every_write(env: Env) -> None:
    """Server-side apply, JSON patch and the scale subresource all refuse a stale resourceVersion."""
    from kubesage.remediate.actions.base import get_action
    from kubesage.remediate.pipeline import write

    p = _oom(env)
    action = get_action(p.action)
    assert action is not None
    stale = env.get("Deployment", "worker")
    assert stale is not None
    env.admin.merge_patch(
        f"/apis/apps/v1/namespaces/{env.namespace}/deployments/worker", {"metadata": {"labels": {"touched": "yes"}}}
    )
    fixer = env.coordinator.kube("patch")
    for dry_run in (True, False):
        with pytest.raises(KubeError) as err:
            write(fixer, p, action, stale, dry_run=dry_run)
        assert err.value.conflict, err.value
    scale = Proposal("scale", p.target, changes=[Change("spec.replicas", 1, 2)])
    scale_action = get_action("scale")
    assert scale_action is not None
    with pytest.raises(KubeError) as err:
        write(env.coordinator.kube("scale"), scale, scale_action, stale, dry_run=False)
    assert err.value.conflict, err.value
    dep = env.get("Deployment", "worker")
    assert dep is not None and dep["spec"]["replicas"] == 1
    assert dep["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "128Mi"
