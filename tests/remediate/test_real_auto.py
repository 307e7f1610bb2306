"""The operator's remediation step on the real API server: policy modes and autoRemediationStatus."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from tests.remediate.conftest import Env, deployment

from kubesage.operator.records import base_name, result_body
from kubesage.remediate.actions.base import all_actions
from kubesage.remediate.auto import ABORTED, PENDING, SUCCESSFUL, AutoRemediation

pytestmark = pytest.mark.real

RESULT_CRD = Path(__file__).resolve().parents[2] / "deploy" / "crds" / "result.yaml"
CRONJOB = {
    "apiVersion": "batch/v1",
    "kind": "CronJob",
    "metadata": {"name": "nightly"},
    "spec": {
        "schedule": "@daily",
        "suspend": True,
        "jobTemplate": {
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "i"}]}}}
        },
    },
}


@pytest.fixture
def auto(env: Env) -> Any:
    env.cluster.kubectl("apply", "--server-side", "-f", str(RESULT_CRD))
    env.cluster.kubectl("wait", "--for=condition=Established", "crd/results.core.kubesage.dev", "--timeout=30s")
    # The operator's own identity writes Results and mints agent tokens; here the admin stands in for it.
    a = AutoRemediation(env.admin.api, env.agents_ns, env.coordinator.names)
    yield a
    a.close()


def _results(env: Env, results: list[Any]) -> dict[str, Any]:
    owner = {"metadata": {"name": "ks", "namespace": env.agents_ns, "uid": "00000000-0000-0000-0000-000000000001"}}
    names = {}
    for r in results:
        name = base_name(r.name)
        body = result_body(name, r, owner=owner, backend="", sev="error")
        body["metadata"].pop("ownerReferences")
        env.admin.create(f"/apis/core.kubesage.dev/v1alpha1/namespaces/{env.agents_ns}/results", body)
        names[name] = r
    return names


def _drive(env: Env, auto: AutoRemediation, spec: dict[str, Any], names: dict[str, Any], want: int) -> dict[str, int]:
    deadline = time.monotonic() + 90
    while True:
        snap, results = env.analyze()
        phases, errors = auto.step(spec, snap, results)
        assert errors == []
        published = {n: phases[(r.kind, r.name)] for n, r in names.items() if (r.kind, r.name) in phases}
        assert auto.publish(published) == []
        if published and all(p == want for p in published.values()) and auto.idle():
            return published
        states = [f"{r['metadata']['name']} {(r.get('status') or {}).get('phase')}" for r in env.records.list()]
        assert time.monotonic() < deadline, f"phases {published}: {states}"
        time.sleep(1)


def _phase(env: Env, name: str) -> int:
    obj = env.admin.get(f"/apis/core.kubesage.dev/v1alpha1/namespaces/{env.agents_ns}/results/{name}")
    assert obj is not None
    return int(obj["spec"]["autoRemediationStatus"]["phase"])


def test_auto_mode_fixes_and_marks_results_successful(env: Env, auto: AutoRemediation) -> None:
    env.apply(CRONJOB, deployment("worker", memory="128Mi", fault="oom-below=200Mi"))
    env.wait_finding("OOMKilled")
    env.wait_finding("is suspended")
    _, results = env.analyze()
    names = _results(env, [r for r in results if r.kind in ("CronJob", "Pod") and r.texts])
    spec = {
        "enabled": True,
        "mode": "auto",
        "actions": list(all_actions()),
        "namespaces": [env.namespace],
        "maxPerNamespace": 5,
    }
    published = _drive(env, auto, spec, names, SUCCESSFUL)
    assert len(published) == 2
    for name in published:
        assert _phase(env, name) == SUCCESSFUL
    cj = env.get("CronJob", "nightly")
    assert cj is not None and cj["spec"]["suspend"] is False


def test_approve_mode_waits_then_an_annotation_lets_it_through(env: Env, auto: AutoRemediation) -> None:
    env.apply(CRONJOB)
    env.wait_finding("is suspended")
    _, results = env.analyze()
    names = _results(env, [r for r in results if r.kind == "CronJob"])
    spec = {"enabled": True, "mode": "approve", "actions": ["resume-cronjob"], "namespaces": [env.namespace]}
    _drive(env, auto, spec, names, PENDING)
    assert env.get("CronJob", "nightly")["spec"]["suspend"] is True  # type: ignore[index]
    (rec,) = env.records.list()
    env.records.approve(rec["metadata"]["name"], "ops@example.com")
    _drive(env, auto, spec, names, SUCCESSFUL)
    assert env.get("CronJob", "nightly")["spec"]["suspend"] is False  # type: ignore[index]


def test_out_of_policy_findings_are_aborted_not_touched(env: Env, auto: AutoRemediation) -> None:
    env.apply(CRONJOB)
    env.wait_finding("is suspended")
    _, results = env.analyze()
    names = _results(env, [r for r in results if r.kind == "CronJob"])
    spec = {"enabled": True, "mode": "auto", "actions": ["scale"], "namespaces": [env.namespace]}
    _drive(env, auto, spec, names, ABORTED)
    assert env.get("CronJob", "nightly")["spec"]["suspend"] is True  # type: ignore[index]
