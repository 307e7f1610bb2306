"""Answer quality of the offline `kb` backend: reason detection, ranking of verbatim failure texts,
and how composed answers render runbook steps."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubesage.llm.base import CompletionRequest
from kubesage.rag.answer import Answerer, _items, compose
from kubesage.rag.reasons import _PATTERNS, VOCABULARY, detect_reasons
from kubesage.rag.retrieve import DEFAULT_THRESHOLD, Retriever
from kubesage.rag.starter import knowledge_dir
from kubesage.rag.store import KnowledgeBase

CRASH_FINDINGS = (
    "the last termination reason is Error container=scorer pod=risk-scorer-a "
    "the last termination reason is Error container=scorer pod=risk-scorer-b"
)


def test_vocabulary_matches_the_runbook_vocabulary_file() -> None:
    src = knowledge_dir()
    assert src is not None
    entries = yaml.safe_load((Path(src) / "vocabulary.yaml").read_text(encoding="utf-8"))
    assert tuple(e["reason"] for e in entries) == VOCABULARY
    assert set(_PATTERNS) == set(VOCABULARY)


@pytest.mark.parametrize(
    "text",
    [
        "dial tcp: lookup postgres.db.svc.cluster.local on 10.96.0.10:53: no such host",
        "lookup redis.fraud.svc.cluster.local on 10.96.0.10:53: i/o timeout",
        "[FATAL] plugin/loop: Loop (127.0.0.1:41231 -> :53) detected for zone",
        "the app cannot resolve any hostname",
        "egress to UDP 53 is blocked by a NetworkPolicy",
        "risk-scorer 日誌顯示 DNS 查不到",
    ],
)
def test_dns_failures_are_detected(text: str) -> None:
    assert "DNSResolutionFailure" in detect_reasons(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('pods "rb-" is forbidden: error looking up service account ns/rb-sa: serviceaccount "rb-sa" not found',
         "FailedCreate"),
        ("pods x is forbidden: maximum memory usage per Container is 1Gi, but limit is 4Gi", "FailedCreate"),
        ("PDB 擋住 drain", "PDBDisruptionsNotAllowed"),
        ("node drain 卡住了", "PDBDisruptionsNotAllowed"),
        ("PVC 動態佈建失敗", "ProvisioningFailed"),
    ],
)  # fmt: skip
def test_more_failure_texts_are_detected(text: str, reason: str) -> None:
    assert reason in detect_reasons(text)


def test_a_namespace_called_sandbox_is_not_a_pod_sandbox_failure() -> None:
    assert "FailedCreatePodSandBox" not in detect_reasons("Why can't the notebook Deployment create pods in sandbox?")
    assert "FailedCreatePodSandBox" in detect_reasons("Failed to create pod sandbox: rpc error")


def _top(kb: KnowledgeBase, query: str) -> str:
    return Retriever(kb, dense=False).search(query, 3).hits[0].doc_id


def test_quoted_failure_message_outranks_free_form_words(starter_kb: KnowledgeBase) -> None:
    query = ("Calls to the payment-gateway Service time out but its pods are healthy.\n"
             "Service has no endpoints, expected label app=payment-gatway")  # fmt: skip
    assert _top(starter_kb, query).endswith("/service-no-endpoints")


def test_specific_reason_outranks_generic_crash_findings(starter_kb: KnowledgeBase) -> None:
    query = f"risk-scorer logs 'lookup redis.fraud.svc.cluster.local on 10.96.0.10:53: i/o timeout'.\n{CRASH_FINDINGS}"
    retrieval = Retriever(starter_kb, dense=False).search(query, 3)
    assert "DNSResolutionFailure" in retrieval.hits[0].reasons
    assert retrieval.relevant


def test_missing_serviceaccount_finds_the_failed_create_runbook(starter_kb: KnowledgeBase) -> None:
    query = ('pods "report-builder-qc7pf9knb-" is forbidden: error looking up service account '
             'reporting/report-builder-sa: serviceaccount "report-builder-sa" not found')  # fmt: skip
    assert _top(starter_kb, query).endswith("/failed-create-admission-rejected")


def test_yaml_block_after_a_step_becomes_its_settings() -> None:
    text = "1. Correct the probe:\n   ```yaml\n   readinessProbe:\n     httpGet: {path: /ready, port: 8080}\n   ```\n"
    (item,) = _items(text)
    assert item == "Correct the probe (sets `httpGet: {path: /ready, port: 8080}` under `readinessProbe`)."


def test_shell_block_after_a_step_becomes_its_first_command() -> None:
    text = "1. Roll back:\n   ```bash\n   # first undo\n   kubectl rollout undo deploy/web  # now\n   ```\n2. Next."
    assert _items(text) == ["Roll back: `kubectl rollout undo deploy/web`", "Next."]


def test_bare_yaml_key_never_becomes_a_command() -> None:
    text = "1. Set the ports explicitly:\n   ```\n   spec:\n     ports:\n     - port: 80\n   ```\n"
    (item,) = _items(text)
    assert "`spec:`" not in item and item.startswith("Set the ports explicitly (sets `port: 80`")


def test_answer_names_the_limitrange_memory_cause_first(starter_kb: KnowledgeBase) -> None:
    message = ('pods "notebook-1" is forbidden: maximum memory usage per Container is 1Gi, but limit is 4Gi\n'
               "ReplicaSet sandbox/notebook-1 cannot create pods")  # fmt: skip
    answer = Answerer(Retriever(starter_kb, dense=False)).answer(CompletionRequest(prompt="", message=message))
    error = answer.text.splitlines()[0]
    assert error.startswith("Error: FailedCreate")
    causes = error.split("Likely causes: ", 1)[1]
    assert causes.startswith("LimitRange") and "memory" in causes


def test_error_line_names_the_failure_in_both_languages(starter_kb: KnowledgeBase) -> None:
    retriever = Retriever(starter_kb, dense=False)
    query = "Node worker-b-2 is NotReady: Kubelet stopped posting node status."
    hit = retriever.search(query, 1).hits[0]
    assert "NotReady" in compose(retriever, hit, False, query).splitlines()[0]
    zh = compose(retriever, hit, True, query).splitlines()[0]
    assert "NotReady" in zh and "**" not in zh and "可能原因" in zh


def test_one_shared_word_is_not_evidence_of_topic(starter_kb: KnowledgeBase) -> None:
    retriever = Retriever(starter_kb, dense=False)
    # "root" is in the runbooks (runAsNonRoot), but nothing else of the question is.
    assert retriever.search("What is the square root of 1764?", 3).confidence < DEFAULT_THRESHOLD - 0.05
    assert retriever.search("container has runAsNonRoot and image will run as root", 3).relevant
