"""Security: default service account use, wildcard RoleBindings (Role and ClusterRole refs)
and privileged or context-less pods (k8sgpt parity; all failures kept, not only the first)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubesage.analyzers.base import AnalysisContext, go_slice, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import name_of, namespace_of
from kubesage.results import Failure, Result


def service_account(spec: Mapping[str, Any]) -> str:
    """The pod's service account; the API server fills in "default" when none is given."""
    return str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")


def _service_accounts(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for sa in ctx.objects("ServiceAccount"):
        if name_of(sa) != "default":
            continue
        users = sorted(
            name_of(p)
            for p in ctx.snapshot.objects("Pod", namespace_of(sa))
            if service_account(p.get("spec") or {}) == "default"
        )
        if users:
            text = f"Default service account is being used by pods: {go_slice(users)}"
            results.append(Result("Security/ServiceAccount", ns_name(sa), [Failure(text, [])]))
    return results


def _wildcard(values: Any) -> bool:
    return isinstance(values, list) and "*" in values


def _role_bindings(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for rb in ctx.objects("RoleBinding"):
        ref = rb.get("roleRef") or {}
        role_kind, role_name = str(ref.get("kind") or "Role"), str(ref.get("name") or "")
        if role_kind == "Role":
            role = ctx.snapshot.get("Role", namespace_of(rb), role_name)
        elif role_kind == "ClusterRole":
            role = ctx.snapshot.get("ClusterRole", "", role_name)
        else:
            continue
        if role is None:
            continue
        failures = [
            Failure(
                f"RoleBinding {name_of(rb)} references {role_kind} {role_name} which contains wildcard permissions "
                "- this is not recommended for security best practices",
                [],
            )
            for rule in role.get("rules") or ()
            if _wildcard(rule.get("verbs")) or _wildcard(rule.get("resources"))
        ]
        if failures:
            results.append(Result("Security/RoleBinding", ns_name(rb), failures))
    return results


def _pods(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for pod in ctx.objects("Pod"):
        spec = pod.get("spec") or {}
        name = name_of(pod)
        failures = [
            Failure(f"Container {c.get('name')} in pod {name} is running as privileged which poses security risks", [])
            for key in ("initContainers", "containers")
            for c in spec.get(key) or ()
            if (c.get("securityContext") or {}).get("privileged") is True
        ]
        if spec.get("securityContext") is None:
            failures.append(
                Failure(f"Pod {name} does not have a security context defined which may pose security risks", [])
            )
        if failures:
            results.append(Result("Security/Pod", ns_name(pod), failures))
    return results


@analyzer(
    "Security",
    group="optional",
    kinds=("ServiceAccount", "RoleBinding", "Role", "ClusterRole", "Pod"),
    description="Default service account use, wildcard RoleBindings, privileged pods, missing security contexts",
    default=False,
    parents=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    return _service_accounts(ctx) + _role_bindings(ctx) + _pods(ctx)
