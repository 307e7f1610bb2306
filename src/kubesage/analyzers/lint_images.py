"""Lint: images with the `latest` tag or no tag at all."""

from __future__ import annotations

from kubesage.analyzers._lint import WORKLOAD_KINDS, Check, Findings, containers, workloads
from kubesage.analyzers.base import AnalysisContext
from kubesage.analyzers.registry import analyzer
from kubesage.results import Result

FLOATING_TAG = Check("KS-LINT-003", "warning", "pin the image to a version tag or a digest")


def image_tag(image: str) -> str | None:
    """The tag of an image reference, "" when pinned by digest, None when untagged."""
    if "@" in image:
        return ""
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


@analyzer(
    "LintImages",
    group="lint",
    kinds=WORKLOAD_KINDS,
    description="KS-LINT-003: container images with the latest tag or no tag",
    default=False,
)
def analyze(ctx: AnalysisContext) -> list[Result]:
    found = Findings()
    for w in workloads(ctx):
        for c in containers(w.spec):
            image = str(c.get("image") or "")
            if not image:
                continue
            tag = image_tag(image)
            where = f"Container {c.get('name')} in {w.label}"
            if tag is None:
                found.add(w.kind, w.obj, FLOATING_TAG, f"{where} uses image {image} without a tag (implies latest)")
            elif tag == "latest":
                found.add(w.kind, w.obj, FLOATING_TAG, f"{where} uses image {image} with the latest tag")
    return found.results()
