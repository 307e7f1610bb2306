"""Cached `kb` explanations expire when the knowledge base changes."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from kubesage.cli.app import app
from kubesage.explain.cache import AnswerCache

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web-1", "namespace": "shop"},
    "spec": {"containers": [{"name": "web", "image": "nginx:1.27.O"}]},
    "status": {
        "phase": "Pending",
        "containerStatuses": [
            {
                "name": "web",
                "ready": False,
                "restartCount": 0,
                "state": {
                    "waiting": {"reason": "ImagePullBackOff", "message": 'Back-off pulling image "nginx:1.27.O"'}
                },
            }
        ],
    },
}


def test_kb_answers_are_recomputed_after_ingest(tmp_path: Path) -> None:
    snap = tmp_path / "pod.yaml"
    snap.write_text(yaml.safe_dump(POD), encoding="utf-8")
    runner = CliRunner()
    args = ["analyze", "--snapshot", str(snap), "-f", "Pod", "-e", "-b", "kb"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Sources:" in first.stdout
    assert len(AnswerCache().entries()) == 1
    assert runner.invoke(app, args).exit_code == 0
    assert len(AnswerCache().entries()) == 1  # same KB: a cache hit, nothing new stored

    doc = tmp_path / "wiki" / "registry.md"
    doc.parent.mkdir()
    doc.write_text("# Our registry\n\n## Pulling images\n\nUse registry.acme.example for every image.\n")
    assert runner.invoke(app, ["kb", "ingest", str(doc.parent)]).exit_code == 0
    assert runner.invoke(app, args).exit_code == 0
    assert len(AnswerCache().entries()) == 2  # new KB generation: a new key
