"""ConfigMap size template: data + binaryData bytes over 1 MiB (too big for a YAML fixture)."""

from __future__ import annotations

import base64
from typing import Any

from kubesage.analyzers.base import AnalysisContext
from kubesage.analyzers.registry import all_specs, run_analyzers
from kubesage.cluster.snapshot import ClusterSnapshot


def _texts(configmaps: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    snap = ClusterSnapshot()
    refs = [{"configMapRef": {"name": name}} for name in configmaps]
    snap.add(
        {
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": {"containers": [{"name": "c", "envFrom": refs}]},
        }
    )
    for name, body in configmaps.items():
        snap.add({"kind": "ConfigMap", "metadata": {"name": name, "namespace": "ns"}, **body})
    analysis = run_analyzers(AnalysisContext(snap), [all_specs()["ConfigMap"]])
    return {r.name: r.texts for r in analysis.results}


def test_large_configmap_counts_utf8_bytes_and_decoded_binary_data() -> None:
    half = 512 * 1024
    texts = _texts(
        {
            # 524288 ASCII bytes + 262144 two-byte characters + 1 decoded binary byte = 1048577 bytes.
            "mixed": {
                "data": {"a": "x" * half, "b": "é" * (half // 2)},
                "binaryData": {"c": base64.b64encode(b"\x00").decode()},
            },
            # Exactly 1 MiB is not "larger than 1MB".
            "limit": {"data": {"a": "x" * (2 * half)}},
            "binary": {"binaryData": {"c": base64.b64encode(b"\xff" * (2 * half + 10)).decode()}},
        }
    )
    assert texts == {
        "ns/mixed": ["ConfigMap mixed is larger than 1MB (1048577 bytes)"],
        "ns/binary": ["ConfigMap binary is larger than 1MB (1048586 bytes)"],
    }
