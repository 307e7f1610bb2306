"""Grounded answers: the talk's RAG prompt for an upstream LLM, or an offline answer composed
from the best runbook sections. Below the relevance threshold the answer is the refusal, and
no upstream call is made."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubesage.llm.base import Backend, Completion, CompletionRequest, Source
from kubesage.rag.index import KBIndex
from kubesage.rag.ingest import Chunk
from kubesage.rag.retrieve import MAX_QUERY_CHARS, Hit, Retrieval, Retriever
from kubesage.rag.tokenize import cjk_ratio, has_cjk, tokenize
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
MIN_BUDGET = 80
_BRIEF_STEP = 90
"""Below this an answer cannot say anything useful; a smaller budget is raised to it."""
_BUDGET_EN = "no more than "
_BUDGET_ZH = "不超過"

_K8SGPT_LANG = "written in --- "
_K8SGPT_MSG = " --- language; --- "
_K8SGPT_END = " ---."
_SECTION_KEYS = {
    "causes": ("cause", "why", "原因"),
    "fix": ("fix", "solution", "resolution", "remediat", "resolve", "修復", "解決", "處理"),
    "symptoms": ("symptom", "症狀"),
    "diagnose": ("diagnos", "investigat", "debug", "troubleshoot", "診斷", "排查"),
    "verify": ("verif", "驗證"),
}
_LIST_ITEM = re.compile(r"^(?:\d+[.)]|[-*+])\s+(.*)$")
_LEAD = re.compile(r"^\*\*(.+?)\*\*")
_YAML_KEY = re.compile(r"^[\w./-]+:\s*(?:[|>][-+]?)?$")
_SHELL_FENCE = ("bash", "sh", "shell", "console", "")
_GENERIC_KEYS = frozenset({"spec", "metadata", "template", "containers", "name", "apiVersion", "kind", "items"})
_SENTENCE_END = frozenset(".!?。！？")


def is_chinese(language: str) -> bool:
    return language.strip().lower() in CHINESE_NAMES


def refusal(chinese: bool) -> str:
    return REFUSAL_ZH if chinese else REFUSAL_EN


def k8sgpt_parts(prompt: str) -> tuple[str, str] | None:
    """(language, error text) of k8sgpt's prompt: `… written in --- LANG --- language; --- ERROR ---.`,
    found with three substring searches (linear in the prompt, whatever it contains)."""
    start = prompt.find(_K8SGPT_LANG)
    if start < 0:
        return None
    start += len(_K8SGPT_LANG)
    mid = prompt.find(_K8SGPT_MSG, start)
    if mid < 0:
        return None
    body = mid + len(_K8SGPT_MSG)
    end = prompt.rfind(_K8SGPT_END, body)
    if end < 0:
        return None
    return prompt[start:mid], prompt[body:end]


def query_of(request: CompletionRequest) -> str:
    """The failure text to retrieve for: `message`, else the error inside a k8sgpt prompt, else the prompt."""
    if request.message.strip():
        return request.message.strip()
    parts = k8sgpt_parts(request.prompt)
    if parts:
        return parts[1].strip()
    return request.prompt.strip()


def language_of(request: CompletionRequest) -> bool:
    """True for Chinese: by the requested language, else by a k8sgpt prompt's language, else by the text."""
    if request.language.strip() and request.language.strip().lower() not in {"english", "en", "auto"}:
        return is_chinese(request.language)
    parts = k8sgpt_parts(request.prompt)
    if parts and is_chinese(parts[0]):
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
        query = query_of(request)[:MAX_QUERY_CHARS]
        retrieval = self.retriever.search(query, self.top_k)
        hits = retrieval.relevant_hits()
        if not hits:
            return Completion(text=refusal(chinese), refused=True)
        sources = tuple(Source(h.title, h.source, h.doc_id, round(h.confidence, 4)) for h in hits[:3])
        budget = length_budget(request.prompt)
        if self.upstream is None:
            if budget is not None:
                return Completion(text=compose_brief(self.retriever, hits[0], chinese, query, budget, sources),
                                  sources=sources)  # fmt: skip
            text = compose(self.retriever, hits[0], chinese, query)
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
        cited = short_sources(sources) if budget is not None else format_sources(sources)
        return Completion(text=answer + "\n" + cited, sources=sources,
                          prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens)  # fmt: skip


def format_sources(sources: tuple[Source, ...]) -> str:
    return "Sources:\n" + "\n".join(f"- {s.title} ({s.source})" for s in sources)


def short_id(source: Source) -> str:
    """A document's short id: the last part of its id (`knowledge/oomkilled` -> `oomkilled`)."""
    return (source.doc_id or source.title).rstrip("/").rsplit("/", 1)[-1]


def short_sources(sources: tuple[Source, ...]) -> str:
    """The sources block with short ids: the same layout as `format_sources`, so parsers of one read both."""
    return "Sources:\n" + "\n".join(f"- {short_id(s)}" for s in sources)


def length_budget(prompt: str) -> int | None:
    """The answer length a prompt asks for, in characters: k8sgpt's "no more than 280 characters",
    or 「不超過 280 個字」. Found with substring searches (linear in the prompt)."""
    low = prompt.lower()
    for marker, units in ((_BUDGET_EN, (" characters", " chars")), (_BUDGET_ZH, ("個字", "字"))):
        start = low.find(marker)
        while start >= 0:
            i = start + len(marker)
            i += low[i : i + 2].startswith(" ") + low[i : i + 2].startswith("  ")
            j = i
            while j < len(low) and j - i < 6 and low[j].isdigit():
                j += 1
            unit = j + (low[j : j + 1] == " " and units[0].startswith("個"))
            if j > i and low.startswith(units, unit):
                return max(int(low[i:j]), MIN_BUDGET)
            start = low.find(marker, start + 1)
    return None


def compose_brief(
    retriever: Retriever, hit: Hit, chinese: bool, query: str, budget: int, sources: tuple[Source, ...]
) -> str:
    """The answer within `budget` characters: the decisive error, the first fix steps that fit,
    and the sources by short id."""
    index = retriever.index()
    chunks = doc_chunks(retriever, hit, chinese, index)
    intro = next((c.text for c in chunks if _is_intro(c)), "")
    if chinese:
        lead = _LEAD.match(intro.strip())
        error = lead.group(1).strip().rstrip("。.") if lead else hit.title
    else:
        error = hit.title.rstrip(".")
    fixes = _items(_section(chunks, _SECTION_KEYS["fix"])) or _items(_section(chunks, _SECTION_KEYS["diagnose"]))
    steps = [_brief_step(s) for s in _most_relevant(fixes, _relevance(index, query), MAX_STEPS, keep_order=True)]
    cite = short_sources(sources[:1])
    for n in range(2, len(sources) + 1):  # more sources only while they leave room for a step
        longer = short_sources(sources[:n])
        if len(longer) <= budget // 4:
            cite = longer
    head = f"Error: {_clip(error, max(40, budget // 3))}"
    room = budget - len(head) - len(cite) - len("\nSolution: \n")
    solution = ""
    for i, step in enumerate(steps, 1):
        item = f"{' ' if solution else ''}{i}. {step}"
        if len(solution) + len(item) <= room:
            solution += item
        elif not solution and room > 20:  # not even the first step fits: clip it
            solution = _clip(item, room)
            break
        else:
            break
    text = f"{head}\nSolution: {solution}\n{cite}" if solution else f"{head}\n{cite}"
    return text if len(text) <= budget else _clip(text, budget)


def _brief_step(step: str) -> str:
    """A fix step cut to its first sentence or clause, without inline code ticks."""
    flat = step.replace("`", "")
    depth = 0
    for i, ch in enumerate(flat):
        depth += (ch in "([{（") - (ch in ")]}）")
        if depth <= 0 and (ch in "。；;" or (ch in ".:" and (i + 1 == len(flat) or flat[i + 1] == " "))):
            flat = flat[:i].strip()
            break
    if len(flat) > _BRIEF_STEP:  # still long: up to its first aside or details (" (", ": ", "：", "，")
        depth = 0
        for i, ch in enumerate(flat):
            if i >= 10 and depth == 0 and (flat.startswith((" (", ": "), i) or ch in "：，"):
                flat = flat[:i]
                break
            depth += (ch in "([{（") - (ch in ")]}）")
    return _clip(flat, 120)


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


def doc_chunks(retriever: Retriever, hit: Hit, chinese: bool, index: KBIndex | None = None) -> list[Chunk]:
    """The chunks of the hit's document in the requested language (all of them if it has none)."""
    index = index or retriever.index()
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


def compose(retriever: Retriever, hit: Hit, chinese: bool, query: str = "") -> str:
    """k8sgpt's `Error: … Solution: …` shape from the best document's sections.

    The Error line names the failure (the runbook's title, or its Chinese lead sentence) and the
    causes; causes and steps that share the query's words come first (steps keep their order)."""
    index = retriever.index()
    chunks = doc_chunks(retriever, hit, chinese, index)
    sections = {name: _section(chunks, keys) for name, keys in _SECTION_KEYS.items()}
    intro = next((c.text for c in chunks if _is_intro(c)), "")
    relevance = _relevance(index, query)
    sep = "；" if chinese else "; "
    causes = [c.rstrip(".。;；") for c in _most_relevant(_items(sections["causes"]), relevance, 3, keep_order=False)]
    if chinese:
        lead = _LEAD.match(intro.strip())
        error = lead.group(1).strip().rstrip("。.") + "。" if lead else f"{hit.title}。"
        error += ("可能原因：" + sep.join(causes)) if causes else ""
    else:
        symptoms = _items(sections["symptoms"])
        detail = (_first_sentence(intro) if intro else "") or (symptoms[0] if symptoms else "")
        error = _sentence(hit.title) + (" " + detail if detail else "")
        if causes:
            error += " Likely causes: " + sep.join(causes)
    steps = (_most_relevant(_items(sections["fix"]), relevance, MAX_STEPS, keep_order=True)
             or _items(sections["diagnose"])[:MAX_STEPS])  # fmt: skip
    if steps:
        solution = " ".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
    else:
        best = index.chunks[hit.chunk]
        best = best if best.lang == chunks[0].lang else chunks[0]
        solution = _clip(_plain(best.text), 500)
    verify = _items(sections["verify"])[:1] or [_first_sentence(_plain(sections["verify"]))]
    if verify and verify[0]:
        solution += (" 驗證：" if chinese else " Verify: ") + verify[0]
    return f"Error: {_clip(error, 600)}\nSolution: {_clip(solution, 1200)}"


def _heading(chunk: Chunk) -> str:
    return chunk.section.split(" > ")[-1].lower() if chunk.section else ""


def _is_intro(chunk: Chunk) -> bool:
    """The text before the first known section: no heading, or only the language heading."""
    heading = _heading(chunk)
    return " > " not in chunk.section and not any(k in heading for keys in _SECTION_KEYS.values() for k in keys)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "。")) else text + "."


def _relevance(index: KBIndex, query: str) -> dict[str, float]:
    """IDF of each distinct query word the knowledge base knows (identifiers and unknown words drop out)."""
    out: dict[str, float] = {}
    for token in tokenize(query):
        tid = index.vocab.get(token)
        if tid is not None and (len(token) > 1 or not has_cjk(token)):
            out[token] = float(index.idf[tid])
    return out


def _most_relevant(items: list[str], relevance: dict[str, float], n: int, *, keep_order: bool) -> list[str]:
    """The `n` items sharing the most (IDF-weighted) query words; ties keep the runbook's order."""
    if (keep_order and len(items) <= n) or not relevance:
        return items[:n]
    scored = [(sum(relevance.get(t, 0.0) for t in set(tokenize(item))), i) for i, item in enumerate(items)]
    best = sorted(scored, key=lambda x: (-x[0], x[1]))[:n]
    if keep_order:
        best.sort(key=lambda x: x[1])
    return [items[i] for _, i in best]


def _section(chunks: list[Chunk], keys: tuple[str, ...]) -> str:
    return "\n\n".join(c.text for c in chunks if any(k in _heading(c) for k in keys))


def _items(text: str) -> list[str]:
    """Top-level list items with their continuation lines. A code block after an item ending in ":"
    becomes its first shell command, or for YAML the settings it shows; other code blocks are dropped."""
    items: list[str] = []
    current: list[str] | None = None
    fence: list[str] | None = None
    lang = ""
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            if fence is None:
                fence, lang = [], line.strip().lstrip("`~").strip().lower()
                continue
            if current is not None and current[-1].endswith(":"):
                current[-1] = current[-1][:-1].rstrip() + _code_summary(fence, lang)
            fence = None
            continue
        if fence is not None:
            fence.append(line)
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


def _code_summary(lines: list[str], lang: str) -> str:
    """A code block in one phrase: its first shell command, or for YAML the settings it shows."""
    body = [ln for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    if not body:
        return "."
    first = body[0].strip()
    if lang in _SHELL_FENCE and not _YAML_KEY.match(first) and not first.startswith(("apiVersion:", "- ")):
        return f": `{first.split('  #')[0].strip()}`"
    leaves: list[tuple[int, str]] = []  # (line number, "key: value") of the scalar settings shown
    for n, ln in enumerate(body):
        leaf = " ".join(ln.strip().lstrip("- ").split("  #")[0].split())
        if ":" in leaf and not leaf.endswith(":") and leaf.split(":")[0] not in _GENERIC_KEYS:
            leaves.append((n, leaf))
    if not leaves:
        return "."
    # The enclosing key of the first setting (the nearest less-indented `key:` line above it), if specific.
    first_line, indent = leaves[0][0], _indent(body[leaves[0][0]])
    parent = next((ln.strip().rstrip(":").lstrip("- ") for ln in reversed(body[:first_line])
                   if _indent(ln) < indent and _YAML_KEY.match(ln.strip().lstrip("- "))), "")  # fmt: skip
    shown = ", ".join(f"`{leaf}`" for _, leaf in leaves[:2])
    return f" (sets {shown}" + (f" under `{parent}`)." if parent and parent not in _GENERIC_KEYS else ").")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _plain(text: str) -> str:
    """Text without fenced code, on one line (even pieces between ``` marks are prose)."""
    parts = text.split("```")
    prose = parts[0::2] if len(parts) % 2 else [*parts[0:-1:2], parts[-1]]  # an unclosed fence stays text
    return " ".join(" ".join(prose).split())


def _first_sentence(text: str) -> str:
    """Up to the first sentence end followed by a space (or the end), scanning once."""
    flat = _plain(text)
    for i, ch in enumerate(flat):
        if ch in _SENTENCE_END and (i + 1 == len(flat) or flat[i + 1].isspace()):
            return _clip(flat[: i + 1], 400)
    return _clip(flat, 400)


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
