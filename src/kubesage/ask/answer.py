"""An answer to `ask`: the text, the evidence it cites, the runbooks, and the trace of calls."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kubesage.ask.toolbox import Observation

REFUSAL_EN = "I don't know"
REFUSAL_ZH = "我不知道"
_CITE = re.compile(r"\[(\d{1,3})\]")


@dataclass(frozen=True)
class Runbook:
    title: str
    source: str
    doc_id: str = ""


@dataclass
class Answer:
    question: str
    text: str
    chinese: bool = False
    refused: bool = False
    mode: str = "planner"
    """planner (offline), agent (model with tools), inline (model without tool calling)."""
    observations: list[Observation] = field(default_factory=list)
    steps: int = 0
    """Model turns (agent, inline) or tool calls (planner)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    stopped: str = "answer"
    """Why the loop ended: answer, steps, tokens, loop (repeated calls), calls."""
    claims: list[str] = field(default_factory=list)
    """Objects the answer reports as broken (planner), e.g. "Pod shop/web-1"."""
    model: str = ""

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def cited(self) -> list[Observation]:
        """Observations the text cites by [n]; all successful ones when it cites none."""
        ok = [o for o in self.observations if o.ref and not o.error]
        refs = {int(n) for n in _CITE.findall(self.text)}
        chosen = [o for o in ok if o.ref in refs]
        return chosen or ok

    def runbooks(self) -> list[Runbook]:
        seen: dict[str, Runbook] = {}
        for o in self.cited():
            # explain composes its answer from its first source; kb_search returns every hit it shows.
            for item in o.data.get("sources", [])[:1] + o.data.get("hits", []):
                key = str(item.get("doc_id") or item.get("title"))
                seen.setdefault(key, Runbook(str(item.get("title", "")), str(item.get("source", "")), key))
        return list(seen.values())

    def render(self, show_tools: bool = False) -> str:
        zh = self.chinese
        lines = [self.text.strip(), ""]
        cited = self.cited()
        if cited:
            lines.append("來源（工具輸出）：" if zh else "Sources (tool outputs):")
            lines.extend(f"[{o.ref}] {o.label()}" for o in cited)
        books = self.runbooks()
        if books:
            lines.append("參考手冊：" if zh else "Runbooks:")
            lines.extend(f"- {b.title} ({b.source})" for b in books)
        if show_tools:
            lines.append("")
            lines.append("工具呼叫紀錄：" if zh else "Tool calls:")
            for i, o in enumerate(self.observations, 1):
                ref = f" [{o.ref}]" if o.ref else ""
                extra = ", truncated" if o.truncated else ""
                lines.append(f"{i:>2}. {o.label()} -> {o.status}{ref} ({len(o.text)} chars{extra})")
            usage = f"{self.steps} step(s), {self.tokens} token(s)" if self.mode != "planner" else (
                f"{len(self.observations)} call(s), offline planner, 0 tokens")  # fmt: skip
            lines.append(f"{self.mode}: {usage}; stopped: {self.stopped}")
        return "\n".join(lines).rstrip() + "\n"

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "mode": self.mode,
            "model": self.model,
            "steps": self.steps,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "stopped": self.stopped,
            "claims": self.claims,
            "sources": [{"ref": o.ref, "call": o.label()} for o in self.cited()],
            "runbooks": [{"title": b.title, "source": b.source} for b in self.runbooks()],
            "trace": [{"call": o.label(), "status": o.status, "ref": o.ref, "chars": len(o.text),
                       "truncated": o.truncated} for o in self.observations],
        }


def refusal(chinese: bool) -> str:
    return REFUSAL_ZH if chinese else REFUSAL_EN


def is_refusal(text: str) -> bool:
    head = text.strip().lstrip("*#> ").lower()
    return head.startswith(REFUSAL_EN.lower()) or head.startswith("i do not know") or head.startswith(REFUSAL_ZH)
