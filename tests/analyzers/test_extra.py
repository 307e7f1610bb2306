"""Optional and beyond-k8sgpt analyzers: registration, default set, side effects, docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesage.analyzers._quantity import canonical
from kubesage.analyzers.base import AnalysisContext
from kubesage.analyzers.registry import all_specs, run_analyzers, select
from kubesage.cluster.snapshot import ClusterSnapshot

ROOT = Path(__file__).resolve().parents[2]

K8SGPT_OPTIONAL = {
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "Log",
    "GatewayClass",
    "Gateway",
    "HTTPRoute",
    "Storage",
    "Security",
    "ClusterCatalog",
    "ClusterExtension",
    "ClusterServiceVersion",
    "Subscription",
    "InstallPlan",
    "CatalogSource",
    "OperatorGroup",
}


def test_the_sixteen_optional_analyzers_are_opt_in() -> None:
    optional = {n for n, s in all_specs().items() if s.group == "optional"}
    assert optional == K8SGPT_OPTIONAL
    assert not any(all_specs()[n].default for n in optional)
    default = {s.name for s in select()[0]}
    assert not default & optional
    picked, warnings = select(filters=["Log", "HTTPRoute"])
    assert [s.name for s in picked] == ["Log", "HTTPRoute"] and warnings == []


def test_extra_analyzers_run_by_default() -> None:
    extra = {n for n, s in all_specs().items() if s.group == "extra"}
    assert len(extra) >= 10
    assert extra <= {s.name for s in select()[0]}
    assert all(all_specs()[n].description for n in extra)


def test_olmv1_analyzers_print_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    snap = ClusterSnapshot()
    snap.add({"kind": "ClusterCatalog", "metadata": {"name": "c"}, "spec": {"source": {"image": {"ref": "bad ref"}}}})
    snap.add({"kind": "ClusterExtension", "metadata": {"name": "e"}, "spec": {"source": {}}})
    specs = [all_specs()["ClusterCatalog"], all_specs()["ClusterExtension"]]
    analysis = run_analyzers(AnalysisContext(snap), specs)
    assert [r.name for r in analysis.results] == ["c", "e"]
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("quantity", "text"),
    [
        ("500Mi", "500Mi"),
        ("0.5Gi", "512Mi"),
        ("1024Ki", "1Mi"),
        ("1000Ki", "1000Ki"),
        ("500000k", "500M"),
        ("1000000", "1M"),
        ("1.5Gi", "1536Mi"),
        ("0.5", "500m"),
        ("512", "512"),
        ("1e3", "1e3"),
    ],
)
def test_quantities_print_like_go(quantity: str, text: str) -> None:
    assert canonical(quantity) == text


def test_every_analyzer_is_documented() -> None:
    extra_doc = (ROOT / "docs" / "analyzers.md").read_text(encoding="utf-8")
    compat = (ROOT / "docs" / "compat.md").read_text(encoding="utf-8")
    optional_section = compat[compat.index("## Optional analyzers") :]
    for name, spec in all_specs().items():
        if spec.group == "extra":
            assert f"## {name}" in extra_doc, f"{name} missing from docs/analyzers.md"
        if spec.group == "optional":
            assert f"`{name}`" in optional_section, f"{name} missing from docs/compat.md"


def test_secret_values_never_reach_findings() -> None:
    snap = ClusterSnapshot()
    snap.add({"kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}, "data": {"user": "c2VjcmV0LXZhbHVl"}})
    snap.add(
        {
            "kind": "Pod",
            "metadata": {"name": "api", "namespace": "shop"},
            "spec": {
                "containers": [
                    {"name": "api", "env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}]}
                ]
            },
            "status": {
                "phase": "Pending",
                "containerStatuses": [{"name": "api", "state": {"waiting": {"reason": "CreateContainerConfigError"}}}],
            },
        }
    )
    specs, _ = select(filters=["ContainerConfig", "LintReferences"])
    analysis = run_analyzers(AnalysisContext(snap), specs)
    texts = [t for r in analysis.results for t in r.texts]
    assert texts and all("c2VjcmV0" not in t and "secret-value" not in t for t in texts)
    assert any("Secret shop/db has no key pw" in t for t in texts)
