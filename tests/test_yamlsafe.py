"""The alias-bomb-safe YAML loader shared by every YAML input."""

from __future__ import annotations

import resource
import time

import pytest
import yaml

from kubesage.yamlsafe import AliasBombError, safe_load, safe_load_all


def _bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_fast_in_little_memory() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(AliasBombError, match="aliases expand to more than"):
        safe_load(_bomb())
    assert time.perf_counter() - started < 0.5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB
    with pytest.raises(yaml.YAMLError):  # callers that catch YAMLError catch the bomb too
        list(safe_load_all("a: 1\n---\n" + _bomb()))


def test_self_referencing_alias_is_refused() -> None:
    with pytest.raises(AliasBombError, match="refers to itself"):
        safe_load("&a [1, *a]")


def test_too_many_aliases_are_refused() -> None:
    text = "x: &x 1\n" + "".join(f"k{i}: *x\n" for i in range(300))
    with pytest.raises(AliasBombError, match="more than 200 YAML aliases"):
        safe_load(text)


def test_ordinary_documents_load_as_with_pyyaml() -> None:
    text = "base: &base {cpu: 1, memory: 1Gi}\nlimits: *base\nlist: [1, two, 3.0]\n"
    assert safe_load(text) == yaml.safe_load(text)
    assert list(safe_load_all("a: 1\n---\nb: [1, 2]\n")) == [{"a": 1}, {"b": [1, 2]}]
    assert safe_load("") is None
    with pytest.raises(yaml.YAMLError):
        safe_load("a: [1, 2")


def test_a_big_document_without_aliases_is_not_refused() -> None:
    """300,000 nodes and no alias: a large snapshot, not a bomb (with and without an `&` in it)."""
    items = "".join(f"- {{name: p{i}, labels: {{app: web, tier: a}}}}\n" for i in range(50_000))
    assert len(safe_load(items)) == 50_000
    with_ampersand = items + "- {name: q, url: 'http://x/?a=1&b=2'}\n"
    assert len(safe_load(with_ampersand)) == 50_001
    assert len(next(iter(safe_load_all(with_ampersand)))) == 50_001


def test_budget_counts_only_what_aliases_add() -> None:
    base = "base: &b {" + ", ".join(f"k{i}: {i}" for i in range(1000)) + "}\n"
    ok = base + "".join(f"c{i}: *b\n" for i in range(50))  # 50 copies of 2,001 nodes: ~100,000 added
    assert len(safe_load(ok)) == 51
    with pytest.raises(AliasBombError, match="aliases expand"):
        safe_load(base + "".join(f"c{i}: *b\n" for i in range(150)))  # ~300,000 added
