"""Render the Helm chart into plain manifests (deploy/manifests/kubesage.yaml), for users without Helm.

    python deploy/render.py            # write deploy/manifests/kubesage.yaml
    python deploy/render.py --check    # exit 1 if the file is out of date

helm comes from $HELM, the test-cluster bin dir (tools/cluster.py build), or PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "deploy" / "helm" / "kubesage"
OUT = ROOT / "deploy" / "manifests" / "kubesage.yaml"
NAMESPACE = "kubesage"
HEADER = f"""# kubesage plain manifests, rendered from deploy/helm/kubesage by deploy/render.py (do not edit).
# Install:  kubectl apply --server-side -f kubesage.yaml
# Defaults: namespace {NAMESPACE}, no Secret access, leader election on, RAG server without a token.
---
apiVersion: v1
kind: Namespace
metadata:
  name: {NAMESPACE}
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
"""


def helm() -> str:
    explicit = os.environ.get("HELM")
    if explicit:
        return explicit
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kubesage" / "cluster"
    built = sorted(cache.glob("v*/bin/helm"))
    if built:
        return str(built[-1])
    found = shutil.which("helm")
    if not found:
        sys.exit("helm not found: set $HELM, run `make cluster-build`, or install helm")
    return found


def render() -> str:
    args = [helm(), "template", "kubesage", str(CHART), "--namespace", NAMESPACE, "--include-crds"]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"helm template failed: {proc.stderr.strip()}")
    return HEADER + proc.stdout


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not OUT.is_file() or OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is out of date: run python deploy/render.py", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
