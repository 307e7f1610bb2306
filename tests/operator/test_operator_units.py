"""Pure parts of the operator: naming, content hash, breaker, throttle, spec model, migration."""

from __future__ import annotations

import pytest

from kubesage.errors import KubesageError
from kubesage.operator.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from kubesage.operator.migrate import migrate_k8sgpt
from kubesage.operator.models import KubeSageSpec, parse_duration
from kubesage.operator.records import base_name, content_hash, result_body, severity
from kubesage.operator.throttle import TokenBucket
from kubesage.results import Failure, Result, sensitive


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_result_name_follows_k8sgpt_operator_rule() -> None:
    assert base_name("default/broken-pod") == "defaultbrokenpod"
    assert base_name("kube-system/coredns-7db6d8ff4d-abcde") == "kubesystemcoredns7db6d8ff4dabcde"
    assert base_name("node-1.example.com") == "node1.example.com"
    long = base_name("ns/" + "a" * 400)
    assert len(long) <= 253 and long[-11:-10] == "-"
    assert base_name("Default/Web_App") == "defaultwebapp"


def test_content_hash_ignores_details_and_sees_texts() -> None:
    r = Result("Pod", "default/web", [Failure("Back-off pulling image")], parent_object="Deployment/web")
    h = content_hash(r)
    r.details = "Error: the image does not exist"
    assert content_hash(r) == h
    r.error.append(Failure("second failure"))
    assert content_hash(r) != h
    other = Result("Pod", "default/web", [Failure("Back-off pulling image")], parent_object="Deployment/other")
    assert content_hash(other) != h


def test_severity_from_analyzer_group() -> None:
    groups = {"Pod": "core", "LintProbes": "lint"}
    lint = Result("Pod", "a/b", [Failure("no probe", analyzer="LintProbes")], analyzer="LintProbes")
    fail = Result("Pod", "a/b", [Failure("crash", analyzer="Pod"), Failure("no probe", analyzer="LintProbes")])
    assert severity(lint, groups) == "warning"
    assert severity(fail, groups) == "error"


def test_result_body_has_k8sgpt_fields_labels_and_owner() -> None:
    r = Result("Pod", "shop/web", [Failure("boom", sensitive("web"))], details="", parent_object="Deployment/web")
    owner = {"metadata": {"name": "sage", "namespace": "ops", "uid": "u-1"}}
    body = result_body("shopweb", r, owner=owner, backend="openai", sev="error")
    assert set(body["spec"]) == {"backend", "kind", "name", "error", "details", "parentObject", "autoRemediationStatus"}
    assert body["spec"]["error"][0]["sensitive"][0]["unmasked"] == "web"
    assert body["metadata"]["namespace"] == "ops"
    assert body["metadata"]["labels"]["kubesages.core.kubesage.dev/name"] == "sage"
    assert body["metadata"]["ownerReferences"][0]["uid"] == "u-1"


def test_breaker_opens_half_opens_and_closes_by_itself() -> None:
    clock = Clock()
    b = CircuitBreaker(failure_threshold=2, open_seconds=30, clock=clock)
    assert b.allow() and b.state == CLOSED
    b.record(0, 1, "429 Too Many Requests")
    assert b.state == CLOSED
    b.record(0, 1, "429 Too Many Requests")
    assert b.state == OPEN and not b.allow()
    clock.now += 29
    assert not b.allow()
    clock.now += 2
    assert b.allow() and b.state == HALF_OPEN and b.probing
    b.record(0, 1, "503")  # the probe fails: open again, for a full cool-down
    assert b.state == OPEN and not b.allow()
    clock.now += 31
    assert b.allow() and b.state == HALF_OPEN
    b.record(1, 0)
    assert b.state == CLOSED and b.failures == 0
    assert b.drain() == [OPEN, HALF_OPEN, OPEN, HALF_OPEN, CLOSED]
    assert b.last_error == "503"


def test_breakers_are_independent() -> None:
    a, b = CircuitBreaker(failure_threshold=1), CircuitBreaker(failure_threshold=1)
    a.record(0, 1, "down")
    assert a.state == OPEN and b.state == CLOSED and b.allow()


def test_token_bucket_refills() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=1.0, burst=2.0, clock=clock)
    assert bucket.take() and bucket.take() and not bucket.take()
    clock.now += 1.0
    assert bucket.take() and not bucket.take()


def test_spec_defaults_scope_and_errors() -> None:
    spec = KubeSageSpec.parse({"targetNamespaces": ["shop"], "excludedNamespaces": ["kube-system"]})
    assert spec.interval_seconds == 30 and spec.ai.backend == "kb" and spec.ai.anonymize
    assert spec.results.on_resolved == "delete"
    assert spec.in_scope("shop") and not spec.in_scope("payments") and not spec.in_scope("")
    assert KubeSageSpec.parse({"excludedNamespaces": ["kube-system"]}).in_scope("")
    assert parse_duration("5m") == 300
    with pytest.raises(KubesageError, match="invalid duration"):
        KubeSageSpec.parse({"interval": "soon"})
    with pytest.raises(KubesageError, match=r"sinks\.0\.type"):
        KubeSageSpec.parse({"sinks": [{"name": "x", "type": "pager"}]})


def test_sink_filter() -> None:
    spec = KubeSageSpec.parse({"sinks": [{"name": "s", "type": "slack", "url": "http://x", "kinds": ["Pod"],
                                          "severities": ["error"]}]})  # fmt: skip
    sink = spec.sinks[0]
    assert sink.wants("Pod", "error") and not sink.wants("Service", "error") and not sink.wants("Pod", "warning")


K8SGPT = {
    "apiVersion": "core.k8sgpt.ai/v1alpha1",
    "kind": "K8sGPT",
    "metadata": {"name": "k8sgpt-sample", "namespace": "k8sgpt-operator-system"},
    "spec": {
        "ai": {
            "enabled": True,
            "model": "gpt-4o-mini",
            "backend": "openai",
            "secret": {"name": "k8sgpt-sample-secret", "key": "openai-api-key"},
            "anonymized": False,
            "language": "english",
            "maxTokens": "2048",
            "backOff": {"enabled": True, "maxRetries": 5},
            "autoRemediation": {"enabled": True, "similarityRequirement": "90"},
        },
        "noCache": False,
        "repository": "ghcr.io/k8sgpt-ai/k8sgpt",
        "version": "v0.4.1",
        "filters": ["Pod", "Service"],
        "targetNamespace": "shop",
        "analysis": {"interval": "5m"},
        "sink": {"type": "mattermost", "webhook": "https://mm.example/hooks/x", "channel": "ops", "username": "bot"},
        "remoteCache": {"s3": {"bucketName": "b", "region": "eu"}},
        "customAnalyzers": [{"name": "x", "connection": {"url": "y", "port": 1}}],
    },
}


def test_migrate_maps_fields_and_names_the_rest() -> None:
    m = migrate_k8sgpt(K8SGPT)
    doc = m.document
    assert doc["apiVersion"] == "core.kubesage.dev/v1alpha1" and doc["kind"] == "KubeSage"
    assert doc["metadata"] == {"name": "k8sgpt-sample", "namespace": "k8sgpt-operator-system"}
    spec = doc["spec"]
    assert spec["interval"] == "5m" and spec["filters"] == ["Pod", "Service"]
    assert spec["targetNamespaces"] == ["shop"]
    assert spec["ai"] == {
        "enabled": True,
        "backend": "openai",
        "model": "gpt-4o-mini",
        "secret": {"name": "k8sgpt-sample-secret", "key": "openai-api-key"},
        "anonymize": False,
        "language": "english",
        "circuitBreaker": {"failureThreshold": 5},
    }
    assert spec["sinks"] == [
        {"name": "mattermost", "type": "mattermost", "url": "https://mm.example/hooks/x", "channel": "ops",
         "username": "bot"}
    ]  # fmt: skip
    assert spec["remediation"] == {"enabled": True, "mode": "plan"}
    notes = "\n".join(m.notes)
    for field in ("spec.version", "spec.repository", "spec.remoteCache", "spec.customAnalyzers", "spec.ai.maxTokens"):
        assert field in notes
    assert "similarityRequirement has no equivalent" in notes
    KubeSageSpec.parse(spec)  # the result is a valid spec


def test_migrate_unknown_backend_and_wrong_kind() -> None:
    m = migrate_k8sgpt({"kind": "K8sGPT", "metadata": {"name": "x"}, "spec": {"ai": {"backend": "amazonbedrock"}}})
    assert m.document["spec"]["ai"]["backend"] == "kb"
    assert any("amazonbedrock: no equivalent" in n for n in m.notes)
    with pytest.raises(KubesageError, match="expected a K8sGPT object"):
        migrate_k8sgpt({"kind": "Deployment"})


def test_metrics_use_k8sgpt_operator_names() -> None:
    from prometheus_client.parser import text_string_to_metric_families

    from kubesage.operator.metrics import OperatorMetrics

    m = OperatorMetrics()
    m.results.labels("shop", "sage").set(2)
    m.results_by_type.labels("shop", "Pod", "shop/web", "sage").set(1)
    m.reconcile_errors.labels("sage").inc()
    m.ai_calls.labels("openai", "", "ops", "sage").inc(3)
    m.ai_failures.labels("openai", "", "ops", 'we"ird').inc()
    text = m.render()[0].decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name in ("k8sgpt_number_of_results", "k8sgpt_number_of_results_by_type"):
        assert families[name].type == "gauge"
    for name in ("k8sgpt_reconcile_error_count", "k8sgpt_number_of_backend_ai_calls"):
        assert families[name].type == "counter"
        assert f"\n{name}{{" in text  # exactly k8sgpt-operator's sample name, no _total
    calls = families["k8sgpt_number_of_backend_ai_calls"].samples[0]
    assert calls.labels == {"backend": "openai", "deployment": "", "namespace": "ops", "k8sgpt": "sage"}
    assert calls.value == 3
    assert families["k8sgpt_number_of_failed_backend_ai_calls"].samples[0].labels["k8sgpt"] == 'we"ird'


def test_each_kubesage_keeps_its_own_result_series() -> None:
    from kubesage.operator.metrics import OperatorMetrics
    from kubesage.operator.reconcile import Reconciler

    metrics = OperatorMetrics()

    def rec(name: str) -> Reconciler:
        return Reconciler("ops", name, api_client=None, metrics=metrics, read_secret=lambda *a: "")

    a, b = rec("a"), rec("b")
    a._update_result_metrics([Result("Pod", "shop/web", [Failure("x")]), Result("Pod", "shop/api", [Failure("y")])])
    b._update_result_metrics([Result("Service", "pay/db", [Failure("z")])])
    a._update_result_metrics([Result("Pod", "shop/web", [Failure("x")])])  # api fixed
    text = metrics.render()[0].decode()
    assert 'k8sgpt_number_of_results{k8sgpt="a",object_namespace="shop"} 1.0' in text
    assert 'k8sgpt_number_of_results{k8sgpt="b",object_namespace="pay"} 1.0' in text
    assert 'name="shop/api"' not in text and 'name="pay/db"' in text and 'name="shop/web"' in text


def test_a_failed_pass_is_reported_not_raised() -> None:
    from kubernetes import client

    from kubesage.cluster.snapshot import ClusterSnapshot
    from kubesage.operator.metrics import OperatorMetrics
    from kubesage.operator.reconcile import Reconciler
    from llm.wire import unreachable_url

    cfg = client.Configuration()
    cfg.host = unreachable_url()
    cfg.retries = 0
    metrics = OperatorMetrics()
    rec = Reconciler("ops", "a", api_client=client.ApiClient(cfg), metrics=metrics, read_secret=lambda *a: "")
    rec.configure({"metadata": {"name": "a", "namespace": "ops", "generation": 1}, "spec": {}})
    report = rec.tick(ClusterSnapshot(), 1)
    assert report is not None and report.errors[0].startswith("reconcile failed: ")
    ready = next(c for c in rec.status()["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False" and ready["reason"] == "ReconcileFailed"
    assert 'k8sgpt_reconcile_error_count{k8sgpt="a"} 1.0' in metrics.render()[0].decode()
