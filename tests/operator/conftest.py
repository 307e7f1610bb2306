"""Operator tests reuse the wire servers in tests/llm/wire.py (imported as `llm.wire`).

This directory has no __init__.py: a package named `operator` would shadow the stdlib module.
"""

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.append(_TESTS)
