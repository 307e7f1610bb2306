"""OLM v0 (operators.coreos.com): CatalogSource, ClusterServiceVersion, Subscription,
InstallPlan and OperatorGroup (k8sgpt parity; `--namespace` and `--selector` honoured)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from kubesage.analyzers.base import AnalysisContext, conditions, go_quote, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import namespace_of
from kubesage.results import Failure, Result


def worst_condition(conds: list[Mapping[str, Any]]) -> str:
    """First condition not True that has a reason or a message, as "reason: message"."""
    for c in conds:
        if c.get("status") == "True":
            continue
        reason, msg = str(c.get("reason") or ""), str(c.get("message") or "")
        if reason and msg:
            return f"{reason}: {msg}"
        if reason or msg:
            return reason + msg
    return ""


def _status(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    status = obj.get("status")
    return status if isinstance(status, Mapping) else {}


def _one(kind: str, obj: Mapping[str, Any], text: str) -> Result:
    return Result(kind, ns_name(obj), [Failure(text)])


@analyzer(
    "CatalogSource",
    group="optional",
    kinds=("CatalogSource",),
    description="OLM CatalogSources whose registry connection is not READY",
    default=False,
    parents=False,
)
def catalog_source(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for cs in ctx.objects("CatalogSource"):
        conn = _status(cs).get("connectionState") or {}
        state = str(conn.get("lastObservedState") or "")
        if state and state.upper() != "READY":
            results.append(_one("CatalogSource", cs, f"connectionState={state} (address={conn.get('address') or ''})"))
    return results


@analyzer(
    "ClusterServiceVersion",
    group="optional",
    kinds=("ClusterServiceVersion",),
    description="OLM ClusterServiceVersions not in phase Succeeded",
    default=False,
    parents=False,
)
def cluster_service_version(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for csv in ctx.objects("ClusterServiceVersion"):
        phase = str(_status(csv).get("phase") or "")
        if not phase or phase == "Succeeded":
            continue
        conds = conditions(csv)
        if not conds:
            results.append(_one("ClusterServiceVersion", csv, f"phase={go_quote(phase)} (see status.conditions)"))
        elif worst := worst_condition(conds):
            results.append(_one("ClusterServiceVersion", csv, f"phase={go_quote(phase)}: {worst}"))
    return results


@analyzer(
    "Subscription",
    group="optional",
    kinds=("Subscription",),
    description="OLM Subscriptions not at the latest version (upgrade pending or available, or no state)",
    default=False,
    parents=False,
)
def subscription(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for sub in ctx.objects("Subscription"):
        state = str(_status(sub).get("state") or "")
        if state not in ("", "UpgradePending", "UpgradeAvailable"):
            continue
        detail = "subscription not at latest"
        if worst := worst_condition(conditions(sub)):
            detail += "; " + worst
        results.append(_one("Subscription", sub, f"state={go_quote(state)}: {detail}"))
    return results


@analyzer(
    "InstallPlan",
    group="optional",
    kinds=("InstallPlan",),
    description="OLM InstallPlans not in phase Complete",
    default=False,
    parents=False,
)
def install_plan(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for ip in ctx.objects("InstallPlan"):
        phase = str(_status(ip).get("phase") or "")
        if not phase or phase == "Complete":
            continue
        conds = conditions(ip)
        first = conds[0] if conds else {}
        reason, msg = str(first.get("reason") or ""), str(first.get("message") or "")
        if reason and msg:
            text = f"phase={go_quote(phase)}: {reason}: {msg}"
        elif reason or msg:
            text = f"phase={go_quote(phase)}: {reason}{msg}"
        else:
            text = f"phase={go_quote(phase)} (approval/manual? check status.conditions)"
        results.append(_one("InstallPlan", ip, text))
    return results


@analyzer(
    "OperatorGroup",
    group="optional",
    kinds=("OperatorGroup",),
    description="Namespaces with more than one OLM OperatorGroup",
    default=False,
    parents=False,
)
def operator_group(ctx: AnalysisContext) -> list[Result]:
    counts = Counter(namespace_of(og) for og in ctx.objects("OperatorGroup"))
    return [
        Result("OperatorGroup", ns, [Failure(f"{n} OperatorGroups in namespace; this can break CSV resolution")])
        for ns, n in counts.items()
        if n > 1
    ]
