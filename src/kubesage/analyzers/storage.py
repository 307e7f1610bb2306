"""Storage: risky StorageClasses, PersistentVolumes and PVCs (k8sgpt parity; every failure
of a PVC is kept, where k8sgpt keeps only the first)."""

from __future__ import annotations

from kubesage.analyzers._quantity import GI, format_quantity, parse_quantity
from kubesage.analyzers.base import AnalysisContext, ns_name
from kubesage.analyzers.registry import analyzer
from kubesage.cluster.snapshot import Obj, annotations_of, name_of
from kubesage.results import Failure, Result

_DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


def _small(quantity: object) -> str | None:
    """The canonical quantity if it is below 1Gi."""
    parsed = parse_quantity(quantity) if quantity is not None else None
    if parsed is None or parsed[0] >= GI:
        return None
    return format_quantity(*parsed)


def _storage_classes(ctx: AnalysisContext) -> list[Result]:
    classes = ctx.snapshot.objects("StorageClass")
    defaults = sum(1 for sc in classes if annotations_of(sc).get(_DEFAULT_CLASS) == "true")
    results: list[Result] = []
    for sc in classes:
        name = name_of(sc)
        failures: list[Failure] = []
        if sc.get("provisioner") == "kubernetes.io/no-provisioner":
            failures.append(
                Failure(f"StorageClass {name} uses deprecated provisioner 'kubernetes.io/no-provisioner'", [])
            )
        if annotations_of(sc).get(_DEFAULT_CLASS) == "true" and defaults > 1:
            failures.append(
                Failure(f"Multiple default StorageClasses found ({defaults}), which can cause confusion", [])
            )
        if failures:
            results.append(Result("Storage/StorageClass", name, failures))
    return results


def _volumes(ctx: AnalysisContext) -> list[Result]:
    results: list[Result] = []
    for pv in ctx.snapshot.objects("PersistentVolume"):
        name = name_of(pv)
        phase = (pv.get("status") or {}).get("phase")
        failures: list[Failure] = []
        if phase == "Released":
            failures.append(Failure(f"PersistentVolume {name} is in Released state and should be cleaned up", []))
        if phase == "Failed":
            failures.append(Failure(f"PersistentVolume {name} is in Failed state", []))
        small = _small(((pv.get("spec") or {}).get("capacity") or {}).get("storage"))
        if small is not None:
            failures.append(Failure(f"PersistentVolume {name} has small capacity ({small})", []))
        if failures:
            results.append(Result("Storage/PersistentVolume", name, failures))
    return results


def _claim_failures(pvc: Obj) -> list[Failure]:
    name = name_of(pvc)
    spec = pvc.get("spec") or {}
    phase = (pvc.get("status") or {}).get("phase")
    if phase == "Pending":
        return [Failure(f"PersistentVolumeClaim {name} is in Pending state", [])]
    if phase == "Lost":
        return [Failure(f"PersistentVolumeClaim {name} is in Lost state", [])]
    failures: list[Failure] = []
    small = _small(((spec.get("resources") or {}).get("requests") or {}).get("storage"))
    if small is not None:
        failures.append(Failure(f"PersistentVolumeClaim {name} has small capacity ({small})", []))
    if spec.get("storageClassName") is None and not spec.get("volumeName"):
        failures.append(Failure(f"PersistentVolumeClaim {name} has no StorageClass specified", []))
    return failures


@analyzer(
    "Storage",
    group="optional",
    kinds=("StorageClass", "PersistentVolume", "PersistentVolumeClaim"),
    description="StorageClasses, PersistentVolumes and PVCs that are released, failed, pending, tiny or classless",
    default=False,
    parents=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    results = _storage_classes(ctx) + _volumes(ctx)
    for pvc in ctx.objects("PersistentVolumeClaim"):
        failures = _claim_failures(pvc)
        if failures:
            results.append(Result("Storage/PersistentVolumeClaim", ns_name(pvc), failures))
    return results
