"""NodeHealth: NotReady or pressured Nodes, listing the pods scheduled on them.

k8sgpt reports the Node condition alone; which workloads are stranded or about to be
evicted is what an on-call engineer needs next.
"""

from __future__ import annotations

from collections import defaultdict

from kubesage.analyzers._status import capped_list, is_terminal, plural
from kubesage.analyzers.base import AnalysisContext, conditions
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import Obj, name_of, namespace_of
from kubesage.results import Failure, Result, sensitive

_PRESSURE = ("MemoryPressure", "DiskPressure", "PIDPressure")


def _problems(node: Obj) -> list[tuple[str, str]]:
    """(condition type, reason) of each unhealthy condition."""
    out: list[tuple[str, str]] = []
    for c in conditions(node):
        ctype, status = c.get("type"), c.get("status")
        if (ctype == "Ready" and status != "True") or (
            ctype in (*_PRESSURE, "NetworkUnavailable") and status == "True"
        ):
            out.append((str(ctype), str(c.get("reason") or "")))
    return out


def _pods_by_node(ctx: AnalysisContext) -> dict[str, list[str]]:
    by_node: dict[str, list[str]] = defaultdict(list)
    for pod in ctx.snapshot.objects("Pod", ctx.namespace):
        node = (pod.get("spec") or {}).get("nodeName")
        if node and not is_terminal(pod):
            by_node[str(node)].append(f"{namespace_of(pod)}/{name_of(pod)}")
    return by_node


@analyzer(
    "NodeHealth",
    group="extra",
    kinds=("Node", "Pod"),
    description="NotReady or pressured Nodes, listing the pods they strand or may evict",
    default=True,
    parents=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    bad = [(n, p) for n in ctx.objects("Node", namespaced=False) if (p := _problems(n))]
    if not bad:
        return []
    by_node = _pods_by_node(ctx)
    results: list[Result] = []
    for node, problems in bad:
        name = name_of(node)
        pods = sorted(by_node.get(name, ()))
        if not pods:
            continue
        count, listed = plural(len(pods), "pod"), capped_list(pods)
        failures: list[Failure] = []
        for ctype, reason in problems:
            why = f" (reason {reason})" if reason else ""
            if ctype == "Ready":
                text = f"Node {name} is NotReady{why} and strands {count}: {listed}"
            elif ctype == "NetworkUnavailable":
                text = f"Node {name} has NetworkUnavailable{why}, cutting off {count}: {listed}"
            else:
                text = f"Node {name} is under {ctype}{why} and may evict {count}: {listed}"
            failures.append(Failure(text, sensitive(name)))
        results.append(Result("Node", name, failures))
    return results
