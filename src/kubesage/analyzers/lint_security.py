"""Lint: privileged containers, hostPath volumes, default service account with an automounted token."""

from __future__ import annotations

from kubesage.analyzers._lint import WORKLOAD_KINDS, Check, Findings, containers, workloads
from kubesage.analyzers.base import AnalysisContext
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import namespace_of
from kubesage.results import Result

PRIVILEGED = Check("KS-LINT-009", "critical", "drop securityContext.privileged (grant only the capabilities needed)")
HOST_PATH = Check("KS-LINT-010", "warning", "use a PersistentVolumeClaim, ConfigMap or emptyDir instead of hostPath")
DEFAULT_SA_TOKEN = Check(
    "KS-LINT-011", "warning", "use a dedicated ServiceAccount or set automountServiceAccountToken: false"
)


@analyzer(
    "LintSecurity",
    group="lint",
    kinds=(*WORKLOAD_KINDS, "ServiceAccount"),
    description="KS-LINT-009/010/011: privileged containers, hostPath volumes, default SA with automounted token",
    default=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    found = Findings()
    for w in workloads(ctx):
        for c in containers(w.spec):
            if (c.get("securityContext") or {}).get("privileged") is True:
                found.add(w.kind, w.obj, PRIVILEGED, f"Container {c.get('name')} in {w.label} runs privileged")
        for v in w.spec.get("volumes") or ():
            host = v.get("hostPath")
            if isinstance(host, dict):
                what = f"{w.label} mounts the host path {host.get('path') or ''} (volume {v.get('name')})"
                found.add(w.kind, w.obj, HOST_PATH, what)
        sa_name = str(w.spec.get("serviceAccountName") or w.spec.get("serviceAccount") or "default")
        if sa_name != "default":
            continue
        automount = w.spec.get("automountServiceAccountToken")
        if automount is None:
            sa = ctx.snapshot.get("ServiceAccount", namespace_of(w.obj), "default")
            automount = (sa or {}).get("automountServiceAccountToken")
        if automount is not False:
            what = f"{w.label} runs as the default service account with an automounted API token"
            found.add(w.kind, w.obj, DEFAULT_SA_TOKEN, what)
    return found.results()
