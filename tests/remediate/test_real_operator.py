"""The operator's reconcile pass runs the remediation pipeline per the KubeSage `remediation` block."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.remediate.conftest import Env, deployment

from kubesage.operator.metrics import OperatorMetrics
from kubesage.operator.reconcile import Reconciler
from kubesage.remediate.auto import SUCCESSFUL

pytestmark = pytest.mark.real

CRDS = Path(__file__).resolve().parents[2] / "deploy" / "crds"


def test_a_kubesage_with_auto_remediation_fixes_and_reports_successful(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    for crd in ("kubesage.yaml", "result.yaml"):
        env.cluster.kubectl("apply", "--server-side", "-f", str(CRDS / crd))
    env.cluster.kubectl("wait", "--for=condition=Established", "crd/kubesages.core.kubesage.dev", "--timeout=30s")
    monkeypatch.setenv("KUBESAGE_AGENTS_PREFIX", env.coordinator.names.prefix)
    spec = {
        "targetNamespaces": [env.namespace],
        "results": {"onResolved": "mark"},
        "remediation": {
            "enabled": True,
            "mode": "auto",
            "actions": ["raise-memory-limit"],
            "namespaces": [env.namespace],
            "verifyTimeoutSeconds": 60,
        },
    }
    sage = {
        "apiVersion": "core.kubesage.dev/v1alpha1",
        "kind": "KubeSage",
        "metadata": {"name": "sage", "namespace": env.agents_ns},
        "spec": spec,
    }
    body = env.admin.create(f"/apis/core.kubesage.dev/v1alpha1/namespaces/{env.agents_ns}/kubesages", sage)
    env.apply(deployment("worker", memory="128Mi", fault="oom-below=200Mi"))
    env.wait_finding("OOMKilled")

    def no_secrets(*_: str) -> str:
        raise AssertionError("no Secret is referenced")

    # The operator's identity writes Results and mints the agents' tokens; the admin stands in for it.
    rec = Reconciler(env.agents_ns, "sage", api_client=env.admin.api, metrics=OperatorMetrics(), read_secret=no_secrets)
    rec.configure(body)
    deadline, gen = time.monotonic() + 120, 0
    path = f"/apis/core.kubesage.dev/v1alpha1/namespaces/{env.agents_ns}/results"
    try:
        while True:
            gen += 1
            snap, _ = env.analyze()
            report = rec.tick(snap, gen)
            assert report is None or not [e for e in report.errors if "remediation" in e], report.errors
            results = (env.admin.request("GET", path) or {}).get("items") or []
            pods = [r for r in results if r["spec"]["kind"] == "Pod"]
            if pods and all(r["spec"]["autoRemediationStatus"]["phase"] == SUCCESSFUL for r in pods):
                break
            assert time.monotonic() < deadline, [
                (r["metadata"]["name"], r["spec"]["autoRemediationStatus"]) for r in results
            ]
            time.sleep(1)
    finally:
        if rec.remediation is not None:
            rec.remediation.close()
    dep = env.get("Deployment", "worker")
    assert dep is not None
    assert dep["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "256Mi"
    (record,) = env.records.list()
    assert record["status"]["phase"] == "Verified" and record["status"]["approval"]["by"] == "policy:auto"
