"""YAML loading that refuses alias bombs.

`yaml.safe_load` builds `&a [*b, *b, …]` chains as shared references, cheaply; the cost comes
later, when something walks or prints the result (9 levels of 9 aliases are 387 million
nodes). These loaders compose the document first, count the nodes it would have with every
alias expanded, and refuse it above a budget before constructing any Python object.
Recursive aliases are refused too. Documents without aliases load as with `yaml.safe_load`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

MAX_ALIASES = 200
"""Alias uses allowed in one document: real manifests and front matter use a handful."""
MAX_EXPANDED_NODES = 200_000
"""Nodes that aliases may add to one document beyond its own (a 1 MB manifest has about 50,000
nodes in all). A document without aliases is never refused for its size: a 100,000-pod
snapshot is big, not hostile."""

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class AliasBombError(yaml.YAMLError):
    """A document whose aliases expand beyond the budget, or refer to themselves."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = None

    def __str__(self) -> str:
        return self.problem


def _check(root: Node, max_aliases: int, max_nodes: int) -> None:
    """Count expanded nodes with a memo per node object, iteratively (no recursion limit)."""
    sizes: dict[int, int] = {}
    seen_refs = 0
    stack: list[tuple[Node, bool]] = [(root, False)]
    active: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            total = 1 + sum(sizes[id(c)] for c in _children(node))
            # Nodes below `node` that are not distinct are alias copies; the distinct ones
            # number at most len(sizes) + 1, so this refuses only what aliases add.
            if total > max_nodes + len(sizes) + 1:
                raise AliasBombError(f"YAML aliases expand to more than {max_nodes} nodes; refused")
            sizes[key] = total
            continue
        if key in sizes:
            seen_refs += 1  # a node reached again: an alias
            if seen_refs > max_aliases:
                raise AliasBombError(f"more than {max_aliases} YAML aliases; refused")
            continue
        if key in active:
            raise AliasBombError("a YAML alias refers to itself; refused")
        children = _children(node)
        if not children:
            sizes[key] = 1
            continue
        active.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(children))


def _may_alias(text: str | bytes) -> bool:
    """False when the text defines no anchor (`&`), so no alias can exist: skip the walk."""
    return ("&" if isinstance(text, str) else b"&") in text  # type: ignore[operator]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def safe_load(text: str | bytes, *, max_aliases: int = MAX_ALIASES, max_nodes: int = MAX_EXPANDED_NODES) -> Any:
    """Like `yaml.safe_load`, but raises AliasBombError (a yaml.YAMLError) on an alias bomb."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _may_alias(text):
            _check(node, max_aliases, max_nodes)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def safe_load_all(
    text: str | bytes, *, max_aliases: int = MAX_ALIASES, max_nodes: int = MAX_EXPANDED_NODES
) -> Iterator[Any]:
    """Like `yaml.safe_load_all`, with the alias budget applied to each document."""
    loader = _Loader(text)
    check = _may_alias(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if check:
                _check(node, max_aliases, max_nodes)
            yield loader.construct_document(node)
    finally:
        loader.dispose()
