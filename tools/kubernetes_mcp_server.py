#!/usr/bin/env python3
"""Install the third-party `kubernetes-mcp-server` (npm package kubernetes-mcp-server-linux-amd64, which
ships a static binary) into a cache dir outside the repo, for the MCP client tests.

    python tools/kubernetes_mcp_server.py install   # prints the binary's path
    python tools/kubernetes_mcp_server.py path      # prints it if installed, else exits 1

Stdlib only; the tests read the path from $KUBESAGE_K8S_MCP_SERVER or the default location.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = "kubernetes-mcp-server-linux-amd64"
VERSION = "0.0.67"
PREFIX = Path(
    os.environ.get("KUBESAGE_NPM_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kubesage" / "npm"
)  # fixed at import: tests point XDG_CACHE_HOME elsewhere per test


def binary(prefix: Path = PREFIX) -> Path:
    return prefix / "node_modules" / PACKAGE / "bin" / PACKAGE


def install(prefix: Path = PREFIX) -> Path:
    path = binary(prefix)
    if path.is_file() and _version(path) == VERSION:
        return path
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not installed")
    prefix.mkdir(parents=True, exist_ok=True)
    subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(prefix), f"{PACKAGE}@{VERSION}"],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    path.chmod(0o755)
    return path


def _version(path: Path) -> str:
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return ""
    return out.strip().split()[-1].lstrip("v") if out.strip() else ""


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "install"
    if command == "install":
        print(install())
        return 0
    if command == "path":
        path = binary()
        if not path.is_file():
            return 1
        print(path)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
