"""Explain tests. They reuse the provider wire servers in tests/llm/wire.py, imported as
`llm.wire` under either pytest import mode (prepend or importlib)."""

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.append(_TESTS)
