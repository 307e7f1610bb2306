"""Fill a ClusterSnapshot from `--snapshot` files or from the live cluster."""

from __future__ import annotations

from collections.abc import Sequence

from kubesage.cluster.snapshot import ClusterSnapshot


def load_source(
    snapshots: Sequence[str] | None,
    kinds: Sequence[str],
    kubeconfig: str | None = None,
    context: str | None = None,
    namespace: str = "",
    max_concurrency: int = 10,
    progress: bool = True,
    logs: bool = False,
) -> ClusterSnapshot:
    """`logs=True` (the Log analyzer is selected) also fetches container logs from a live cluster."""
    if snapshots:
        from kubesage.cluster.files import load_snapshot

        return load_snapshot(snapshots)
    from kubesage.cluster.live import load_live

    return load_live(
        kinds,
        kubeconfig=kubeconfig,
        context=context,
        namespace=namespace,
        max_concurrency=max_concurrency,
        progress=progress,
        logs=logs,
    )
