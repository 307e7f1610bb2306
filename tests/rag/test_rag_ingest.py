from __future__ import annotations

from pathlib import Path

import pytest

from kubesage.rag.ingest import (
    K8S_DOCS_ATTRIBUTION,
    DocumentError,
    detect_collection,
    iter_files,
    load_document,
    strip_hugo,
)

K8S_DOCS = Path(__file__).resolve().parents[3] / "shared" / "data" / "k8s-docs"  # ../shared beside the repo

RUNBOOK = """---
title: "ImagePullBackOff: tag not found"
reasons: [ImagePullBackOff, errimagepull, NotInVocabulary]
kinds: [Pod]
source: kubesage/runbooks/tag
updated: 2026-12-01
---
# ImagePullBackOff: tag not found

Intro paragraph.

## Symptoms
- Back-off pulling image

## Fix
1. Push the tag.
```bash
# a comment, not a heading
kubectl set image deploy/web web=img:2
```

## 繁體中文
### 修復
1. 推送標籤。
"""


def test_markdown_front_matter_and_sections(tmp_path: Path) -> None:
    f = tmp_path / "tag.md"
    f.write_text(RUNBOOK, encoding="utf-8")
    doc = load_document(f)
    assert doc.title == "ImagePullBackOff: tag not found"
    assert doc.reasons == ("ImagePullBackOff", "ErrImagePull")  # canonical, unknown dropped
    assert doc.kinds == ("Pod",)
    assert doc.source == "kubesage/runbooks/tag"
    assert doc.updated == "2026-12-01"
    sections = [c.section for c in doc.chunks]
    assert sections == ["", "Symptoms", "Fix", "繁體中文 > 修復"]
    fix = doc.chunks[2]
    assert "# a comment, not a heading" in fix.text  # fenced code is not split at '#'
    assert doc.chunks[3].lang == "zh" and doc.chunks[0].lang == "en"
    assert all(c.title == doc.title and c.source == doc.source for c in doc.chunks)


def test_hugo_shortcodes() -> None:
    text = (
        '{{< note >}}A {{< glossary_tooltip text="Pod" term_id="pod" >}} runs.{{< /note >}}\n'
        '## {{% heading "prerequisites" %}}\n'
        '{{< feature-state for_k8s_version="v1.29" state="stable" >}}\n'
        '{{% codenew file="pods/probe/exec-liveness.yaml" %}}\n'
        "{{< glossary_tooltip term_id=\"node-pressure-eviction\" >}}\n"
        "{{% capture overview %}}<!-- overview -->kept{{% /capture %}}"
    )
    out = strip_hugo(text)
    assert "{{" not in out and "<!--" not in out
    assert "Note: A Pod runs." in out
    assert "## Before you begin" in out
    assert "FEATURE STATE: Kubernetes v1.29 [stable]" in out
    assert "(example: pods/probe/exec-liveness.yaml)" in out
    assert "node pressure eviction" in out
    assert "kept" in out


def test_k8s_docs_page_title_sections_and_citation() -> None:
    collection = detect_collection(K8S_DOCS)
    assert collection.attribution == K8S_DOCS_ATTRIBUTION
    doc = load_document(K8S_DOCS / "tasks/debug/debug-application/debug-pods.md", collection)
    assert doc.doc_id == "k8s-docs/tasks/debug/debug-application/debug-pods"
    assert doc.title == "Debug Pods"
    assert doc.source.startswith("https://kubernetes.io/docs/tasks/debug/debug-application/debug-pods/")
    assert "CC BY 4.0" in doc.source
    assert "Diagnosing the problem > Debugging Pods > My pod stays pending" in [c.section for c in doc.chunks]
    assert not any("{{<" in c.text or "{{%" in c.text for c in doc.chunks)


def test_k8s_docs_index_page_url_and_skipped_metadata() -> None:
    files = list(iter_files(K8S_DOCS))
    assert not any(f.name == "ATTRIBUTION.md" for f in files)
    doc = load_document(K8S_DOCS / "concepts/workloads/pods/_index.md", detect_collection(K8S_DOCS))
    assert doc.source.startswith("https://kubernetes.io/docs/concepts/workloads/pods/ (")


def test_html_loader(tmp_path: Path) -> None:
    f = tmp_path / "wiki.html"
    f.write_text(
        "<html><head><title>Payments SOP</title><style>p{}</style></head><body><nav>menu</nav>"
        "<h1>Payments SOP</h1><p>Intro &amp; scope.</p><h2>Restart</h2><ul><li>Scale to 0</li><li>Scale up</li></ul>"
        "<script>alert(1)</script></body></html>",
        encoding="utf-8",
    )
    doc = load_document(f)
    assert doc.title == "Payments SOP"
    assert [c.section for c in doc.chunks] == ["", "Restart"]
    assert doc.chunks[0].text == "Intro & scope."
    assert "Scale to 0" in doc.chunks[1].text
    assert not any("alert" in c.text or "menu" in c.text for c in doc.chunks)


def test_rst_loader(tmp_path: Path) -> None:
    f = tmp_path / "guide.rst"
    f.write_text(
        "=========\nDB Guide\n=========\n\nIntro.\n\nFailover\n========\n\nPromote the replica.\n\n"
        "Checks\n------\n\n.. note:: watch lag\n",
        encoding="utf-8",
    )
    doc = load_document(f)
    assert doc.title == "DB Guide"
    assert [c.section for c in doc.chunks] == ["", "Failover", "Failover > Checks"]
    assert "Note: watch lag" in doc.chunks[2].text


def test_text_loader_title_from_name(tmp_path: Path) -> None:
    f = tmp_path / "disk-full_notes.txt"
    f.write_text("Clean /var/log when the disk is full.", encoding="utf-8")
    doc = load_document(f)
    assert doc.title == "Disk full notes"
    assert len(doc.chunks) == 1


def test_long_section_split_at_paragraphs(tmp_path: Path) -> None:
    para = "word " * 200
    f = tmp_path / "long.md"
    f.write_text("# Long\n\n## Part\n\n" + "\n\n".join([para] * 6), encoding="utf-8")
    doc = load_document(f)
    assert len(doc.chunks) > 1
    assert all(len(c.text) <= 1500 for c in doc.chunks)
    assert all(c.section == "Part" for c in doc.chunks)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bad.md", b"---\ntitle: [unclosed\n---\nbody\n", "invalid front matter"),
        ("latin1.md", "caf\xe9".encode("latin-1"), "not UTF-8"),
        ("empty.md", b"---\ntitle: x\n---\n", "no text"),
        ("list.md", b"---\n- a\n---\nbody", "front matter must be a mapping"),
    ],
)
def test_corrupt_documents_raise(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(DocumentError, match=message):
        load_document(f)
