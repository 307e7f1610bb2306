"""Validate the starter knowledge base in knowledge/: schema, structure, bilingual coverage."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

KB = Path(__file__).resolve().parents[2] / "knowledge"
RUNBOOKS = sorted(p for p in KB.glob("*.md") if p.name != "README.md")
EN_HEADINGS = ("Symptoms", "Diagnose", "Causes", "Fix", "Verify")
ZH_HEADINGS = ("症狀", "診斷", "原因", "修復", "驗證")
KINDS = {
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "Node",
    "Service",
    "Endpoints",
    "EndpointSlice",
    "Ingress",
    "IngressClass",
    "Secret",
    "ConfigMap",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "VolumeAttachment",
    "CSIDriver",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ServiceAccount",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "Namespace",
    "ResourceQuota",
    "LimitRange",
    "Event",
}
MIN_ZH_CJK = 200  # CJK characters in the 繁體中文 section
MIN_EN_CHARS = 1500  # characters before the 繁體中文 section
# Simplified-only characters that must not appear in a Traditional Chinese section.
SIMPLIFIED = set(
    "这个们为时会从对发现应该节点镜资内调网络检确认设请问题执删环务数据储证启动败错误"
    "过还进连运选门间关开没让写读记访试询类获释级线细终结绑统维缓编变与当态总扩择无旧来条构标样"
    "决况减测满滚状产盘码称简签计许识诊详负账赖转载较边达迁适键长队阶际须频驱验层属带废异归复断显权机杂档汇滤"
)


def vocabulary() -> list[dict[str, str]]:
    data = yaml.safe_load((KB / "vocabulary.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


VOCAB = {entry["reason"] for entry in vocabulary()}


def split(path: Path) -> tuple[dict[str, Any], str]:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.DOTALL)
    assert match, f"{path.name}: missing front matter"
    meta = yaml.safe_load(match.group(1))
    assert isinstance(meta, dict), f"{path.name}: front matter is not a mapping"
    return meta, match.group(2)


def headings(body: str, level: str) -> list[str]:
    # Ignore lines inside fenced code blocks (bash comments start with '#').
    out: list[str] = []
    fenced = False
    for line in body.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith(level + " "):
            out.append(line[len(level) + 1 :].strip())
    return out


def test_vocabulary_entries_are_complete() -> None:
    entries = vocabulary()
    assert len(entries) == 37
    assert len(VOCAB) == len(entries), "duplicate reasons in vocabulary.yaml"
    for entry in entries:
        assert set(entry) == {"reason", "description", "description_zh"}, entry
        assert re.fullmatch(r"[A-Z][A-Za-z]+", entry["reason"])
        assert len(entry["description"]) > 20 and re.search(r"[\u4e00-\u9fff]", entry["description_zh"])


def test_at_least_44_runbooks() -> None:
    assert len(RUNBOOKS) >= 44


@pytest.mark.parametrize("path", RUNBOOKS, ids=lambda p: p.stem)
def test_front_matter(path: Path) -> None:
    meta, body = split(path)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", path.stem), "file name must be kebab-case"
    assert isinstance(meta.get("title"), str) and meta["title"].strip()
    reasons = meta.get("reasons")
    assert isinstance(reasons, list) and reasons, "reasons must be a non-empty list"
    assert set(reasons) <= VOCAB, f"unknown reasons: {set(reasons) - VOCAB}"
    kinds = meta.get("kinds")
    assert isinstance(kinds, list) and kinds and set(kinds) <= KINDS, f"bad kinds: {kinds}"
    assert meta.get("source") == f"kubesage/runbooks/{path.stem}"
    assert isinstance(meta.get("updated"), dt.date)
    assert body.lstrip().startswith(f"# {meta['title']}\n"), "first heading must repeat the title"


@pytest.mark.parametrize("path", RUNBOOKS, ids=lambda p: p.stem)
def test_sections_in_both_languages(path: Path) -> None:
    _, body = split(path)
    assert body.count("```") % 2 == 0, "unbalanced code fence"
    h2 = headings(body, "##")
    assert h2 == [*EN_HEADINGS, "繁體中文"], f"level-2 headings: {h2}"
    english, chinese = body.split("\n## 繁體中文\n")
    assert headings(chinese, "###") == list(ZH_HEADINGS)
    assert len(english) >= MIN_EN_CHARS
    assert "kubectl" in english and "kubectl" in chinese, "both languages need diagnosis commands"
    cjk = re.findall(r"[\u4e00-\u9fff]", chinese)
    assert len(cjk) >= MIN_ZH_CJK, f"繁體中文 section too short: {len(cjk)} CJK characters"
    assert not SIMPLIFIED & set(cjk), f"simplified characters: {sorted(SIMPLIFIED & set(cjk))}"
    for section in re.split(r"\n### ", chinese)[1:]:
        assert len(section.split("\n", 1)[1].strip()) > 40, f"empty sub-section: {section[:10]}"


def test_every_reason_is_covered() -> None:
    covered = {reason for path in RUNBOOKS for reason in split(path)[0]["reasons"]}
    assert VOCAB - covered == set()


def test_titles_are_unique() -> None:
    titles = [split(path)[0]["title"].lower() for path in RUNBOOKS]
    assert len(titles) == len(set(titles))


def test_readme_lists_every_reason_and_runbook() -> None:
    readme = (KB / "README.md").read_text(encoding="utf-8")
    for reason in VOCAB:
        assert f"`{reason}`" in readme, reason
    for path in RUNBOOKS:
        assert path.stem in readme, path.stem
    assert "kubesage kb ingest" in readme
