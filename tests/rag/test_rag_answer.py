from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kubesage.config import Config
from kubesage.errors import KubesageError
from kubesage.llm.base import Backend, Completion, CompletionRequest
from kubesage.llm.kb import KBBackend
from kubesage.rag.answer import (
    PROMPT_EN,
    PROMPT_ZH,
    REFUSAL_EN,
    REFUSAL_ZH,
    Answerer,
    is_chinese,
    query_of,
)
from kubesage.rag.retrieve import DEFAULT_THRESHOLD, Retriever
from kubesage.rag.store import KnowledgeBase

K8SGPT_PROMPT = (
    "Simplify the following Kubernetes error message delimited by triple dashes written in --- {lang} --- language; "
    "--- {msg} ---.\n\tProvide the most possible solution in a step by step style in no more than 280 characters. "
    "Write the output in the following format:\n\tError: {{Explain error here}}\n"
    "\tSolution: {{Step by step solution here}}"
)
PULL = 'Back-off pulling image "registry.example.com/shop/web:1.4.2"'


@dataclass
class RecordingLLM:
    """A real (tiny) Backend: answers with a fixed text and records the prompts it was given."""

    reply: str = "Error: the tag is wrong.\nSolution: push it."
    name: str = "recording"
    model: str = "rec-1"
    prompts: list[str] = field(default_factory=list)

    def complete(self, request: CompletionRequest) -> Completion:
        self.prompts.append(request.prompt)
        return Completion(text=self.reply, prompt_tokens=10, completion_tokens=5)


def test_prompts_are_the_talks_wording() -> None:
    assert PROMPT_ZH == (
        "1. 你是一位 Kubernetes 專家。根據以下知識庫文件,分析所提供的錯誤訊息\n並提出可能的原因和解決方案。\n"
        "2. 如果知識庫中沒有相關資訊,請誠實地說「我不知道」。\n知識庫文件:\n{documents}\n錯誤訊息:\n{error}"
    )
    assert PROMPT_EN.startswith(
        "1. You are a Kubernetes expert. Based on these knowledge-base documents, analyse the error and propose "
        "causes and solutions.\n2. If the knowledge base has nothing relevant, honestly say \"I don't know\"."
    )


@pytest.mark.parametrize("name", ["traditional chinese", "Chinese", "zh", "zh-TW", "繁體中文", "中文"])
def test_chinese_language_names(name: str) -> None:
    assert is_chinese(name)


def test_query_is_message_then_k8sgpt_prompt_then_prompt() -> None:
    assert query_of(CompletionRequest(prompt="x", message="  msg ")) == "msg"
    prompt = K8SGPT_PROMPT.format(lang="english", msg=PULL)
    assert query_of(CompletionRequest(prompt=prompt)) == PULL
    assert query_of(CompletionRequest(prompt="free question")) == "free question"


def test_kb_answer_english_shape_and_sources(starter_kb: KnowledgeBase) -> None:
    answer = Answerer(Retriever(starter_kb, dense=False)).answer(CompletionRequest(prompt="", message=PULL))
    assert not answer.refused
    lines = answer.text.splitlines()
    assert lines[0].startswith("Error: ") and lines[1].startswith("Solution: 1. ")
    assert "Sources:" in lines
    assert answer.sources and "ImagePullBackOff" in answer.sources[0].title
    for s in answer.sources:
        assert f"- {s.title} ({s.source})" in answer.text


def test_kb_answer_chinese_uses_chinese_section(starter_kb: KnowledgeBase) -> None:
    answer = Answerer(Retriever(starter_kb, dense=False)).answer(
        CompletionRequest(prompt="", message=PULL, language="traditional chinese")
    )
    solution = answer.text.splitlines()[1]
    assert solution.startswith("Solution: 1. ")
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in solution) > 20


def test_language_from_k8sgpt_prompt_and_from_text(starter_kb: KnowledgeBase) -> None:
    answerer = Answerer(Retriever(starter_kb, dense=False))
    zh_prompt = K8SGPT_PROMPT.format(lang="chinese", msg="the last termination reason is OOMKilled container=a pod=b")
    text = answerer.answer(CompletionRequest(prompt=zh_prompt, language="")).text
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in text) > 20
    auto = answerer.answer(CompletionRequest(prompt="容器記憶體不足被 OOMKilled", language="auto")).text
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in auto) > 20


@pytest.mark.parametrize(
    ("question", "language", "refusal"),
    [
        ("How do I cook pasta carbonara?", "english", REFUSAL_EN),
        ("Write a poem about the ocean.", "english", REFUSAL_EN),
        ("What is the stock price of Apple today?", "english", REFUSAL_EN),
        ("義大利麵要怎麼煮才好吃？", "繁體中文", REFUSAL_ZH),
        ("今天台積電的股價是多少？", "chinese", REFUSAL_ZH),
        ("請幫我寫一首關於海洋的詩", "zh-tw", REFUSAL_ZH),
    ],
)
def test_refusal_is_exact_and_skips_upstream(starter_kb: KnowledgeBase, question: str, language: str,
                                             refusal: str) -> None:  # fmt: skip
    llm = RecordingLLM()
    for upstream in (None, llm):
        answer = Answerer(Retriever(starter_kb, dense=False), upstream).answer(
            CompletionRequest(prompt=question, language=language)
        )
        assert answer.text == refusal and answer.refused and answer.sources == ()
    assert llm.prompts == []


def test_upstream_gets_the_rag_prompt_and_answer_is_cited(starter_kb: KnowledgeBase) -> None:
    llm = RecordingLLM()
    answer = Answerer(Retriever(starter_kb, dense=False), llm).answer(
        CompletionRequest(prompt="ignored template", message=PULL, language="english")
    )
    (prompt,) = llm.prompts
    assert prompt.startswith("1. You are a Kubernetes expert.")
    assert "Knowledge-base documents:\n[1] " in prompt
    assert prompt.endswith(f"Error message:\n---\n{PULL}\n---")
    assert answer.text.startswith(llm.reply) and "\nSources:\n- " in answer.text
    assert answer.prompt_tokens == 10 and not answer.refused


def test_upstream_chinese_prompt(starter_kb: KnowledgeBase) -> None:
    llm = RecordingLLM(reply="根據知識庫文件，映像檔標籤不存在。")
    Answerer(Retriever(starter_kb, dense=False), llm).answer(
        CompletionRequest(prompt="", message=PULL, language="繁體中文")
    )
    assert llm.prompts[0].startswith("1. 你是一位 Kubernetes 專家。")
    assert "錯誤訊息:\n---\n" in llm.prompts[0]


def test_upstream_saying_i_dont_know_is_a_refusal(starter_kb: KnowledgeBase) -> None:
    llm = RecordingLLM(reply="我不知道。")
    answer = Answerer(Retriever(starter_kb, dense=False), llm).answer(
        CompletionRequest(prompt="", message=PULL, language="中文")
    )
    assert answer.refused and answer.text == REFUSAL_ZH


def test_kb_backend_from_config_uses_starter_kb() -> None:
    backend = KBBackend.from_config(None, None)
    assert isinstance(backend, Backend) and backend.name == "kb"
    answer = backend.complete(CompletionRequest(prompt="", message=PULL))
    assert answer.text.startswith("Error: ") and answer.sources


def test_kb_backend_honours_config_kb_path_and_threshold(tmp_path: Path, starter_kb: KnowledgeBase) -> None:
    question = CompletionRequest(prompt="why is my pod stuck in Pending and never scheduled?")
    confidence = Retriever(starter_kb).search(question.prompt, 4).confidence
    assert DEFAULT_THRESHOLD < confidence < 1.0
    strict = KBBackend.from_config(None, Config(kb={"path": str(starter_kb.path), "threshold": confidence + 0.001}))
    assert strict.complete(question).text == REFUSAL_EN
    loose = KBBackend.from_config(None, Config(kb={"path": str(starter_kb.path), "threshold": confidence}))
    assert not loose.complete(question).refused

    with pytest.raises(KubesageError, match="no knowledge base at"):
        KBBackend.from_config(None, Config(kb={"path": str(tmp_path / "none")}))
    with pytest.raises(KubesageError, match="threshold"):
        KBBackend.from_config(None, Config(kb={"threshold": "high"}))
