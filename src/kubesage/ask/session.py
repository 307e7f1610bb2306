"""One `ask` session: picks the mode from the configured provider and keeps a conversation for `-i`.

- no model configured (the offline `kb` default, or `noopai`): the deterministic planner;
- a provider with native tool calling (openai, localai, azureopenai, anthropic, google, ollama): the agent
  loop over kubesage's tools plus those of the external MCP servers in `ask.mcp_servers`;
- any other provider (customrest): the planner gathers the evidence and the model gets one prompt with it.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kubesage.ask.answer import Answer, is_refusal, refusal
from kubesage.ask.loop import SYSTEM_EN, Limits, run_agent
from kubesage.ask.planner import evidence_text, investigate
from kubesage.ask.providers import Message, ToolModel, tool_model
from kubesage.ask.toolbox import External, Toolbox
from kubesage.mcp.workspace import Workspace
from kubesage.rag.tokenize import has_cjk

if TYPE_CHECKING:
    from kubesage.config import Config
    from kubesage.explain.anonymize import Anonymizer
    from kubesage.llm.base import Backend

OFFLINE = frozenset({"kb", "noopai"})
INLINE_PROMPT = """{system}

Question: {question}

Evidence gathered by kubesage's tools (each block is cited by its ref):
{evidence}

Answer the question from this evidence only, citing refs like [1]."""


@dataclass
class AskOptions:
    backend: str = ""
    """Provider to use ("" = the configured default; offline planner when none is configured)."""
    offline: bool = False
    """Force the offline planner even when a model is configured."""
    anonymize: bool = False
    language: str = ""
    """"" = the question's language; en or zh."""
    limits: Limits = field(default_factory=Limits)
    external: bool = True
    """Connect the MCP servers listed in the config."""


class Session:
    def __init__(self, workspace: Workspace, config: Config, options: AskOptions) -> None:
        self.workspace = workspace
        self.config = config
        self.options = options
        self.backend: Backend | None = None
        self.model: ToolModel | None = None
        self.mode = "planner"
        self.history: list[Message] = []
        self._stack = ExitStack()
        self.externals: list[External] = []
        self._toolbox: Toolbox | None = None
        if not options.offline:
            from kubesage.llm.registry import create, resolve

            info, provider = resolve(config, options.backend)
            if info.id not in OFFLINE:
                self.backend = create(info, provider, config)
                self.model = tool_model(self.backend)
                self.mode = "agent" if self.model is not None else "inline"

    def __enter__(self) -> Session:
        if self.mode == "agent" and self.options.external:
            from kubesage.ask.mcp_client import MCPServerTools, server_configs

            for sc in server_configs(self.config):
                self.externals.append(self._stack.enter_context(MCPServerTools(sc)))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _anonymizer(self) -> Anonymizer | None:
        if not self.options.anonymize or self.mode == "planner":
            return None
        from kubesage.explain.anonymize import Anonymizer

        return Anonymizer.from_snapshot(self.workspace.snapshot())

    def _chinese(self, question: str) -> bool:
        lang = self.options.language.lower()
        return lang in ("zh", "zh-tw", "traditional chinese") if lang else has_cjk(question)

    def toolbox(self) -> Toolbox:
        lim = self.options.limits
        return Toolbox(self.workspace, externals=self.externals, output_limit=lim.output_chars,
                       max_calls=lim.max_calls, anonymizer=self._anonymizer())  # fmt: skip

    def ask(self, question: str) -> Answer:
        chinese = self._chinese(question)
        if self.mode == "agent" and self.model is not None:
            # One toolbox per conversation: citation numbers keep counting and repeats stay suppressed.
            if self._toolbox is None:
                self._toolbox = self.toolbox()
            self._toolbox.calls = 0  # the call budget is per question
            return run_agent(question, self.model, self._toolbox, self.options.limits, chinese=chinese,
                             history=self.history)  # fmt: skip
        toolbox = self.toolbox()
        planned = investigate(question, toolbox, "zh" if chinese else "en")
        if self.mode == "planner" or self.backend is None:
            return planned
        return self._inline(question, planned, toolbox, chinese)

    def _inline(self, question: str, planned: Answer, toolbox: Toolbox, chinese: bool) -> Answer:
        """One prompt with the planner's evidence, for a provider without tool calling."""
        from kubesage.llm.base import CompletionRequest

        assert self.backend is not None
        anon = toolbox.anonymizer
        system = SYSTEM_EN.format(language="Traditional Chinese (zh-TW)" if chinese else "English")
        prompt = INLINE_PROMPT.format(system=system, question=anon.mask(question) if anon else question,
                                      evidence=evidence_text(planned, toolbox) or "(none)")  # fmt: skip
        reply = self.backend.complete(CompletionRequest(prompt=prompt, language="traditional chinese" if chinese
                                                        else "english", message=question))  # fmt: skip
        text = anon.demask(reply.text) if anon else reply.text
        if not planned.cited() and not is_refusal(text):
            why = "沒有任何工具輸出支持答案。" if chinese else "no tool output supports an answer."
            text = f"{refusal(chinese)}: {why}"
        return Answer(question, text, chinese, is_refusal(text), "inline", planned.observations, steps=1,
                      prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens,
                      model=f"{self.backend.name}/{self.backend.model}")  # fmt: skip
