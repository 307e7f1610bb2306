"""Node: conditions in an unhealthy state, with data-driven polarity (k8sgpt parity, #1461 fixed).

k8sgpt flags every condition type it does not know, so healthy cloud/NPD conditions such
as EKS's `ContainerRuntimeReady=True` were reported. Here each type has a polarity:
positive types are healthy when "True", negative types when "False". Types in neither
table are inferred from their name (`...Ready` positive; `...Pressure`, `...Problem`,
`Frequent...` ... negative); a type that cannot be inferred is flagged only when its
status is "Unknown". Config (`analysis.node_conditions`) extends or overrides the tables.
"""

from __future__ import annotations

from kubesage.analyzers.base import AnalysisContext, AnalysisOptions, conditions
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import name_of
from kubesage.results import Failure, Result, sensitive

# Healthy when "True": kubelet's Ready, EKS node monitoring agent conditions.
POSITIVE = frozenset(
    {"Ready", "ContainerRuntimeReady", "StorageReady", "NetworkingReady", "KernelReady", "AcceleratedHardwareReady"}
)
# Healthy when "False": kubelet pressure conditions, node-problem-detector (GKE/AKS/NPD defaults).
NEGATIVE = frozenset(
    {
        "MemoryPressure",
        "DiskPressure",
        "PIDPressure",
        "NetworkUnavailable",
        "KernelDeadlock",
        "ReadonlyFilesystem",
        "FrequentKubeletRestart",
        "FrequentDockerRestart",
        "FrequentContainerdRestart",
        "FrequentUnregisterNetDevice",
        "CorruptDockerOverlay2",
        "KubeletProblem",
        "ContainerRuntimeProblem",
        "FilesystemCorruptionProblem",
        "VMEventScheduled",
    }
)
# Informational conditions that say nothing about health (k3s etcd membership).
IGNORED = frozenset({"EtcdIsVoter"})
IGNORE = "ignore"

_POSITIVE_SUFFIXES = ("Ready", "Healthy", "Available")
_NEGATIVE_SUFFIXES = ("Pressure", "Problem", "Unavailable", "Deadlock", "Scheduled")
_NEGATIVE_PREFIXES = ("Frequent", "Corrupt", "Readonly")


def healthy_status(cond_type: str, options: AnalysisOptions) -> str | None:
    """The status of a healthy node ("True"/"False"), IGNORE, or None when the polarity is unknown."""
    if cond_type in options.node_ignored_conditions:
        return IGNORE
    if cond_type in options.node_positive_conditions:
        return "True"
    if cond_type in options.node_negative_conditions:
        return "False"
    if cond_type in IGNORED:
        return IGNORE
    if cond_type in POSITIVE or cond_type.endswith(_POSITIVE_SUFFIXES):
        return "True"
    if cond_type in NEGATIVE or cond_type.endswith(_NEGATIVE_SUFFIXES) or cond_type.startswith(_NEGATIVE_PREFIXES):
        return "False"
    return None


@analyzer(
    "Node",
    group="core",
    kinds=("Node",),
    description="Nodes with a condition in an unhealthy state (NotReady, pressure, node-problem-detector)",
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for node in ctx.objects("Node", namespaced=False):
        name = name_of(node)
        failures: list[Failure] = []
        for cond in conditions(node):
            cond_type, status = str(cond.get("type") or ""), str(cond.get("status") or "")
            healthy = healthy_status(cond_type, ctx.options)
            if healthy == IGNORE or status == healthy or (healthy is None and status != "Unknown"):
                continue
            reason, message = cond.get("reason") or "", cond.get("message") or ""
            text = f"{name} has condition of type {cond_type}, reason {reason}: {message}"
            failures.append(Failure(text, sensitive(name)))
        if failures:
            results.append(Result("Node", name, failures, parent_object=ctx.parent(node)))
    return results
