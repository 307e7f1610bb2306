"""The bundled demo cluster (examples/demo-cluster): planted failures found, healthy noise quiet.

Assertions cover only analyzers registered at the time, so this file grows as they land.
Core (k8sgpt) analyzers are checked text-for-text and must report nothing else; extra and
lint analyzers are checked by the objects they flag.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubesage.analysis import AnalyzeRequest, analyze_snapshot
from kubesage.analyzers.registry import all_specs
from kubesage.cli.app import app
from kubesage.cluster.files import load_snapshot
from kubesage.cluster.snapshot import ClusterSnapshot
from kubesage.results import Analysis

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo-cluster"

CHECKOUT_BAD = "ghcr.io/acme/checkout:v1.4.O"
PULL_ERROR = (
    f'Back-off pulling image "{CHECKOUT_BAD}": ErrImagePull: rpc error: code = NotFound desc = failed to pull and '
    f'unpack image "{CHECKOUT_BAD}": failed to resolve reference "{CHECKOUT_BAD}": {CHECKOUT_BAD}: not found'
)
QUOTA = (
    'pods "fraud-scorer-6c9d7f5b4-" is forbidden: exceeded quota: payments-quota, requested: limits.memory=1Gi, '
    "used: limits.memory=3584Mi, limited: limits.memory=4Gi"
)
EVICTED = (
    "The node was low on resource: ephemeral-storage. Threshold quantity: 1824226792, available: 1721356Ki. "
    "Container app was using 9217412Ki, request is 0, has larger consumption of ephemeral-storage. "
)
INSUFFICIENT_MEMORY = (
    "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }, "
    "2 Insufficient memory. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
    "2 No preemption victims found for incoming pod."
)
UNBOUND_PVC = (
    "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are "
    "available: 3 Preemption is not helpful for scheduling."
)
PRESSURE_NODE = "ip-10-0-2-87.ec2.internal"
HEALTHY_NODES = ("ip-10-0-1-23.ec2.internal", "ip-10-0-3-41.ec2.internal")
DISK_PRESSURE = (
    f"{PRESSURE_NODE} has condition of type DiskPressure, reason KubeletHasDiskPressure: kubelet has disk pressure"
)


def _deploy_progress(ns: str, name: str, rs: str) -> str:
    return (
        f"Deployment {ns}/{name} has condition Progressing=False, reason ProgressDeadlineExceeded: "
        f'ReplicaSet "{rs}" has timed out progressing.'
    )


# Core analyzer -> every (kind, name, parentObject, text) it must report on the demo, and nothing else.
CORE_EXPECTED: dict[str, set[tuple[str, str, str, str]]] = {
    "Pod": {
        ("Pod", "shop/checkout-7d9f8c6b5d-6fz4x", "Deployment/checkout", PULL_ERROR),
        (
            "Pod",
            "shop/cart-5c7b9d8f6d-gqsrl",
            "Deployment/cart",
            "the last termination reason is Error container=api pod=cart-5c7b9d8f6d-gqsrl",
        ),
        (
            "Pod",
            "shop/cart-5c7b9d8f6d-z84wh",
            "Deployment/cart",
            "the last termination reason is Error container=api pod=cart-5c7b9d8f6d-z84wh",
        ),
        ("Pod", "shop/image-resizer-jhc9mmrjc6-rhbtr", "Deployment/image-resizer", EVICTED),
        (
            "Pod",
            "payments/payments-api-s9r9t55hz4-pphhg",
            "Deployment/payments-api",
            "Liveness probe failed: HTTP probe failed with statuscode: 500",
        ),
        (
            "Pod",
            "payments/ledger-worker-94k7fbn8pn-7hgmw",
            "Deployment/ledger-worker",
            "couldn't find key DATABASE_URL in ConfigMap payments/ledger-config",
        ),
        (
            "Pod",
            "payments/settlement-batch-29933370-2jzq2",
            "",
            "the termination reason is Error exitCode=2 container=settle pod=settlement-batch-29933370-2jzq2",
        ),
        (
            "Pod",
            "payments/settlement-batch-29933370-zmrjd",
            "",
            "the termination reason is Error exitCode=2 container=settle pod=settlement-batch-29933370-zmrjd",
        ),
        ("Pod", "data/etl-runner-mdpmjxgd57-dchgz", "Deployment/etl-runner", INSUFFICIENT_MEMORY),
        ("Pod", "data/analytics-db-0", "StatefulSet/analytics-db", UNBOUND_PVC),
        (
            "Pod",
            "monitoring/alertmanager-wddpf98mfb-dht2m",
            "Deployment/alertmanager",
            'MountVolume.SetUp failed for volume "config" : secret "alertmanager-config" not found',
        ),
    },
    "Service": {
        ("Service", "shop/frontend", "", "Service has no endpoints, expected label app=fronted"),
        (
            "Service",
            "shop/cart",
            "",
            "Service has not ready endpoints, pods: [Pod/cart-5c7b9d8f6d-z84wh Pod/cart-5c7b9d8f6d-gqsrl], expected 2",
        ),
        (
            "Service",
            "shop/checkout",
            "",
            "Service has not ready endpoints, pods: [Pod/checkout-7d9f8c6b5d-6fz4x], expected 1",
        ),
        (
            "Service",
            "payments/payments-api",
            "",
            "Service has not ready endpoints, pods: [Pod/payments-api-s9r9t55hz4-pphhg], expected 1",
        ),
        ("Service", "payments/fraud-scorer", "", "Service has no endpoints, expected label app=fraud-scorer"),
        ("Service", "data/analytics-db", "", "Service has no endpoints, expected label app=analytics-db"),
        ("Service", "monitoring/alertmanager", "", "Service has no endpoints, expected label app=alertmanager"),
    },
    "Ingress": {("Ingress", "shop/storefront", "", "Ingress uses the service shop/search which does not exist.")},
    "Deployment": {
        ("Deployment", "shop/checkout", "", _deploy_progress("shop", "checkout", "checkout-7d9f8c6b5d")),
        ("Deployment", "shop/cart", "", "Deployment shop/cart has 2 replicas but 0 are available with status running"),
        (
            "Deployment",
            "payments/payments-api",
            "",
            "Deployment payments/payments-api has 2 replicas but 1 are available with status running",
        ),
        (
            "Deployment",
            "payments/ledger-worker",
            "",
            "Deployment payments/ledger-worker has 1 replicas but 0 are available with status running",
        ),
        (
            "Deployment",
            "payments/ledger-worker",
            "",
            _deploy_progress("payments", "ledger-worker", "ledger-worker-94k7fbn8pn"),
        ),
        (
            "Deployment",
            "payments/fraud-scorer",
            "",
            "Deployment payments/fraud-scorer has 2 replicas but 0 are available with status running",
        ),
        (
            "Deployment",
            "payments/fraud-scorer",
            "",
            _deploy_progress("payments", "fraud-scorer", "fraud-scorer-6c9d7f5b4"),
        ),
        (
            "Deployment",
            "data/etl-runner",
            "",
            "Deployment data/etl-runner has 1 replicas but 0 are available with status running",
        ),
        ("Deployment", "data/etl-runner", "", _deploy_progress("data", "etl-runner", "etl-runner-mdpmjxgd57")),
        (
            "Deployment",
            "monitoring/alertmanager",
            "",
            "Deployment monitoring/alertmanager has 1 replicas but 0 are available with status running",
        ),
        (
            "Deployment",
            "monitoring/alertmanager",
            "",
            _deploy_progress("monitoring", "alertmanager", "alertmanager-wddpf98mfb"),
        ),
    },
    "ReplicaSet": {("ReplicaSet", "payments/fraud-scorer-6c9d7f5b4", "Deployment/fraud-scorer", QUOTA)},
    "PersistentVolumeClaim": {
        ("PersistentVolumeClaim", "data/data-analytics-db-0", "", 'storageclass.storage.k8s.io "fast-ssd" not found')
    },
    "StatefulSet": {
        ("StatefulSet", "data/analytics-db", "", "StatefulSet uses the storage class fast-ssd which does not exist."),
        (
            "StatefulSet",
            "data/analytics-db",
            "",
            "Statefulset pod analytics-db-0 in the namespace data is not in running state.",
        ),
    },
    "Job": {("Job", "payments/settlement-batch-29933370", "", "Job has reached the specified backoff limit")},
    "CronJob": {
        (
            "CronJob",
            "data/nightly-report",
            "",
            "CronJob nightly-report is suspended",
        )
    },
    "Node": {("Node", PRESSURE_NODE, "", DISK_PRESSURE)},
    "ConfigMap": {
        (
            "ConfigMap",
            "shop/checkout-config-v1",
            "",
            "ConfigMap checkout-config-v1 is not used by any pods in the namespace",
        )
    },
    "DaemonSet": set(),
    "MutatingWebhookConfiguration": set(),
    "ValidatingWebhookConfiguration": set(),
}

# The eight failures the demo promises, one per required kind: (analyzer, kind, name, text).
REQUIRED = [
    ("Pod", "Pod", "shop/checkout-7d9f8c6b5d-6fz4x", PULL_ERROR),  # image tag typo
    (
        "Pod",
        "Pod",
        "shop/cart-5c7b9d8f6d-gqsrl",
        "the last termination reason is Error container=api pod=cart-5c7b9d8f6d-gqsrl",
    ),  # CrashLoopBackOff
    ("Service", "Service", "shop/frontend", "Service has no endpoints, expected label app=fronted"),  # selector typo
    ("Ingress", "Ingress", "shop/storefront", "Ingress uses the service shop/search which does not exist."),
    (
        "PersistentVolumeClaim",
        "PersistentVolumeClaim",
        "data/data-analytics-db-0",
        'storageclass.storage.k8s.io "fast-ssd" not found',
    ),
    ("Job", "Job", "payments/settlement-batch-29933370", "Job has reached the specified backoff limit"),
    (
        "CronJob",
        "CronJob",
        "data/nightly-report",
        "CronJob nightly-report is suspended",
    ),
    ("Node", "Node", PRESSURE_NODE, DISK_PRESSURE),
    ("Deployment", "Deployment", "shop/checkout", _deploy_progress("shop", "checkout", "checkout-7d9f8c6b5d")),
]

# Extra (beyond-k8sgpt) analyzers -> objects they must flag, as (kind, name).
EXTRA_EXPECTED: dict[str, set[tuple[str, str]]] = {
    "OOMKilled": {("Pod", "shop/recommender-xsd6p2lxrr-tm9bv")},
    "Probe": {("Pod", "payments/payments-api-s9r9t55hz4-pphhg")},
    "ServicePort": {("Service", "shop/catalog")},
    "IngressPort": {("Ingress", "shop/storefront")},
    "ContainerConfig": {("Pod", "payments/ledger-worker-94k7fbn8pn-7hgmw")},
    "Quota": {("ReplicaSet", "payments/fraud-scorer-6c9d7f5b4")},
    "Rollout": {("Deployment", "shop/checkout")},
    "NodeHealth": {("Node", PRESSURE_NODE)},
    "Mount": {("Pod", "monitoring/alertmanager-wddpf98mfb-dht2m")},
}

# Lint analyzers -> objects they must flag, as (kind, name).
LINT_EXPECTED: dict[str, set[tuple[str, str]]] = {
    "LintImages": {("Pod", "default/debug-shell")},
    "LintResources": {("Pod", "default/debug-shell")},
    "LintProbes": {("Pod", "default/debug-shell"), ("Deployment", "payments/ledger-worker")},
    "LintWorkloads": {("Pod", "default/debug-shell"), ("HorizontalPodAutoscaler", "shop/recommender")},
    "LintReferences": {("Deployment", "shop/frontend"), ("Deployment", "monitoring/alertmanager")},
    "LintDeprecatedAPIs": {("HorizontalPodAutoscaler", "shop/recommender")},
    "LintSecurity": {("DaemonSet", "monitoring/node-exporter")},
}

# Healthy noise: nothing in these namespaces, and none of these objects, may be flagged by default.
QUIET_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "default", "ingress-nginx")
HEALTHY_OBJECTS = {
    ("Deployment", "shop/frontend"),
    ("Deployment", "shop/catalog"),
    ("Deployment", "monitoring/grafana"),
    ("Deployment", "monitoring/kube-state-metrics"),
    ("StatefulSet", "data/redis"),
    ("DaemonSet", "monitoring/node-exporter"),
    ("Service", "data/redis"),
    ("Service", "monitoring/grafana"),
    ("PersistentVolumeClaim", "data/data-redis-0"),
    ("CronJob", "payments/settlement-batch"),
    ("ConfigMap", "monitoring/grafana-dashboard-k8s-overview"),
}
FAKE_SECRET_VALUES = ("bm90LWEtcmVhbC1wYXNzd29yZA==", "not-a-real-password", "ZGVtby1vbmx5LW5vdC1hLXNlY3JldA==")


@pytest.fixture(scope="module")
def snapshot() -> ClusterSnapshot:
    return load_snapshot([DEMO])


@pytest.fixture(scope="module")
def default_run(snapshot: ClusterSnapshot) -> Analysis:
    return analyze_snapshot(snapshot, AnalyzeRequest())


def _found(analysis: Analysis, analyzer: str) -> set[tuple[str, str, str, str]]:
    return {
        (r.kind, r.name, r.parent_object, f.text) for r in analysis.results for f in r.error if f.analyzer == analyzer
    }


def _flagged(analysis: Analysis) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for r in analysis.results:
        for f in r.error:
            out[f.analyzer].add((r.kind, r.name))
    return out


def test_demo_loads_without_warnings(snapshot: ClusterSnapshot) -> None:
    assert snapshot.warnings == []
    assert snapshot.count() > 150
    for kind in (
        "Pod",
        "Deployment",
        "ReplicaSet",
        "Service",
        "Endpoints",
        "Event",
        "Node",
        "Ingress",
        "Job",
        "CronJob",
        "PersistentVolumeClaim",
        "StorageClass",
        "IngressClass",
        "Secret",
        "DaemonSet",
    ):
        assert snapshot.has_kind(kind), kind
    assert {ns for ns, *_ in snapshot.log_keys()} == {"shop", "payments"}
    assert "invalid REDIS_URL" in (snapshot.logs("shop", "cart-5c7b9d8f6d-gqsrl", "api", previous=True) or "")


def test_owner_chains_are_consistent(snapshot: ClusterSnapshot) -> None:
    """Every ownerReference resolves by uid, and pods carry their ReplicaSet's pod-template-hash."""
    for kind in ("Pod", "ReplicaSet", "Job", "PersistentVolumeClaim"):
        for obj in snapshot.objects(kind):
            for ref in obj["metadata"].get("ownerReferences") or ():
                owner = snapshot.by_uid(ref["uid"])
                assert owner is not None and owner["metadata"]["name"] == ref["name"], obj["metadata"]["name"]
                if ref["kind"] == "ReplicaSet":
                    want = owner["metadata"]["labels"]["pod-template-hash"]
                    assert obj["metadata"]["labels"]["pod-template-hash"] == want
    for svc in snapshot.objects("Service"):
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        assert snapshot.get("Endpoints", ns, name) is not None, f"{ns}/{name} has no Endpoints"


def test_core_failures_exact(default_run: Analysis) -> None:
    specs = all_specs()
    assert default_run.errors == []
    # An unregistered analyzer fails here: its expectations are never silently dropped.
    assert not set(CORE_EXPECTED) - set(specs), f"analyzers not registered: {sorted(set(CORE_EXPECTED) - set(specs))}"
    for name in CORE_EXPECTED:
        assert _found(default_run, name) == CORE_EXPECTED[name], name


def test_the_eight_required_failures(default_run: Analysis) -> None:
    specs = all_specs()
    needed = {"Pod", "Service", "Ingress", "PersistentVolumeClaim", "Job", "CronJob", "Node", "Deployment"}
    assert needed <= set(specs), f"analyzers not registered: {sorted(needed - set(specs))}"
    for analyzer, kind, name, text in REQUIRED:
        assert any(k == kind and n == name and t == text for k, n, _, t in _found(default_run, analyzer)), (name, text)
    assert len({kind for _, kind, _, _ in REQUIRED}) == 8


def test_healthy_noise_is_quiet(default_run: Analysis) -> None:
    for r in default_run.results:
        assert r.name.split("/")[0] not in QUIET_NAMESPACES or r.kind == "Node", (r.analyzer, r.name, r.texts)
        assert (r.kind, r.name) not in HEALTHY_OBJECTS, (r.analyzer, r.name, r.texts)
        if r.kind == "Node":
            assert r.name == PRESSURE_NODE
            assert not any("ContainerRuntimeReady" in t or "KernelReady" in t for t in r.texts)
    flagged_nodes = {r.name for r in default_run.results if r.kind == "Node"}
    assert not flagged_nodes & set(HEALTHY_NODES)


def test_extra_analyzers_fire(default_run: Analysis) -> None:
    specs = all_specs()
    extras = [name for name, spec in specs.items() if spec.group == "extra"]
    assert not set(EXTRA_EXPECTED) - set(extras), f"not registered: {sorted(set(EXTRA_EXPECTED) - set(extras))}"
    flagged = _flagged(default_run)
    for name, objects in EXTRA_EXPECTED.items():
        assert objects <= flagged.get(name, set()), name
    firing = [name for name in extras if flagged.get(name)]
    assert len(firing) >= min(3, len(extras)), firing


def test_lint_prints_hygiene_findings(snapshot: ClusterSnapshot, default_run: Analysis) -> None:
    specs = all_specs()
    lint = [name for name, spec in specs.items() if spec.group == "lint"]
    assert not set(LINT_EXPECTED) - set(lint), f"not registered: {sorted(set(LINT_EXPECTED) - set(lint))}"
    linted = analyze_snapshot(snapshot, AnalyzeRequest(lint=True))
    flagged = _flagged(linted)
    for name, objects in LINT_EXPECTED.items():
        assert objects <= flagged.get(name, set()), name
    assert all(flagged.get(name) for name in lint), [n for n in lint if not flagged.get(n)]
    # Lint adds findings; it does not change what the failure analyzers report.
    base = {(f.analyzer, r.kind, r.name, f.text) for r in default_run.results for f in r.error}
    assert base <= {(f.analyzer, r.kind, r.name, f.text) for r in linted.results for f in r.error}


def test_cli_json_matches_pipeline(default_run: Analysis) -> None:
    result = CliRunner().invoke(app, ["analyze", "--snapshot", str(DEMO), "-o", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["status"] == "ProblemDetected"
    assert doc["errors"] is None
    assert doc["problems"] == default_run.problems
    got = {(r["kind"], r["name"], e["Text"]) for r in doc["results"] for e in r["error"]}
    for expected in CORE_EXPECTED.values():
        for kind, name, _, text in expected:
            assert (kind, name, text) in got
    for value in FAKE_SECRET_VALUES:
        assert value not in result.stdout


def test_cli_text_output_names_the_planted_failures() -> None:
    result = CliRunner().invoke(app, ["analyze", "--snapshot", str(DEMO)])
    assert result.exit_code == 0, result.output
    assert "Service shop/frontend()" in result.stdout
    assert "- Error: Service has no endpoints, expected label app=fronted" in result.stdout
    assert CHECKOUT_BAD in result.stdout


def test_secret_values_never_loaded(snapshot: ClusterSnapshot) -> None:
    secrets = snapshot.objects("Secret")
    assert {s["metadata"]["name"] for s in secrets} >= {"storefront-tls", "payments-db", "analytics-db"}
    for s in secrets:
        assert "data" not in s and "stringData" not in s
        assert s["kubesageDataKeys"]
    assert not any(v in json.dumps(secrets) for v in FAKE_SECRET_VALUES)
