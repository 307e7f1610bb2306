"""`kubesage kb ...` end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from kubesage.cli.app import app
from kubesage.rag.store import KnowledgeBase

runner = CliRunner()


def _wiki(tmp_path: Path) -> Path:
    wiki = tmp_path / "wiki"
    wiki.mkdir()
    (wiki / "payments.md").write_text(
        "---\ntitle: Payments restart SOP\nsource: https://wiki.example.com/payments\n"
        "reasons: [CrashLoopBackOff]\n---\n"
        "# Payments restart SOP\n\n## Fix\n1. Drain the payments-ledger queue before restarting.\n",
        encoding="utf-8",
    )
    return wiki


def test_search_json_shape_default_starter_kb() -> None:
    result = runner.invoke(app, ["kb", "search", 'Back-off pulling image "nginx:1.x"', "-k", "3", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert 1 <= len(hits) <= 3
    for hit in hits:
        assert {"doc_id", "title", "source", "score", "reasons", "text"} <= set(hit)
        assert isinstance(hit["score"], float) and isinstance(hit["reasons"], list)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert "ImagePullBackOff" in hits[0]["reasons"]


def test_ingest_list_stats_remove_default_kb(tmp_path: Path) -> None:
    wiki = _wiki(tmp_path)
    result = runner.invoke(app, ["kb", "ingest", str(wiki)])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.stdout
    listing = json.loads(runner.invoke(app, ["kb", "list", "--json"]).stdout)
    ids = [d["doc_id"] for d in listing]
    assert "wiki/payments" in ids and any(i.startswith("knowledge/") for i in ids)  # starter + user docs
    hits = json.loads(runner.invoke(app, ["kb", "search", "payments-ledger queue", "--json"]).stdout)
    assert hits[0]["doc_id"] == "wiki/payments" and hits[0]["source"] == "https://wiki.example.com/payments"
    stats = json.loads(runner.invoke(app, ["kb", "stats", "--json"]).stdout)
    assert stats["docs"] == len(ids) and stats["chunks"] > stats["docs"] and set(stats["languages"]) == {"en", "zh"}
    again = runner.invoke(app, ["kb", "ingest", str(wiki)])
    assert "0 added, 0 updated, 1 unchanged" in again.stdout
    assert runner.invoke(app, ["kb", "remove", "wiki/payments"]).exit_code == 0
    ids = [d["doc_id"] for d in json.loads(runner.invoke(app, ["kb", "list", "--json"]).stdout)]
    assert "wiki/payments" not in ids


def test_explicit_kb_dir_holds_only_what_was_ingested(tmp_path: Path) -> None:
    wiki = _wiki(tmp_path)
    kb = tmp_path / "mykb"
    assert runner.invoke(app, ["kb", "ingest", str(wiki), "--kb", str(kb)]).exit_code == 0
    listing = json.loads(runner.invoke(app, ["kb", "list", "--kb", str(kb), "--json"]).stdout)
    assert [d["doc_id"] for d in listing] == ["wiki/payments"]
    assert KnowledgeBase(kb).exists()


def test_ingest_k8s_docs_beside_runbooks_cites_kubernetes_io(tmp_path: Path) -> None:
    docs = Path(__file__).resolve().parents[3] / "shared" / "data" / "k8s-docs"  # ../shared beside the repo
    assert docs.is_dir(), f"the Kubernetes docs corpus is missing at {docs}"
    kb = tmp_path / "kb"
    from kubesage.rag.starter import knowledge_dir

    result = runner.invoke(app, ["kb", "ingest", str(knowledge_dir()), str(docs), "--kb", str(kb), "--json"])
    report = json.loads(result.stdout)
    assert len(report["added"]) >= 100
    hits = json.loads(runner.invoke(app, ["kb", "search", "debugging a pod stuck pending kubectl describe", "--kb",
                                          str(kb), "--json"]).stdout)  # fmt: skip
    k8s = [h for h in hits if h["doc_id"].startswith("k8s-docs/")]
    assert k8s and k8s[0]["source"].startswith("https://kubernetes.io/docs/")


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kubesage.cli.app", *args], capture_output=True, text=True,
                          env=env, timeout=120)  # fmt: skip


def test_errors_are_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    missing = _cli("kb", "ingest", str(tmp_path / "nope"), env=env)
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [f"Error: {tmp_path / 'nope'}: no such file or directory"]
    nokb = _cli("kb", "search", "x", "--kb", str(tmp_path / "empty"), env=env)
    assert nokb.returncode == 1 and nokb.stderr.startswith("Error: no knowledge base at")
    assert "Traceback" not in nokb.stderr


def test_corrupt_file_warning_on_stderr(tmp_path: Path) -> None:
    wiki = _wiki(tmp_path)
    (wiki / "bad.md").write_bytes(b"\xff\xfe\x00")
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    result = _cli("kb", "ingest", str(wiki), "--kb", str(tmp_path / "kb"), env=env)
    assert result.returncode == 0, result.stderr
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("Warning:")]
    assert len(warnings) == 1 and "bad.md" in warnings[0] and "skipped" in warnings[0]
    assert "1 added" in result.stdout and "1 skipped" in result.stdout
