"""Cluster sources (live API, files) and the in-memory ClusterSnapshot they fill."""

from kubesage.cluster.snapshot import ClusterSnapshot

__all__ = ["ClusterSnapshot"]
