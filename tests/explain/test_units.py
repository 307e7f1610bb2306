"""Prompts, anonymizer, signatures, retry policy, Go JSON: the pure parts of explain."""

from __future__ import annotations

import email.utils
import time

import pytest

from kubesage.cluster.snapshot import ClusterSnapshot
from kubesage.explain.anonymize import Anonymizer, image_terms
from kubesage.explain.prompts import DEFAULT_PROMPT, KYVERNO_PROMPT, PROMPT_MAP, fill, template_for
from kubesage.explain.retry import Gate, RetryPolicy, call_with_retry
from kubesage.explain.signature import Signer, retarget
from kubesage.gojson import go_float32, go_string
from kubesage.llm.base import Completion, CompletionRequest, LLMError
from kubesage.llm.http import parse_retry_after, redact

# -- prompts -----------------------------------------------------------------------------


def test_default_prompt_bytes() -> None:
    assert DEFAULT_PROMPT.startswith("Simplify the following Kubernetes error message delimited by triple dashes")
    lines = DEFAULT_PROMPT.split("\n")
    assert [ln[:1] for ln in lines[1:]] == ["\t", "\t", "\t", "\t"]
    assert lines[-1] == "\t"  # the raw Go template ends with newline + tab; trimmed on use
    filled = fill(DEFAULT_PROMPT, "Traditional Chinese", "Pod a/b failed")
    assert filled == (
        "Simplify the following Kubernetes error message delimited by triple dashes written in --- Traditional Chinese"
        " --- language; --- Pod a/b failed ---.\n"
        "\tProvide the most possible solution in a step by step style in no more than 280 characters. "
        "Write the output in the following format:\n"
        "\tError: {Explain error here}\n"
        "\tSolution: {Step by step solution here}"
    )


def test_kyverno_prompt_keeps_trailing_space_and_blank_lines() -> None:
    filled = fill(KYVERNO_PROMPT, "english", "w")
    assert "\tProvide the most probable solution as a kubectl command. \n\n\tWrite the output" in filled
    assert "\n\t\n\tError: {Explain error here}\n\n\tSolution: {kubectl command}" in filled
    assert template_for("PolicyReport") is KYVERNO_PROMPT and template_for("ClusterPolicyReport") is KYVERNO_PROMPT


def test_template_selection_and_overrides() -> None:
    assert template_for("Pod") is DEFAULT_PROMPT
    assert template_for("PrometheusConfigValidate") is PROMPT_MAP["PrometheusConfigValidate"]
    overrides = {"Pod": "P %s %s", "default": "D {error} in {language}"}
    assert fill(template_for("Pod", overrides), "de", "x") == "P de x"
    assert fill(template_for("Service", overrides), "de", "x") == "D x in de"
    assert fill(template_for("PolicyReport", overrides), "de", "x").startswith("Simplify the following Kyverno")


def test_fill_is_go_sprintf_like() -> None:
    assert fill("  a %s b %s c  ", "L", "T") == "a L b T c"
    assert fill("100%% %s %s", "L", "T%s") == "100% L T%s"  # text is not re-formatted
    assert fill("no verbs", "L", "T") == "no verbs\nT"
    assert fill("lang %s only", "L", "T") == "lang L only T"


# -- anonymizer --------------------------------------------------------------------------


def _anon(*names: str) -> Anonymizer:
    snap = ClusterSnapshot()
    for n in names:
        snap.add({"kind": "Pod", "metadata": {"name": n, "namespace": "ns-x1"}})
    return Anonymizer.from_snapshot(snap)


def test_regex_characters_and_word_boundaries() -> None:
    a = _anon("a.b", "web", "web-1x")
    assert a.mask("axb a.b") == "axb pod-1"  # a "." in a name is literal, not a wildcard
    assert a.mask("webserver web web-1x web-1xy") == "webserver pod-2 pod-3 pod-2-1xy"
    assert a.mask("pod=web_ns-x1(uid)") == "pod=pod-2_namespace-1(uid)"


def test_tokens_are_deterministic_and_never_remasked() -> None:
    a, b = _anon("zeta", "alpha", "pod-1"), _anon("alpha", "pod-1", "zeta")
    assert a.terms == b.terms
    assert "pod-1" not in a.terms.values(), "a token must never equal a real name"
    masked = a.mask("alpha pod-1 zeta")
    assert masked == "pod-2 pod-3 pod-4"
    assert a.demask(masked) == "alpha pod-1 zeta"


def test_demask_longest_token_first() -> None:
    names = [f"n{i:02d}x" for i in range(12)]
    a = _anon(*names)
    masked = a.mask(" ".join(names))
    assert "pod-12" in masked and a.demask(masked) == " ".join(names)


def test_builtins_and_stop_words_are_not_masked() -> None:
    snap = ClusterSnapshot()
    snap.add({"kind": "Pod", "metadata": {"name": "p-real", "namespace": "default", "labels": {"x": "true", "n": "3"}}})
    a = Anonymizer.from_snapshot(snap)
    assert a.mask("default true 3 p-real") == "default true 3 pod-1"


def test_image_terms() -> None:
    terms = dict(image_terms("docker-pullable://reg.io:5000/team/app:1.2@sha256:abc"))
    assert terms == {"reg.io:5000/team/app": "image", "reg.io:5000": "registry", "team/app": "image"}
    assert list(image_terms("nginx:1.25")) == [("nginx", "image")]


def test_ips_get_stable_tokens() -> None:
    a = _anon()
    assert a.mask("10.0.0.1 and 10.0.0.2 then 10.0.0.1:80") == "ip-1 and ip-2 then ip-1:80"
    assert a.demask("check ip-2") == "check 10.0.0.2"
    assert a.mask("version 1.2.3.4.5") == "version 1.2.3.4.5"


# -- signatures --------------------------------------------------------------------------


def test_signatures_collapse_instances_but_not_different_failures() -> None:
    s = Signer({"pod", "namespace"})
    u1, u2 = "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
    a = s.sign("Pod", [f"back-off 5m0s restarting failed container=app pod=pod-1_namespace-1({u1})"])
    b = s.sign("Pod", [f"back-off 40s restarting failed container=app pod=pod-9_namespace-1({u2})"])
    c = s.sign("Pod", [f"back-off 40s restarting failed container=db pod=pod-9_namespace-1({u2})"])
    assert a.text == b.text != c.text
    assert s.sign("Service", ["x"]).text != s.sign("Pod", ["x"]).text
    unknown = s.sign("Pod", ["pod web-7d4b9c-x2x9z and worker-3 at 2026-01-01T00:00:00Z"])
    assert unknown.text == "Pod\npod <hashed> and <numbered> at <time>"


def test_retarget_swaps_names_in_one_pass() -> None:
    assert retarget("pod-1 then pod-2", ("pod-1", "pod-2"), ("pod-2", "pod-1")) == "pod-2 then pod-1"
    assert retarget("pod-1 is down", ("pod-1",), ("pod-1",)) == "pod-1 is down"


# -- retries -----------------------------------------------------------------------------


class _Flaky:
    name, model = "flaky", ""

    def __init__(self, errors: list[LLMError]) -> None:
        self.errors = errors
        self.calls = 0

    def complete(self, request: CompletionRequest) -> Completion:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return Completion("ok")


def test_backoff_is_exponential_full_jitter_and_retry_after_wins() -> None:
    p = RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=6.0)
    err = LLMError("x", retryable=True)
    assert [p.delay(n, err, rng=lambda lo, hi: hi) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 6.0]
    assert p.delay(3, err, rng=lambda lo, hi: lo) == 0.0
    assert p.delay(1, LLMError("x", retryable=True, retry_after=9.0)) == 9.0
    assert RetryPolicy(max_retry_after=5).delay(1, LLMError("x", retryable=True, retry_after=90)) == 5


def test_call_with_retry_sleeps_and_stops_on_permanent_errors() -> None:
    slept: list[float] = []
    b = _Flaky([LLMError("429", retryable=True, retry_after=0.0), LLMError("503", retryable=True)])
    out = call_with_retry(b, CompletionRequest("p"), RetryPolicy(base_delay=0.01), Gate(), sleep=slept.append)
    assert out.text == "ok" and b.calls == 3
    assert len(slept) == 1 and 0 <= slept[0] <= 0.02  # Retry-After 0 holds the gate; 503 sleeps with jitter
    perm = _Flaky([LLMError("401 bad key")])
    with pytest.raises(LLMError, match="401 bad key"):
        call_with_retry(perm, CompletionRequest("p"), RetryPolicy(), sleep=slept.append)
    assert perm.calls == 1


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "12"}) == 12.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    got = parse_retry_after({"retry-after": future})
    assert got is not None and 25 <= got <= 31
    assert parse_retry_after({"retry-after": "soon"}) is None


def test_redact_hides_keys() -> None:
    assert redact("Incorrect API key provided: sk-proj-abcdefghijkl", ()) == "Incorrect API key provided: sk-***"
    assert redact("token=supersecret", ["supersecret"]) == "token=***"


def test_go_json_encoding() -> None:
    assert go_string("<a&b>\u2028") == '"\\u003ca\\u0026b\\u003e\\u2028"'
    assert [go_float32(v) for v in (0.0, 0.7, 1.0, 0.1)] == ["0", "0.7", "1", "0.1"]


def test_go_json_indent_shares_the_escape_table_with_go_string() -> None:
    from kubesage.gojson import go_json

    text = "<a&b>\u2028 lone \ud800"
    assert go_json({"t": text}) == '{\n  "t": ' + go_string(text) + "\n}"
    assert go_string("\ud800") == '"\\ufffd"'
