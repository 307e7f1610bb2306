"""Detect the fixed-vocabulary failure reasons in failure texts and questions.

Patterns cover the reason names themselves, k8sgpt's failure texts, kubelet / scheduler /
controller messages and Chinese keywords. Used to boost runbooks whose `reasons` match,
and by the eval harness.
"""

from __future__ import annotations

import re

# Every reason a runbook's front matter may list.
VOCABULARY: tuple[str, ...] = (
    "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CrashLoopBackOff", "OOMKilled",
    "CreateContainerConfigError", "CreateContainerError", "RunContainerError", "Evicted", "FailedScheduling",
    "Unschedulable", "ProvisioningFailed", "FailedMount", "FailedAttachVolume", "Unhealthy", "NoEndpoints",
    "IngressClassMissing", "IngressServiceMissing", "TLSSecretMissing", "FailedCreate", "BackoffLimitExceeded",
    "InvalidSchedule", "NodeNotReady", "NodePressure", "DaemonSetNotReady", "HPAScaleTargetMissing",
    "FailedGetResourceMetric", "PDBDisruptionsNotAllowed", "NetworkPolicyNoPods", "WebhookNoEndpoints",
    "DNSResolutionFailure", "Forbidden", "ProgressDeadlineExceeded", "FailedCreatePodSandBox", "ConfigMapUnused",
    "DefaultServiceAccount", "PrivilegedContainer",
)  # fmt: skip

_PATTERNS: dict[str, tuple[str, ...]] = {
    "ImagePullBackOff": (
        r"back-?off pulling image",
        r"image ?pull ?back-?off",
        r"映像檔?.{0,6}(拉取|下載|pull)",
        r"(拉取|拉不到|抓不到|下載).{0,6}(映像|鏡像|image)",
        r"鏡像.{0,4}(拉取|失敗)",
    ),
    "ErrImagePull": (
        r"errimagepull",
        r"failed to pull image",
        r"manifest (for .{0,120} )?(not found|unknown)",
        r"pull access denied",
        r"repository does not exist",
        r"401 unauthorized.{0,120}regist",
    ),
    "InvalidImageName": (
        r"invalidimagename",
        r"invalid image name",
        r"couldn't parse image reference",
        r"invalid reference format",
        r"映像檔?名稱.{0,4}(無效|錯誤|不合法)",
    ),
    "CrashLoopBackOff": (
        r"crash ?loop ?back-?off",
        r"back-?off( \S{1,253})? restarting failed container",
        r"last termination reason is (error|completed)",
        r"(不斷|一直|反覆|持續)(重啟|重新啟動|崩潰)",
        r"崩潰迴圈",
    ),
    "OOMKilled": (
        r"oom ?killed",
        r"out of memory",
        r"exitcode=137",
        r"exit code 137",
        r"記憶體(不足|耗盡|用盡)",
        r"\boom\b",
    ),
    "CreateContainerConfigError": (
        r"createcontainerconfigerror",
        r'secret \"?[^ ]{0,253}\"? not found',
        r'configmap \"?[^ ]{0,253}\"? not found',
        r"couldn't find key .{0,120} in (secret|configmap)",
        r"(secret|configmap).{0,10}(不存在|找不到)",
    ),
    "CreateContainerError": (
        r"createcontainererror",
        r"failed to create containerd container",
        r"container name .{0,120} already in use",
        r"建立容器失敗",
    ),
    "RunContainerError": (
        r"runcontainererror",
        r"failed to start container",
        r"oci runtime (create|exec) failed",
        r"executable file not found",
        r"容器.{0,4}(啟動失敗|無法啟動)",
        r"exec format error",
        r"permission denied.{0,120}(exec|start)",
    ),
    "Evicted": (
        r"\bevicted\b",
        r"pod .{0,120} has been evicted",
        r"the node was low on resource",
        r"驅逐",
    ),
    "FailedScheduling": (
        r"failedscheduling",
        r"\d{1,6}/\d{1,6} nodes are available",
        r"insufficient (cpu|memory)",
        r"didn't match (pod's )?node (affinity|selector)",
        r"untolerated taint",
        r"無法(被)?調度",
        r"排程失敗",
        r"調度失敗",
        r"無法排程",
    ),
    "Unschedulable": (
        r"(not|never|cannot|can't|couldn't) (be )?scheduled",
        r"stuck in pending",
        r"unschedulable",
        r"podscheduled.{0,120}false",
        r"cordon",
        r"不可調度",
        r"無法排程",
    ),
    "ProvisioningFailed": (
        r"provisioningfailed",
        r"failed to provision volume",
        r"storageclass\.storage\.k8s\.io .{0,120} not found",
        r"waiting for (a volume to be created|first consumer)",
        r"persistentvolumeclaim .{0,120} pending",
        r"pvc.{0,8}(pending|卡住|無法綁定)",
        r"(儲存|磁碟區|存儲).{0,6}(佈建|配置|建立)失敗",
        r"pvc.{0,8}(動態)?佈建失敗",
    ),
    "FailedMount": (
        r"failedmount",
        r"unable to (attach or )?mount volumes?",
        r"mountvolume\.setup failed",
        r"timed out waiting for the condition.{0,120}volume",
        r"掛載.{0,4}(失敗|錯誤)",
        r"無法掛載",
    ),
    "FailedAttachVolume": (
        r"failedattachvolume",
        r"attachvolume\.attach failed",
        r"multi-attach error",
        r"volume is already (exclusively )?attached",
        r"(附加|掛接).{0,4}(磁碟區|volume).{0,4}失敗",
    ),
    "Unhealthy": (
        r"\bunhealthy\b",
        r"(readiness|liveness|startup) probe failed",
        r"探針.{0,4}失敗",
        r"(就緒|存活|啟動)探(針|測)",
    ),
    "NoEndpoints": (
        r"service has no endpoints",
        r"no endpoints",
        r"has not ready endpoints",
        r"沒有 ?endpoints?",
        r"端點.{0,4}(為空|不存在|沒有)",
        r"(service|服務).{0,6}沒有.{0,4}(端點|後端|endpoint)",
    ),
    "IngressClassMissing": (
        r"ingress class .{0,120} does not exist",
        r"does not specify an ingress class",
        r"ingressclass.{0,20}(missing|not found|不存在)",
        r"ingress ?class.{0,10}(不存在|未指定|沒有)",
    ),
    "IngressServiceMissing": (
        r"ingress uses the service .{0,120} which does not exist",
        r"ingress.{0,30}(backend|後端).{0,20}(service|服務).{0,10}(不存在|missing|not found)",
    ),
    "TLSSecretMissing": (
        r"as a tls certificate which does not exist",
        r"tls secret.{0,20}(missing|not found|不存在)",
        r"tls.{0,10}(憑證|證書).{0,10}(不存在|找不到|缺少)",
    ),
    "FailedCreate": (
        r"failedcreate\b",
        r"error creating: pods",
        r"exceeded quota",
        r"forbidden: exceeded quota",
        r"replicafailure",
        r"error looking up service ?account",
        r'serviceaccount \"?[^ ]{0,253}\"? not found',
        r"(maximum|minimum) (memory|cpu|ephemeral-storage) usage per (container|pod)",
        r"limitrange",
        r"(can ?not|can't|cannot|unable to) create pods",
        r"找不到.{0,4}(service ?account|服務帳號)",
        r"(建不出|建不起來|無法建立|不能建立).{0,4}pod",
        r"(replicaset|副本集).{0,10}(無法|不能)建立",
    ),
    "BackoffLimitExceeded": (
        r"backofflimitexceeded",
        r"job has reached the specified backoff limit",
        r"job .{0,120} has failed",
        r"(job|工作|任務).{0,8}(失敗|重試次數)",
    ),
    "InvalidSchedule": (
        r"invalid ?schedule",
        r"cronjob .{0,120} has an invalid schedule",
        r"cron (表達式|排程).{0,6}(錯誤|無效)",
        r"排程(格式|語法).{0,4}(錯誤|無效)",
    ),
    "NodeNotReady": (
        r"node ?not ?ready",
        r"condition of type ready",
        r"kubelet stopped posting node status",
        r"節點.{0,6}(not ?ready|未就緒|沒有就緒|離線)",
    ),
    "NodePressure": (
        r"(memory|disk|pid)pressure",
        r"(memory|disk|pid) pressure",
        r"node pressure",
        r"節點.{0,6}(記憶體|磁碟|硬碟|pid).{0,4}(壓力|不足)",
        r"(磁碟|硬碟)(空間)?(不足|滿了)",
    ),
    "DaemonSetNotReady": (
        r"daemonset .{0,120} has \d{1,6} ready replicas out of",
        r"daemonset.{0,20}not ready",
        r"daemonset.{0,10}(未就緒|沒有就緒)",
    ),
    "HPAScaleTargetMissing": (
        r"horizontalpodautoscaler uses .{0,120} as scaletargetref",
        r"scaletargetref",
        r"(hpa|autoscaler).{0,30}(target|目標).{0,20}(does not exist|不存在|missing)",
    ),
    "FailedGetResourceMetric": (
        r"failedgetresourcemetric",
        r"failed to get (cpu|memory) utilization",
        r"unable to get metrics",
        r"metrics-server",
        r"(does not have resource configured)",
        r"(hpa|autoscaler).{0,10}(指標|metrics).{0,6}(失敗|取不到|拿不到)",
    ),
    "PDBDisruptionsNotAllowed": (
        r"expected pdb pod label",
        r"insufficientpods",
        r"disruptionallowed",
        r"cannot evict pod as it would violate the pod's disruption budget",
        r"(pdb|poddisruptionbudget).{0,30}(block|not allowed|阻擋|不允許|卡住)",
        r"(pdb|poddisruptionbudget).{0,30}(擋|drain|排空|evict)",
        r"(drain|排空).{0,20}(卡住|擋|cannot evict)",
    ),
    "NetworkPolicyNoPods": (
        r"network policy is not applied to any pods",
        r"network policy allows traffic to all pods",
        r"network ?policy.{0,20}(no pods|沒有.{0,8}pod|不套用|沒有套用)",
    ),
    "WebhookNoEndpoints": (
        r"mapped to by (mutating|validating) webhook",
        r"webhook.{0,40}(no endpoints|connection refused)",
        r"failed calling webhook",
        r"webhook .{0,120} pointing to an inactive receiver",
        r"webhook.{0,10}(沒有.{0,4}端點|無法連線|失敗)",
    ),
    "DNSResolutionFailure": (
        r"dnsresolutionfailure",
        r"no such host",
        r"could not resolve host",
        r"nxdomain",
        r"dns.{0,20}(fail|timeout|timed out|resolution)",
        r"coredns",
        r"kube-dns",
        r"lookup \S{1,253} on \S{1,253}:53\b",
        r":53: (i/o timeout|no such host|server misbehaving|connection refused)",
        r"(can ?not|can't|cannot|unable to|failed to|couldn't) resolve",
        r"temporary failure in name resolution",
        r"plugin/loop",
        r"loop \(?.{0,40}detected",
        r"(udp|tcp|port|埠|連接埠) ?/?53\b",
        r"dns.{0,6}(查不到|解析不到|逾時|超時|失敗)",
        r"(解析不到|無法解析).{0,10}(名稱|域名|主機|hostname|host)",
        r"(dns|名稱|域名).{0,6}(解析|查詢).{0,4}(失敗|錯誤|不到)",
    ),
    "Forbidden": (
        r"\bforbidden\b",
        r"cannot (get|list|watch|create|update|patch|delete) resource",
        r"rbac",
        r"權限(不足|被拒)",
        r"沒有權限",
    ),
    "ProgressDeadlineExceeded": (
        r"progressdeadlineexceeded",
        r"exceeded its progress deadline",
        r"condition progressing=false",
        r"(滾動更新|部署|rollout).{0,6}(逾時|超時|卡住)",
    ),
    "FailedCreatePodSandBox": (
        r"failedcreatepodsandbox",
        r"failed to create pod sandbox",
        r"(pod|container) sandbox",
        r"sandbox (container|for pod|creation)",
        r"networkplugin cni failed",
        r"failed to set up sandbox container",
        r"cni.{0,20}(失敗|錯誤|fail)",
    ),
    "ConfigMapUnused": (
        r"configmap .{0,120} is not used by any pods",
        r"configmap .{0,120} is empty",
        r"unused configmap",
        r"configmap.{0,10}(沒有被使用|未被使用|沒人用)",
    ),
    "DefaultServiceAccount": (
        r"default service account is being used",
        r"default service ?account",
        r"預設.{0,4}(服務帳號|service ?account)",
    ),
    "PrivilegedContainer": (
        r"running as privileged",
        r"privileged container",
        r"privileged: ?true",
        r"does not have a security context",
        r"特權(容器|模式)",
    ),
}

# Concept combinations (rag/glossary.py, English and Chinese alike) that name a reason when no
# failure text does: "記憶體爆了 ... 被砍掉" is {memory, killed} is OOMKilled.
_CONCEPT_RULES: tuple[tuple[str, tuple[frozenset[str], ...]], ...] = tuple(
    (reason, tuple(frozenset(rule.split("+")) for rule in rules))
    for reason, rules in (
        ("ImagePullBackOff", ("image+pull", "registry+credential", "image+missing", "image+tag", "registry+rate limit",
                              "image+rate limit", "pull+rate limit", "pull+credential", "registry+private")),
        ("InvalidImageName", ("image+invalid name",)),
        ("OOMKilled", ("memory+killed", "memory+full", "memory+limit")),
        ("CrashLoopBackOff", ("crash+restart", "crash+container", "startup+crash", "dependency+crash",
                              "command+crash")),
        ("CreateContainerConfigError", ("secret+missing", "configmap+missing", "key+missing", "root+container",
                                        "root+image")),
        ("RunContainerError", ("architecture", "executable", "command+missing")),
        ("Evicted", ("evicted",)),
        ("FailedMount", ("mount",)),
        ("FailedAttachVolume", ("attach",)),
        ("ProvisioningFailed", ("provision", "storageclass")),
        ("FailedScheduling", ("scheduling", "taint", "affinity", "selector+node", "cpu+full", "zone+volume")),
        ("Unhealthy", ("probe", "not ready+pod")),
        ("NoEndpoints", ("endpoint", "service+selector", "service+refused", "service+port")),
        ("IngressClassMissing", ("ingressclass",)),
        ("IngressServiceMissing", ("ingress+service+missing",)),
        ("TLSSecretMissing", ("certificate+ingress", "fake default")),
        ("FailedCreate", ("quota", "limitrange", "serviceaccount+missing", "replicaset+create", "controller+create")),
        ("BackoffLimitExceeded", ("job+backoff limit", "job+failed")),
        ("InvalidSchedule", ("cronjob", "cron expression")),
        ("NodeNotReady", ("node+not ready", "kubelet+node", "node+cni")),
        ("NodePressure", ("pressure", "node+disk+full", "node+memory+full")),
        ("DaemonSetNotReady", ("daemonset",)),
        ("HPAScaleTargetMissing", ("autoscaler+target", "autoscaler+missing", "autoscaler+rename")),
        ("FailedGetResourceMetric", ("autoscaler+metrics", "metrics+unknown")),
        ("PDBDisruptionsNotAllowed", ("pdb", "drain")),
        ("NetworkPolicyNoPods", ("networkpolicy",)),
        ("WebhookNoEndpoints", ("webhook",)),
        ("DNSResolutionFailure", ("dns",)),
        ("Forbidden", ("forbidden", "podsecurity")),
        ("ProgressDeadlineExceeded", ("rollout+timeout", "rollout+progress", "deployment+progress",
                                      "deployment+timeout")),
        ("FailedCreatePodSandBox", ("sandbox+network", "sandbox+failed", "cni", "ip address+pod")),
        ("ConfigMapUnused", ("configmap+unused",)),
        ("DefaultServiceAccount", ("serviceaccount+default",)),
        ("PrivilegedContainer", ("privileged",)),
    )
)  # fmt: skip

# Everyday phrases that also name a reason: they rank its runbooks, but alone they do not show
# that a question is about Kubernetes ("my laptop runs out of memory").
GENERIC_PATTERNS = frozenset({r"out of memory", r"\boom\b", r"\bforbidden\b", r"\bevicted\b", r"\bunhealthy\b",
                              r"(can ?not|can't|cannot|unable to|failed to|couldn't) resolve"})  # fmt: skip
_COMPILED: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile("|".join(f"(?:{p})" for p in (re.escape(reason.lower()), *pats)), re.IGNORECASE))
    for reason, pats in _PATTERNS.items()
)
_SPECIFIC: dict[str, re.Pattern[str]] = {
    reason: re.compile("|".join(f"(?:{p})" for p in (re.escape(reason.lower()), *pats) if p not in GENERIC_PATTERNS),
                       re.IGNORECASE)
    for reason, pats in _PATTERNS.items()
}  # fmt: skip
_CANON = {r.lower(): r for r in VOCABULARY}


def canonical(reason: str) -> str | None:
    """The vocabulary spelling of `reason` (case-insensitive), or None."""
    return _CANON.get(reason.strip().lower())


def detect_reasons(text: str) -> list[str]:
    """Vocabulary reasons found in `text`: those its failure texts name, in order of first
    appearance, then those its concepts imply (more specific combinations first)."""
    named = named_reasons(text)
    return named + [r for r in concept_reasons(text) if r not in named]


def named_reasons(text: str, *, specific: bool = False) -> list[str]:
    """Reasons the failure texts (or reason names) in `text` name, in order of first appearance;
    with `specific`, only by Kubernetes wording (not GENERIC_PATTERNS)."""
    found: list[tuple[int, str]] = []
    for reason, pattern in _COMPILED:
        match = (_SPECIFIC[reason] if specific else pattern).search(text)
        if match:
            found.append((match.start(), reason))
    found.sort()
    return [reason for _, reason in found]


def concept_reasons(text: str) -> list[str]:
    """Reasons implied by the concepts `text` names, in either language."""
    from kubesage.rag.concepts import glossary

    concepts = glossary().analyze(text).concepts
    if not concepts:
        return []
    order = {c: i for i, c in enumerate(concepts)}
    have = frozenset(concepts)
    scored: list[tuple[int, int, str]] = []
    for reason, rules in _CONCEPT_RULES:
        best = max((rule for rule in rules if rule <= have), key=len, default=None)
        if best is not None:
            scored.append((-len(best), min(order[c] for c in best), reason))
    return [reason for *_, reason in sorted(scored)]
