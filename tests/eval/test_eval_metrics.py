"""Metric functions against hand-computed examples."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kubesage.eval import metrics, text
from kubesage.eval.scenarios import Expectation


@dataclass
class F:
    kind: str
    name: str
    texts: list[str] = field(default_factory=list)


def test_retrieval_summary_hand_computed() -> None:
    # ranks 1, 2, 4, miss -> hit@1 1/4, hit@3 2/4, hit@5 3/4, MRR (1 + 1/2 + 1/4 + 0) / 4
    s = metrics.retrieval_summary([1, 2, 4, None])
    assert s == {"n": 4, "hit@1": 0.25, "hit@3": 0.5, "hit@5": 0.75, "mrr": pytest.approx(0.4375)}


def test_reason_detection_hand_computed() -> None:
    got = metrics.reason_detection([["OOMKilled"], ["Evicted", "OOMKilled"], [], ["Forbidden"]],
                                   [["OOMKilled"], ["OOMKilled"], ["NoEndpoints"], ["FailedCreate"]])
    assert got == {"n": 4, "named": 0.75, "top1": 0.25, "any": 0.5}
    assert metrics.reason_detection([], [])["n"] == 0


def test_first_relevant_rank_uses_reason_intersection() -> None:
    hits = [("Evicted",), ("OOMKilled", "CrashLoopBackOff"), ("OOMKilled",)]
    assert metrics.first_relevant_rank(hits, ["CrashLoopBackOff"]) == 2
    assert metrics.first_relevant_rank(hits, ["NoEndpoints"]) is None


def test_detection_recall_precision_false_positives() -> None:
    must = [Expectation("Pod", "shop/a", "Back-off pulling image"), Expectation("Pod", "shop/b", "OOMKilled")]
    may = [Expectation("Deployment", "shop/web")]
    healthy = [Expectation("Service", "shop/web"), Expectation("Pod", "shop/ok")]
    findings = [
        F("Pod", "shop/a", ['Back-off pulling image "x:1"']),  # found
        F("Pod", "shop/b", ["the last termination reason is Error"]),  # right object, wrong text: missed
        F("Deployment", "shop/web", ["has 2 replicas but 0 are available"]),  # allowed secondary finding
        F("Service", "shop/web", ["Service has no endpoints"]),  # flagged healthy object
        F("ConfigMap", "shop/x", ["ConfigMap x is not used"]),  # not mentioned at all
    ]
    out = metrics.score_detection(findings, must, may, healthy)
    assert [e.name for e in out.found] == ["shop/a"]
    assert [e.name for e in out.missed] == ["shop/b"]
    assert [e.name for e in out.false_positives] == ["shop/web"]
    assert out.unexpected == ["ConfigMap shop/x"]
    # relevant: a, b (same object even with the wrong text), Deployment -> 3 of 5
    assert (out.relevant_results, out.total_results) == (3, 5)
    clean = metrics.score_detection([F("Pod", "shop/b", ["OOMKilled"])], must[1:], [], healthy)
    s = metrics.detection_summary([out, clean])
    assert s["recall"] == pytest.approx(2 / 3)
    assert s["precision"] == pytest.approx(4 / 6)
    assert s["false_positives"] == 1


def test_name_matching_rules() -> None:
    assert metrics.name_matches("ns/pod", "ns/pod")
    assert metrics.name_matches("ns/pod", "ns/pod/container")  # Log analyzer result
    assert metrics.name_matches("hook.example.io", "/hook.example.io")  # k8sgpt webhook naming
    assert not metrics.name_matches("ns/pod", "ns/pod-2")
    assert not metrics.name_matches("ns/a", "other/a")


def test_point_matching_substring_keywords_and_chinese() -> None:
    answer = "The Pod is OOMKilled: raise limits.memory, the container's memory LIMIT is too low."
    assert text.point_matched(("oomkilled",), answer)
    assert text.point_matched(("memory limit",), answer)  # keyword set, not a substring
    assert not text.point_matched(("readiness probe",), answer)
    zh = "容器超過記憶體限制，被核心終止。"
    assert text.point_matched(("記憶體限制",), zh)
    assert text.point_matched(("ＯＯＭ", "記憶體限制"), zh)  # full-width folds; any alternative
    assert metrics.coverage([("oomkilled",), ("readiness",), ("memory limit",), ("137",)], answer) == 0.5


def test_groundedness_share_of_supported_sentences() -> None:
    evidence = "Raise the memory limit of the container. Check kubectl logs for the previous container."
    answer = ("Raise the memory limit of the container. Check kubectl logs of the previous container. "
              "Reboot the datacenter router firmware immediately.\n## Fix")
    # 3 judged sentences ("## Fix" has one token and is not judged); 2 supported
    assert metrics.groundedness(answer, evidence) == pytest.approx(2 / 3)
    assert metrics.groundedness("## Fix", evidence) is None  # nothing to judge
    assert metrics.groundedness("請提高容器的記憶體限制。", "容器的記憶體限制太低，請提高。") == 1.0


def test_citation_correctness() -> None:
    reasons = {"kb/oom": frozenset({"OOMKilled"}), "kb/pull": frozenset({"ImagePullBackOff"})}
    assert metrics.citation_correct(["kb/oom"], ["kb/oom", "kb/pull"], reasons, ["OOMKilled"])
    assert not metrics.citation_correct(["kb/pull"], ["kb/oom", "kb/pull"], reasons, ["OOMKilled"])
    assert not metrics.citation_correct(["kb/other"], ["kb/oom"], reasons, ["OOMKilled"])  # not retrieved
    assert not metrics.citation_correct([], ["kb/oom"], reasons, ["OOMKilled"])
    # An expected runbook (by doc id or last path segment) is a correct citation too.
    assert metrics.citation_correct(["kb/pull"], ["kb/pull"], reasons, ["OOMKilled"], ["pull"])
    assert metrics.first_runbook_rank(["a", "kb/oomkilled", "b"], ["oomkilled"]) == 2
    assert metrics.first_runbook_rank(["a"], ["oomkilled"]) is None


def test_echoing_the_question_is_not_grounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The question is never evidence: an answer that repeats a chat question is judged against
    the retrieved documents only, and they do not repeat the user's own words."""
    from eval_paths import TEST_QUESTIONS

    from kubesage.config import Config
    from kubesage.eval.runner import EchoBackend, RetrievalCorpus, _ask, _question_items
    from kubesage.eval.scenarios import load_questions

    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var))
    corpus = RetrievalCorpus.open(Config(), None)
    chat = [q for q in load_questions(TEST_QUESTIONS).in_scope if q.style == "chat" and q.lang == "zh"][:10]
    runs = [_ask(EchoBackend(), corpus, item, None) for item in _question_items(chat)]
    assert all(r.coverage == 0.0 and not r.citation_ok and not r.refused for r in runs)
    grounded = [r.grounded for r in runs if r.grounded is not None]
    assert grounded and sum(grounded) / len(grounded) < 0.5
    assert all(metrics.groundedness(q.text, q.text) == 1.0 for q in chat)  # what counting it would give


def test_percentiles_and_latency_summary() -> None:
    values = [0.010, 0.020, 0.030, 0.040, 0.100]
    assert metrics.percentile(values, 50) == pytest.approx(0.030)
    # 95th: position 0.95 * 4 = 3.8 -> 0.040 + 0.8 * (0.100 - 0.040)
    assert metrics.percentile(values, 95) == pytest.approx(0.088)
    s = metrics.latency_summary(values)
    assert (s["n"], s["p50_ms"], s["p95_ms"], s["max_ms"]) == (5, 30.0, 88.0, 100.0)
    assert metrics.percentile([], 95) == 0.0


def test_pass_hat_k_and_pass_at_1() -> None:
    runs = [[True, True, True], [True, False, True], [False, False, False], [True, True, True]]
    assert metrics.pass_hat_k(runs) == 0.5
    assert metrics.pass_at_1(runs) == pytest.approx(8 / 12)


def test_cost_estimate() -> None:
    # 2M input at $2.50/M + 0.5M output at $10/M
    assert metrics.estimate_cost(2_000_000, 500_000, 2.50, 10.0) == pytest.approx(10.0)


def test_content_tokens_drop_stopwords_and_split_cjk() -> None:
    assert text.content_tokens("The pod is in CrashLoopBackOff") == ["pod", "crashloopbackoff"]
    assert text.content_tokens("記憶體") == ["記憶", "憶體"]


def test_backend_specific_threshold_replaces_the_general_one() -> None:
    from kubesage.eval.gate import Threshold, check_gate

    thresholds = (
        Threshold("latency.answer.p95_ms", maximum=250, backends=("kb",)),
        Threshold("latency.answer.p95_ms", maximum=20000),
    )
    report = {"backend": "kb", "latency": {"answer": {"p95_ms": 300.0}}}
    kb = check_gate(report, thresholds)
    assert [c["threshold"] for c in kb["checks"]] == [250] and not kb["passed"]
    report["backend"] = "openai"
    other = check_gate(report, thresholds)
    assert [c["threshold"] for c in other["checks"]] == [20000] and other["passed"]


def test_groundedness_ignores_step_numbers_and_labels() -> None:
    from kubesage.eval.metrics import groundedness

    evidence = "Fix the image tag and roll out the Deployment again."
    answer = "Error: the image tag is wrong. Solution: 1. Fix the image tag. 2. Roll out the Deployment again."
    assert groundedness(answer, evidence) == 1.0
