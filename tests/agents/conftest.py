"""The agents' real-cluster tests share the remediation harness (CRD, agent install)."""

from tests.remediate.conftest import remediation_crd

__all__ = ["remediation_crd"]
