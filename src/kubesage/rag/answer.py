"""Grounded answers: the talk's RAG prompt for an upstream LLM, or an offline answer composed
from the best runbook sections. Below the relevance threshold the answer is the refusal, and
no upstream call is made."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubesage.llm.base import Backend, Completion, CompletionRequest, Source
from kubesage.rag.ingest import Chunk
from kubesage.rag.retrieve import Hit, Retrieval, Retriever
from kubesage.rag.tokenize import cjk_ratio
from kubesage.untrusted import neutralize

# The talk's prompt, word for word (slide: "RAG prompt").
PROMPT_ZH = """1. 你是一位 Kubernetes 專家。根據以下知識庫文件,分析所提供的錯誤訊息
並提出可能的原因和解決方案。
2. 如果知識庫中沒有相關資訊,請誠實地說「我不知道」。
知識庫文件:
{documents}
錯誤訊息:
{error}"""
# The English wording of the same prompt.
PROMPT_EN = (
    "1. You are a Kubernetes expert. Based on these knowledge-base documents, analyse the error and propose causes "
    "and solutions.\n"
    """2. If the knowledge base has nothing relevant, honestly say "I don't know".
Knowledge-base documents:
{documents}
Error message:
{error}"""
)
REFUSAL_EN = "I don't know"
REFUSAL_ZH = "我不知道"
CHINESE_NAMES = {"traditional chinese", "chinese", "zh", "zh-tw", "zh_tw", "zh-hant", "繁體中文", "中文", "正體中文"}
DOC_BUDGET = 2500
MAX_STEPS = 4

_K8SGPT_PROMPT = re.compile(r"written in --- (?P<lang>.*?) --- language; --- (?P<msg>.*) ---\.", re.S)
_SECTION_KEYS = {
    "causes": ("cause", "why", "原因"),
    "fix": ("fix", "solution", "resolution", "remediat", "resolve", "修復", "解決", "處理"),
    "symptoms": ("symptom", "症狀"),
    "diagnose": ("diagnos", "investigat", "debug", "troubleshoot", "診斷", "排查"),
    "verify": ("verif", "驗證"),
}
_LIST_ITEM = re.compile(r"^(?:\d+[.)]|[-*+])\s+(.*)$")
_SENTENCE = re.compile(r"(.+?[.!?。！？])(?:\s|$)", re.S)


def is_chinese(language: str) -> bool:
    return language.strip().lower() in CHINESE_NAMES


def refusal(chinese: bool) -> str:
    return REFUSAL_ZH if chinese else REFUSAL_EN


def query_of(request: CompletionRequest) -> str:
    """The failure text to retrieve for: `message`, else the error inside a k8sgpt prompt, else the prompt."""
    if request.message.strip():
        return request.message.strip()
    m = _K8SGPT_PROMPT.search(request.prompt)
    if m:
        return m.group("msg").strip()
    return request.prompt.strip()


def language_of(request: CompletionRequest) -> bool:
    """True for Chinese: by the requested language, else by a k8sgpt prompt's language, else by the text."""
    if request.language.strip() and request.language.strip().lower() not in {"english", "en", "auto"}:
        return is_chinese(request.language)
    m = _K8SGPT_PROMPT.search(request.prompt)
    if m and is_chinese(m.group("lang")):
        return True
    if request.language.strip().lower() == "auto" or not request.language.strip():
        return cjk_ratio(query_of(request)) > 0.2
    return False


@dataclass
class Answerer:
    """Answers a CompletionRequest from the knowledge base, with `upstream` writing the text if given."""

    retriever: Retriever
    upstream: Backend | None = None
    top_k: int = 4

    def answer(self, request: CompletionRequest) -> Completion:
        chinese = language_of(request)
        query = query_of(request)
        retrieval = self.retriever.search(query, self.top_k)
        hits = retrieval.relevant_hits()
        if not hits:
            return Completion(text=refusal(chinese), refused=True)
        sources = tuple(Source(h.title, h.source, h.doc_id, round(h.confidence, 4)) for h in hits[:3])
        if self.upstream is None:
            text = compose(self.retriever, hits[0], chinese)
            return Completion(text=text + "\n" + format_sources(sources), sources=sources)
        prompt = build_prompt(self.retriever, retrieval, query, chinese)
        upstream_request = CompletionRequest(
            prompt=prompt, language=request.language, message=request.message, kind=request.kind,
            history=request.history,
        )  # fmt: skip
        reply = self.upstream.complete(upstream_request)
        answer = reply.text.strip()
        if answer.strip(" .。!「」\"'") in {REFUSAL_EN, REFUSAL_ZH}:
            return Completion(text=refusal(chinese), refused=True, prompt_tokens=reply.prompt_tokens,
                              completion_tokens=reply.completion_tokens)  # fmt: skip
        return Completion(text=answer + "\n" + format_sources(sources), sources=sources,
                          prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens)  # fmt: skip


def format_sources(sources: tuple[Source, ...]) -> str:
    return "Sources:\n" + "\n".join(f"- {s.title} ({s.source})" for s in sources)


def build_prompt(retriever: Retriever, retrieval: Retrieval, error: str, chinese: bool) -> str:
    """The talk's prompt filled with the relevant documents (requested language first) and the error."""
    parts: list[str] = []
    for n, hit in enumerate(retrieval.relevant_hits(), 1):
        chunks = doc_chunks(retriever, hit, chinese)
        body = "\n\n".join(f"## {c.section}\n{c.text}" if c.section else c.text for c in chunks)
        parts.append(f"[{n}] {hit.title} ({hit.source})\n{body[:DOC_BUDGET]}")
    template = PROMPT_ZH if chinese else PROMPT_EN
    # The error is cluster data: fenced so it reads as data, not as instructions.
    return template.format(documents="\n\n".join(parts), error=f"---\n{neutralize(error)}\n---")


def doc_chunks(retriever: Retriever, hit: Hit, chinese: bool) -> list[Chunk]:
    """The chunks of the hit's document in the requested language (all of them if it has none)."""
    index = retriever.index()
    start = hit.chunk
    while start > 0 and index.chunks[start - 1].doc_id == hit.doc_id:
        start -= 1
    end = hit.chunk
    while end < len(index.chunks) and index.chunks[end].doc_id == hit.doc_id:
        end += 1
    chunks = index.chunks[start:end]
    wanted = "zh" if chinese else "en"
    same = [c for c in chunks if c.lang == wanted]
    return same or chunks


def compose(retriever: Retriever, hit: Hit, chinese: bool) -> str:
    """k8sgpt's `Error: … Solution: …` shape from the best document's sections."""
    chunks = doc_chunks(retriever, hit, chinese)
    sections = {name: _section(chunks, keys) for name, keys in _SECTION_KEYS.items()}
    intro = next((c.text for c in chunks if not _heading(c)), "")
    sep = "；" if chinese else "; "
    causes = [c.rstrip(".。;；") for c in _items(sections["causes"])[:3]]
    if chinese:
        # Chinese sections have no intro; the title names the failure (runbook titles are English).
        error = f"{hit.title}。" + ("可能原因：" + sep.join(causes) if causes else "")
    else:
        symptoms = _items(sections["symptoms"])
        error = (_first_sentence(intro) if intro else "") or (symptoms[0] if symptoms else hit.title)
        if causes:
            error += " Likely causes: " + sep.join(causes)
    steps = _items(sections["fix"])[:MAX_STEPS] or _items(sections["diagnose"])[:MAX_STEPS]
    if steps:
        solution = " ".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
    else:
        best = retriever.index().chunks[hit.chunk]
        best = best if best.lang == chunks[0].lang else chunks[0]
        solution = _clip(_plain(best.text), 500)
    verify = _items(sections["verify"])[:1] or [_first_sentence(_plain(sections["verify"]))]
    if verify and verify[0]:
        solution += (" 驗證：" if chinese else " Verify: ") + verify[0]
    return f"Error: {_clip(error, 600)}\nSolution: {_clip(solution, 1200)}"


def _heading(chunk: Chunk) -> str:
    return chunk.section.split(" > ")[-1].lower() if chunk.section else ""


def _section(chunks: list[Chunk], keys: tuple[str, ...]) -> str:
    return "\n\n".join(c.text for c in chunks if any(k in _heading(c) for k in keys))


def _items(text: str) -> list[str]:
    """Top-level list items with their continuation lines; code blocks dropped except an item's first command."""
    items: list[str] = []
    current: list[str] | None = None
    in_fence = False
    wants_command = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            wants_command = in_fence and current is not None and current[-1].endswith(":")
            continue
        if in_fence:
            # An item like "Roll back:" followed by a code block: keep its first command.
            command = line.strip()
            if wants_command and command and not command.startswith("#") and current is not None:
                current.append(f"`{command.split('  #')[0].strip()}`")
                wants_command = False
            continue
        m = _LIST_ITEM.match(line)
        if m:
            if current:
                items.append(" ".join(current))
            current = [m.group(1).strip()]
        elif current is not None and line.startswith((" ", "\t")) and line.strip():
            current.append(line.strip())
        elif current is not None and not line.strip():
            items.append(" ".join(current))
            current = None
    if current:
        items.append(" ".join(current))
    return [_clip(i, 300) for i in items if i]


def _plain(text: str) -> str:
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    return " ".join(text.split())


def _first_sentence(text: str) -> str:
    flat = _plain(text)
    m = _SENTENCE.match(flat)
    return _clip(m.group(1) if m else flat, 400)


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
