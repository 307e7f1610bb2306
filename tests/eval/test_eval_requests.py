"""How the benchmark turns a question into the request a client sends."""

from __future__ import annotations

import time

from kubesage.eval.runner import question_request
from kubesage.eval.scenarios import Question

PROMPT = (
    "Simplify the following Kubernetes error message delimited by triple dashes written in --- english --- "
    "language; --- Back-off pulling image \"nginx:latst\" ---. Provide the most possible solution in a "
    "step by step style in no more than 280 characters."
)


def test_k8sgpt_prompt_is_sent_as_customrest_sends_it() -> None:
    req = question_request(Question(id="q", lang="en", text=PROMPT, style="k8sgpt"))
    assert req.prompt == PROMPT
    assert req.language == "english"
    assert req.message == 'Back-off pulling image "nginx:latst"'


def test_hostile_k8sgpt_text_parses_in_linear_time() -> None:
    hostile = "written in --- x --- language; --- " * 800
    start = time.perf_counter()
    req = question_request(Question(id="q", lang="en", text=hostile, style="k8sgpt"))
    assert time.perf_counter() - start < 0.5
    assert req.prompt == hostile
    assert req.message == hostile  # no closing `---.`: not a k8sgpt prompt, sent as typed
