"""`make bench`: run every `benchmarks/bench_*.py` in turn and print its figures.

Each benchmark module exposes `main() -> int` and prints its own figures.

    python benchmarks/run.py [--only NAME] [--list]

NAME is the module name with or without the `bench_` prefix (`analyze`, `bench_rag`).
Exits non-zero when a benchmark raises or returns non-zero.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover() -> list[Path]:
    return sorted(HERE.glob("bench_*.py"))


def _short(path: Path) -> str:
    return path.stem.removeprefix("bench_")


def run_one(path: Path) -> int:
    """Import one benchmark module and call its `main()`; exceptions become exit code 1."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    saved_argv = sys.argv
    sys.argv = [str(path)]  # benchmarks parse their own (empty) command line
    try:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            print(f"{path.name}: cannot be imported", file=sys.stderr)
            return 1
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses and pickling look the module up by name
        spec.loader.exec_module(module)
        entry = getattr(module, "main", None)
        if not callable(entry):
            print(f"{path.name}: has no main()", file=sys.stderr)
            return 1
        code = entry()
        return int(code or 0)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        sys.argv = saved_argv


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="run kubesage's benchmarks")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="run only this benchmark")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    found = discover()
    if args.list:
        for path in found:
            print(_short(path))
        return 0
    if args.only:
        wanted = {n.removeprefix("bench_").removesuffix(".py") for n in args.only}
        unknown = sorted(wanted - {_short(p) for p in found})
        if unknown:
            names = ", ".join(_short(p) for p in found)
            print(f"Error: unknown benchmark {', '.join(unknown)} (have: {names})", file=sys.stderr)
            return 2
        found = [p for p in found if _short(p) in wanted]
    failed: list[str] = []
    for path in found:
        print(f"=== {_short(path)} ({path.name})", flush=True)
        start = time.perf_counter()
        code = run_one(path)
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"=== {_short(path)}: {status} in {time.perf_counter() - start:.1f} s\n", flush=True)
        if code != 0:
            failed.append(_short(path))
    if failed:
        print(f"benchmarks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
