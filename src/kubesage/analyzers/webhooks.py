"""Mutating/ValidatingWebhookConfiguration: webhooks whose Service or receiver pods are missing or inactive.

k8sgpt names each result `<config namespace>/<webhook>`, which is `/<webhook>` on a real
cluster (configurations are cluster-scoped) and collides across configurations; the
result name here is `<configuration>/<webhook>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubesage.analyzers.base import AnalysisContext
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import name_of, namespace_of
from kubesage.results import Failure, Result, sensitive


@analyzer(
    "MutatingWebhookConfiguration",
    group="core",
    kinds=("MutatingWebhookConfiguration", "Service", "Pod"),
    description="Mutating webhooks whose Service is missing or has no running receiver pod",
)
def analyze_mutating(ctx: AnalysisContext) -> list[Result]:
    return _analyze(ctx, "MutatingWebhookConfiguration", "Mutating")


@analyzer(
    "ValidatingWebhookConfiguration",
    group="core",
    kinds=("ValidatingWebhookConfiguration", "Service", "Pod"),
    description="Validating webhooks whose Service is missing or has no running receiver pod",
)
def analyze_validating(ctx: AnalysisContext) -> list[Result]:
    return _analyze(ctx, "ValidatingWebhookConfiguration", "Validating")


def _analyze(ctx: AnalysisContext, kind: str, label: str) -> list[Result]:
    results: list[Result] = []
    for config in ctx.objects(kind, namespaced=False):
        parent = ctx.parent(config)
        for webhook in config.get("webhooks") or ():
            if not isinstance(webhook, Mapping):
                continue
            failures = _webhook_failures(ctx, config, webhook, label)
            if failures:
                name = f"{name_of(config)}/{webhook.get('name') or ''}"
                results.append(Result(kind, name, failures, parent_object=parent))
    return results


def _webhook_failures(
    ctx: AnalysisContext, config: Mapping[str, Any], webhook: Mapping[str, Any], label: str
) -> list[Failure]:
    ref = (webhook.get("clientConfig") or {}).get("service")
    if not isinstance(ref, Mapping):
        return []  # URL webhooks are not checked
    cfg_ns, hook = namespace_of(config), str(webhook.get("name") or "")
    svc_ns, svc_name = str(ref.get("namespace") or ""), str(ref.get("name") or "")
    svc = ctx.snapshot.get("Service", svc_ns, svc_name)
    if svc is None:
        if ctx.is_missing("Service", svc_ns, svc_name):
            text = f"Service {svc_name} not found as mapped to by {label} Webhook {hook}"
            return [Failure(text, sensitive(cfg_ns, svc_name))]
        return []
    selector = (svc.get("spec") or {}).get("selector") or {}
    if not selector or not ctx.snapshot.has_kind("Pod"):
        return []
    pods = sorted(ctx.snapshot.select("Pod", svc_ns, selector), key=name_of)
    if not pods:
        text = f"No active pods found within service {svc_name} as mapped to by {label} Webhook {hook}"
        return [Failure(text, sensitive(cfg_ns))]
    return [
        Failure(
            f"{label} Webhook ({hook}) is pointing to an inactive receiver pod ({name_of(pod)})",
            sensitive(cfg_ns, hook, name_of(pod)),
        )
        for pod in pods
        if (pod.get("status") or {}).get("phase") != "Running"
    ]
