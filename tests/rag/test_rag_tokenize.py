from __future__ import annotations

from kubesage.rag.reasons import VOCABULARY, canonical, detect_reasons
from kubesage.rag.tokenize import cjk_ratio, tokenize


def test_camelcase_reason_kept_whole_and_split() -> None:
    tokens = tokenize("ImagePullBackOff")
    assert tokens[0] == "imagepullbackoff"
    assert {"image", "pull", "back", "off"} <= set(tokens)


def test_acronym_prefix_split() -> None:
    assert {"oomkilled", "oom", "killed"} <= set(tokenize("OOMKilled"))
    assert {"httproute", "http", "route"} <= set(tokenize("HTTPRoute"))


def test_error_codes_kept() -> None:
    tokens = tokenize("0/3 nodes are available, exitCode=137")
    assert "0/3" in tokens
    assert "exitcode=137" in tokens
    assert "137" in tokens
    assert "node" in tokens  # plural folded


def test_kinds_lowercased_and_stopwords_dropped() -> None:
    tokens = tokenize("The Deployment is not available")
    assert tokens == ["deployment", "not", "available"]


def test_cjk_unigrams_and_bigrams() -> None:
    tokens = tokenize("映像檔拉取失敗")
    assert "映像" in tokens and "拉取" in tokens and "失敗" in tokens
    assert "映" in tokens and "敗" in tokens


def test_mixed_cjk_and_latin() -> None:
    tokens = tokenize("Pod 一直 CrashLoopBackOff")
    assert "pod" in tokens and "crashloopbackoff" in tokens and "一直" in tokens
    assert cjk_ratio("Pod 一直") > 0.3


def test_long_text_is_tokenized_fully() -> None:
    text = "ImagePullBackOff " * 500
    assert tokenize(text).count("imagepullbackoff") == 500


def test_detect_reasons_from_k8sgpt_texts() -> None:
    assert detect_reasons('Back-off pulling image "nginx:1.x"') == ["ImagePullBackOff"]
    assert detect_reasons("the last termination reason is OOMKilled container=a pod=b")[0] == "OOMKilled"
    assert "FailedScheduling" in detect_reasons("0/3 nodes are available: 3 Insufficient cpu.")
    assert detect_reasons("Ingress uses the ingress class nginx which does not exist.") == ["IngressClassMissing"]
    assert "NoEndpoints" in detect_reasons("Service has no endpoints, expected label app=web")


def test_detect_reasons_from_chinese() -> None:
    assert "OOMKilled" in detect_reasons("容器記憶體不足被殺掉")
    assert "ImagePullBackOff" in detect_reasons("映像檔拉取失敗")
    assert "Evicted" in detect_reasons("Pod 被驅逐")


def test_detect_reasons_none_for_unrelated_text() -> None:
    assert detect_reasons("How do I cook pasta carbonara?") == []


def test_every_vocabulary_reason_detects_itself() -> None:
    for reason in VOCABULARY:
        assert reason in detect_reasons(f"status {reason} seen"), reason
        assert canonical(reason.lower()) == reason
    assert canonical("NotAReason") is None
