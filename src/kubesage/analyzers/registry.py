"""The analyzer registry: filter names, groups, and k8sgpt's selection rules.

Analyzer modules register themselves with `@analyzer(...)`; every public module of this
package is discovered, so adding an analyzer is adding one file.
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kubesage.analyzers.base import PARENT_KINDS, AnalysisContext
from kubesage.cluster.snapshot import Obj, name_of, namespace_of
from kubesage.results import Analysis, Result, merge_results, sort_results

AnalyzerFunc = Callable[[AnalysisContext], list[Result]]

GROUPS = ("core", "optional", "extra", "lint")
GROUP_TITLES = {
    "core": "core (k8sgpt default analyzers)",
    "optional": "optional (k8sgpt additional analyzers, enabled with --filter or filters add)",
    "extra": "beyond-k8sgpt (kubesage failure analyzers)",
    "lint": "lint (hygiene checks, enabled with --lint)",
}

_NOT_ANALYZERS = frozenset({"base", "registry"})


@dataclass(frozen=True)
class AnalyzerSpec:
    name: str
    group: str
    description: str
    kinds: tuple[str, ...]
    run: AnalyzerFunc
    default: bool

    @property
    def module(self) -> str:
        return self.run.__module__


_REGISTRY: dict[str, AnalyzerSpec] = {}
_loaded = False


def analyzer(
    name: str,
    group: str,
    kinds: Iterable[str],
    description: str,
    default: bool | None = None,
    parents: bool | None = None,
) -> Callable[[AnalyzerFunc], AnalyzerFunc]:
    """Register an analyzer under its filter name.

    `kinds` are the object kinds it reads (the live source LISTs exactly these).
    `default` says whether it runs when no filter is given: core analyzers always,
    extra (beyond-k8sgpt) analyzers when they detect real breakage.
    `parents` says whether its results name a parentObject (`ctx.parent`); the owner
    kinds that lookup walks are then read too, so a live run names the same parents as
    a snapshot. Every group but lint does.
    """
    if group not in GROUPS:
        raise ValueError(f"unknown analyzer group {group!r}")

    def register(func: AnalyzerFunc) -> AnalyzerFunc:
        if name in _REGISTRY and _REGISTRY[name].run is not func:
            raise ValueError(f"analyzer {name!r} registered twice")
        is_default = group == "core" if default is None else default
        reads = tuple(kinds)
        names_parents = (group != "lint") if parents is None else parents
        if names_parents:
            reads += tuple(k for k in PARENT_KINDS if k not in reads)
        _REGISTRY[name] = AnalyzerSpec(name, group, description, reads, func, is_default)
        return func

    return register


def _load() -> None:
    global _loaded
    if _loaded:
        return
    import kubesage.analyzers as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_") or info.name in _NOT_ANALYZERS:
            continue
        importlib.import_module(f"{pkg.__name__}.{info.name}")
    _loaded = True


def all_specs() -> dict[str, AnalyzerSpec]:
    """Every registered analyzer, by filter name, in group then name order."""
    _load()
    order = {g: i for i, g in enumerate(GROUPS)}
    return dict(sorted(_REGISTRY.items(), key=lambda kv: (order[kv[1].group], kv[0])))


def default_names() -> list[str]:
    return [s.name for s in all_specs().values() if s.default]


def unknown_filter_warning(name: str) -> str:
    # k8sgpt's wording, kept byte-for-byte for scripts that grep it.
    return f'"{name}" filter does not exist. Please run k8sgpt filters list.'


def select(
    filters: Iterable[str] = (), active_filters: Iterable[str] = (), lint: bool = False
) -> tuple[list[AnalyzerSpec], list[str]]:
    """k8sgpt's selection: `--filter` names, else active filters, else the default set.

    Returns (analyzers, warnings). Unknown `--filter` names warn; unknown active filters
    are skipped silently, as k8sgpt does. `--lint` adds the lint group.
    """
    specs = all_specs()
    warnings: list[str] = []
    chosen: list[AnalyzerSpec] = []
    wanted = [f for f in filters if f]
    active = [f for f in active_filters if f]
    if wanted:
        for name in wanted:
            if name in specs:
                chosen.append(specs[name])
            else:
                warnings.append(unknown_filter_warning(name))
    elif active:
        chosen = [specs[n] for n in active if n in specs]
    else:
        chosen = [s for s in specs.values() if s.default]
    if lint:
        chosen.extend(s for s in specs.values() if s.group == "lint")
    seen: set[str] = set()
    unique = [s for s in chosen if not (s.name in seen or seen.add(s.name))]  # type: ignore[func-returns-value]
    return unique, warnings


def needed_kinds(specs: Iterable[AnalyzerSpec]) -> list[str]:
    kinds: set[str] = set()
    for s in specs:
        kinds.update(s.kinds)
    return sorted(kinds)


# Objects one analyzer may skip before its failure is treated as its own bug.
MAX_SKIPPED_OBJECTS = 20


def _describe(obj: Mapping[str, Any]) -> str:
    ns, name = namespace_of(obj), name_of(obj)
    return f"{obj.get('kind') or 'object'} {ns + '/' if ns else ''}{name or '(no name)'}"


def _contain(ctx: AnalysisContext, spec: AnalyzerSpec, err: Exception) -> tuple[list[Result], list[str]]:
    """Re-run an analyzer that raised, leaving out each object it raises on.

    Returns the results for every other object, and one warning per skipped object. When
    the failure cannot be pinned on an object, the analyzer's results are dropped with a
    warning, as before.
    """
    skipped: list[Obj] = []
    notes: list[str] = []
    last: Exception = err
    while len(skipped) < MAX_SKIPPED_OBJECTS:
        probe = ctx.isolating(skipped)
        try:
            return spec.run(probe), notes
        except Exception as again:
            culprit = probe.current_object()
            last = again
            if culprit is None or any(c is culprit for c in skipped):
                break
            skipped.append(culprit)
            notes.append(f"[{spec.name}] {_describe(culprit)}: {type(again).__name__}: {again}; object skipped")
    notes.append(f"[{spec.name}] {type(last).__name__}: {last}; no results from this analyzer")
    return [], notes


def run_analyzers(ctx: AnalysisContext, specs: Iterable[AnalyzerSpec]) -> Analysis:
    """Run each analyzer over the snapshot; an analyzer that raises becomes a warning."""
    results: list[Result] = []
    errors: list[str] = []
    stats: list[tuple[str, float]] = []
    for spec in specs:
        start = time.perf_counter()
        try:
            found = spec.run(ctx)
        except Exception as err:  # one broken object must not sink the analyzer, nor the run
            found, notes = _contain(ctx, spec, err)
            errors.extend(notes)
        stats.append((spec.name, time.perf_counter() - start))
        for r in found:
            r.analyzer = r.analyzer or spec.name
            for f in r.error:
                f.analyzer = f.analyzer or spec.name
        results.extend(found)
    return Analysis(results=sort_results(merge_results(results)), errors=errors, stats=stats)
