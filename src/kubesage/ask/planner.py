"""The offline planner: the investigation an SRE would do, with no model.

1. find the namespaces and objects the question names (exact names, `ns/name`, workload prefixes);
2. `analyze` them and keep the failures related to what was named (or every failure for a general
   question);
3. gather each failing object's warning `events` and, for crashed pods, the error lines of their `logs`;
4. `explain` the main failure from the runbooks (cause and fix);
5. answer grounded in those outputs, citing each by [n], or "I don't know" when nothing relevant failed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubesage.ask.answer import Answer, refusal
from kubesage.ask.toolbox import Observation, Toolbox
from kubesage.cluster.snapshot import ClusterSnapshot, name_of, namespace_of
from kubesage.rag.tokenize import has_cjk

MAX_FINDINGS = 4
MAX_EXPLAINED = 2
_NAME = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?:/[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)?")
NAMED_KINDS = (
    "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Service", "Ingress", "PersistentVolumeClaim",
    "ConfigMap", "Secret", "Node", "HorizontalPodAutoscaler", "NetworkPolicy", "Pod", "ServiceAccount",
    "ResourceQuota", "LimitRange", "PodDisruptionBudget", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration", "StorageClass", "IngressClass", "ReplicaSet", "PersistentVolume",
)  # fmt: skip
# Namespaces that are also ordinary words count only when the question says "namespace".
_WORDY_NAMESPACES = frozenset({"default", "data", "system", "public", "monitoring", "apps", "web", "api", "test"})
_STOP = frozenset({
    "what", "why", "how", "when", "where", "which", "who", "does", "doesn't", "isn't", "won't", "can't", "cannot",
    "the", "this", "that", "these", "those", "with", "from", "into", "have", "has", "been", "being", "were", "was",
    "are", "is", "and", "for", "not", "any", "all", "its", "it's", "there", "their", "them", "they", "keep", "keeps",
    "kept", "still", "after", "before", "about", "pod", "pods", "service", "services", "deployment", "deployments",
    "namespace", "cluster", "broken", "wrong", "failing", "fails", "failed", "fail", "working", "work", "works",
    "running", "start", "starts", "started", "never", "problem", "issue", "error", "errors", "going", "happening",
    "tell", "me", "my", "our", "your", "new", "old", "please", "check", "again", "some",
})
_EVENT_KINDS = frozenset({
    "Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "PersistentVolumeClaim", "Node",
    "Service", "Ingress", "HorizontalPodAutoscaler",
})  # fmt: skip
_GENERAL = re.compile(r"broken|wrong|fail|problem|issue|health|down|error|status|crash|stuck|pending|not ready|"
                      r"壞|問題|異常|故障|健康|錯誤|失敗|狀態", re.I)  # fmt: skip
_KIND_WORDS = {
    "pod": "Pod", "pods": "Pod", "pvc": "PersistentVolumeClaim", "pvcs": "PersistentVolumeClaim",
    "volume": "PersistentVolumeClaim", "persistentvolumeclaim": "PersistentVolumeClaim", "service": "Service",
    "svc": "Service", "ingress": "Ingress", "node": "Node", "nodes": "Node", "job": "Job", "cronjob": "CronJob",
    "configmap": "ConfigMap", "secret": "Secret", "deployment": "Deployment", "statefulset": "StatefulSet",
    "daemonset": "DaemonSet", "hpa": "HorizontalPodAutoscaler", "autoscaler": "HorizontalPodAutoscaler",
    "replicaset": "ReplicaSet", "webhook": "ValidatingWebhookConfiguration", "networkpolicy": "NetworkPolicy",
    "utilization": "HorizontalPodAutoscaler", "pdb": "PodDisruptionBudget", "gateway": "Gateway",
    "httproute": "HTTPRoute",
}  # fmt: skip
_CHILD_KINDS = frozenset({"Pod", "ReplicaSet", "Job", "PersistentVolumeClaim"})
_LOG_ERROR = re.compile(r"error|fatal|panic|exception|refused|invalid|failed|cannot|denied|timeout|killed|mismatch",
                        re.I)  # fmt: skip


@dataclass
class Target:
    kind: str
    namespace: str
    name: str


@dataclass
class Finding:
    kind: str
    name: str
    parent: str
    texts: list[str]
    score: int
    events: list[tuple[str, int]] = field(default_factory=list)
    logs: list[tuple[str, int]] = field(default_factory=list)
    also: list[str] = field(default_factory=list)
    """Other pods of the same workload failing the same way (reported once)."""

    @property
    def namespace(self) -> str:
        return self.name.split("/", 1)[0] if "/" in self.name else ""

    @property
    def short(self) -> str:
        return self.name.rsplit("/", 1)[-1]


@dataclass
class Mentions:
    namespaces: list[str]
    targets: list[Target]
    words: list[str]
    kinds: set[str] = field(default_factory=set)
    general: bool = False
    """The question asks about the cluster's health in general ("what is broken?")."""


def mentions(question: str, snap: ClusterSnapshot) -> Mentions:
    """Namespaces and objects the question names, and its other content words."""
    low = question.lower()
    tokens = list(dict.fromkeys(_NAME.findall(low)))
    says_namespace = "namespace" in low or "命名空間" in question or " ns " in f" {low} "
    known_ns = set(snap.namespaces())
    namespaces = [t for t in tokens if t in known_ns and (t not in _WORDY_NAMESPACES or says_namespace)]
    targets: list[Target] = []
    seen: set[tuple[str, str, str]] = set()
    for kind in NAMED_KINDS:
        for obj in snap.objects(kind):
            name, ns = name_of(obj), namespace_of(obj)
            full = f"{ns}/{name}" if ns else name
            node_prefix = kind == "Node" and any(name.startswith(t + ".") for t in tokens)  # ip-10-0-3-17
            if (name in tokens or full in tokens or node_prefix) and (kind, ns, name) not in seen:
                if kind == "Pod" and name not in tokens and full not in tokens:
                    continue
                seen.add((kind, ns, name))
                targets.append(Target(kind, ns, name))
    if namespaces:  # a name that exists in several namespaces: keep the ones the question names
        narrowed = [t for t in targets if not t.namespace or t.namespace in namespaces]
        targets = narrowed or targets
    named = {t.name for t in targets} | set(namespaces)
    words = [t for t in tokens if len(t) >= 4 and t not in _STOP and t not in named and not t.isdigit()]
    kinds = {_KIND_WORDS[t] for t in tokens if t in _KIND_WORDS}
    return Mentions(namespaces, targets, words, kinds, bool(_GENERAL.search(question)))


def _score(result: Mapping[str, Any], m: Mentions) -> int:
    kind, name, parent = str(result["kind"]), str(result["name"]), str(result.get("parent") or "")
    ns, _, short = name.rpartition("/")
    text = " ".join(result.get("texts") or ()).lower()
    score = 0
    for t in m.targets:
        full = f"{t.namespace}/{t.name}" if t.namespace else t.name
        if ns and t.namespace and ns != t.namespace:
            if full in text:
                score = max(score, 3)
            continue
        if kind == t.kind and short == t.name:
            score = max(score, 6)
        elif short == t.name:
            score = max(score, 5)
        elif _child_of(kind, short, parent, t.name):
            score = max(score, 4)
        elif re.search(rf"(?<![\w-]){re.escape(t.name)}(?![\w-])", text):
            score = max(score, 3)
    hay = f"{name} {text}".lower()
    score += min(3, sum(1 for w in m.words if w in hay))
    if kind in m.kinds and score:
        score += 2
    if ns and ns in m.namespaces:
        score += 2
    return score


def _child_of(kind: str, short: str, parent: str, name: str) -> bool:
    """A pod/ReplicaSet/Job of workload `name`, or a StatefulSet claim `<template>-<name>-<n>`."""
    if parent.endswith("/" + name) or (kind in _CHILD_KINDS and short.startswith(name + "-")):
        return True
    return kind == "PersistentVolumeClaim" and f"-{name}-" in f"-{short}"


def select(results: list[Mapping[str, Any]], m: Mentions) -> list[Finding]:
    scored = [Finding(str(r["kind"]), str(r["name"]), str(r.get("parent") or ""), list(r.get("texts") or ()),
                      _score(r, m)) for r in results]  # fmt: skip
    if m.targets:
        floor = 4 if any(f.score >= 4 for f in scored) else 3
    elif m.namespaces:
        floor = 2
    elif any(f.score > 0 for f in scored):
        floor = max(1, max(f.score for f in scored) - 1)
    elif m.general:
        floor = 0  # a general question ("what is broken?"): everything
    else:
        return []  # the question names nothing in the cluster and is not about its health
    chosen = _group([f for f in scored if f.score >= floor])
    chosen.sort(key=lambda f: (_severity(f), -f.score, f.kind, f.name))
    return chosen[:MAX_FINDINGS] if floor else chosen[: MAX_FINDINGS * 2]


_POD_TAIL = re.compile(r"-[a-z0-9]{5}$")
_DIGITS = re.compile(r"\d+")


def _group(findings: list[Finding]) -> list[Finding]:
    """Pods of one workload that fail the same way become one finding (the first, plus `also`)."""
    out: list[Finding] = []
    heads: dict[tuple[str, str, str], Finding] = {}
    for f in findings:
        if f.kind != "Pod":
            out.append(f)
            continue
        owner = f.parent or _POD_TAIL.sub("", f.short)
        shape = " ".join(sorted(_DIGITS.sub("#", t.replace(f.short, "")) for t in f.texts))  # IPs, counts
        key = (f.namespace, owner, shape)
        head = heads.get(key)
        if head is None:
            heads[key] = f
            out.append(f)
        else:
            head.also.append(f.short)
            head.score = max(head.score, f.score)
    return out


def _severity(f: Finding) -> int:
    order = {"Pod": 0, "PersistentVolumeClaim": 1, "Node": 1, "Job": 1, "CronJob": 1, "ReplicaSet": 1, "Ingress": 2,
             "Service": 3, "Deployment": 4, "StatefulSet": 4, "DaemonSet": 4}  # fmt: skip
    return order.get(f.kind, 2)


def _restarted(snap: ClusterSnapshot, ns: str, pod: str) -> bool:
    obj = snap.get("Pod", ns, pod) or {}
    return any(isinstance(cs, Mapping) and (cs.get("restartCount") or 0) > 0
               for cs in (obj.get("status") or {}).get("containerStatuses") or ())  # fmt: skip


def investigate(question: str, toolbox: Toolbox, language: str = "") -> Answer:
    """Gather evidence and compose a grounded answer; never calls a model."""
    chinese = has_cjk(question) if not language else language.lower() in ("zh", "zh-tw", "traditional chinese")
    snap = toolbox.workspace.snapshot()
    m = mentions(question, snap)
    spaces = set(m.namespaces) | {t.namespace for t in m.targets if t.namespace}
    cluster_scoped = any(not t.namespace for t in m.targets)
    namespace = spaces.pop() if len(spaces) == 1 and not cluster_scoped else ""
    namespace = namespace or toolbox.workspace.source.namespace  # `ask -n NAMESPACE`
    args: dict[str, Any] = {"namespace": namespace, "max_results": 500}
    extra = _optional_analyzers(m.kinds | {t.kind for t in m.targets})
    if extra:  # e.g. an HPA or a NetworkPolicy: its analyzer is not in the default set
        from kubesage.analyzers.registry import default_names

        args["filters"] = [*default_names(), *extra]
    analyzed = toolbox.run("analyze", args)
    if analyzed.error:
        return _finish(question, toolbox, chinese, [], analyzed, m)
    results = list(analyzed.data.get("results", []))
    findings = select(results, m)
    if not findings and m.words and results:
        # Nothing in the failure texts matches: look for the question's words in events and logs.
        candidates = _group([Finding(str(r["kind"]), str(r["name"]), str(r.get("parent") or ""),
                                     list(r.get("texts") or ()), 0) for r in results])  # fmt: skip
        candidates.sort(key=lambda f: (_severity(f), f.kind, f.name))
        for f in candidates[:MAX_FINDINGS * 2]:
            _gather(toolbox, snap, f)
            hay = " ".join([e for e, _ in f.events] + [x for x, _ in f.logs]).lower()
            f.score = sum(1 for w in m.words if w in hay)
        best = max((f.score for f in candidates), default=0)
        findings = [f for f in candidates if best and f.score >= max(1, best - 1)][:MAX_FINDINGS]
    for f in findings:
        if not f.events and not f.logs:
            _gather(toolbox, snap, f)
    explained: list[tuple[Finding, Observation]] = []
    seen_docs: set[str] = set()
    for f in findings:
        if len(explained) >= MAX_EXPLAINED:
            break
        if explained and _severity(f) != _severity(explained[0][0]):
            continue  # a symptom of the first finding (a Service without ready pods), not a second cause
        # The most specific evidence first: events other than generic back-offs, then error log lines.
        events = sorted((e for e, _ in f.events), key=lambda e: e.startswith(("BackOff", "Unhealthy")))
        text = " ".join([*f.texts, *events, *(x for x, _ in f.logs[:2])])
        obs = toolbox.run("explain", {"text": text[:1500], "kind": f.kind,
                                      "language": "traditional chinese" if chinese else "english"})  # fmt: skip
        docs = {s.get("doc_id", "") for s in obs.data.get("sources", [])}
        if obs.error or obs.data.get("refused") or (docs and docs <= seen_docs):
            continue
        seen_docs |= docs
        explained.append((f, obs))
    runbooks = [_runbook(toolbox, obs, chinese) for _, obs in explained]
    fixes = _proposals(toolbox, findings) if findings else None
    return _finish(question, toolbox, chinese, findings, analyzed, m, explained, fixes, runbooks)


RUNBOOK_SECTIONS = ("Causes", "Fix", "原因", "修復")
RUNBOOK_LINES = 14


def _runbook(toolbox: Toolbox, explained: Observation, chinese: bool) -> tuple[Observation, list[str]] | None:
    """The causes and fix sections of the runbook `explain` answered from, in the question's language."""
    sources = explained.data.get("sources") or []
    if not sources or not sources[0].get("doc_id"):
        return None
    obs = toolbox.run("kb_read", {"doc_id": sources[0]["doc_id"], "sections": list(RUNBOOK_SECTIONS),
                                  "language": "zh" if chinese else "en"})  # fmt: skip
    if obs.error or not obs.data.get("sections"):
        return None
    body: list[str] = []
    in_code = False
    for line in obs.text.splitlines()[1:]:
        if line.strip().startswith("```"):
            in_code = not in_code
        elif not in_code and line.strip():
            body.append(line.removeprefix("## ").replace("繁體中文 > ", "") + (":" if line.startswith("## ") else ""))
    return obs, body[:RUNBOOK_LINES]


def _optional_analyzers(kinds: set[str]) -> list[str]:
    """Optional analyzers whose own kind the question is about."""
    from kubesage.analyzers.registry import all_specs

    return [s.name for s in all_specs().values() if s.group == "optional" and s.kinds and s.kinds[0] in kinds]


def _proposals(toolbox: Toolbox, findings: list[Finding]) -> tuple[Observation, list[dict[str, Any]]] | None:
    """The remediation planner's proposals for the findings' objects (or their workloads), read-only."""
    spaces = {f.namespace for f in findings}
    obs = toolbox.run("remediation_plan", {"namespace": spaces.pop() if len(spaces) == 1 else ""})
    if obs.error:
        return None
    keys: set[str] = set()
    for f in findings:
        keys.add(f"{f.kind}/{f.namespace}/{f.short}")
        if "/" in f.parent:
            kind, _, name = f.parent.partition("/")
            keys.add(f"{kind}/{f.namespace}/{name}")
    mine = [p for p in obs.data.get("proposals", []) if p.get("target") in keys]
    return (obs, mine) if mine else None


def _gather(toolbox: Toolbox, snap: ClusterSnapshot, f: Finding) -> None:
    """Warning events of the object and, for a crashed pod, the error lines of its logs."""
    if f.kind in _EVENT_KINDS:
        ev = toolbox.run("events", {"kind": f.kind, "name": f.short, "namespace": f.namespace, "limit": 10})
        warnings = [e for e in ev.data.get("events", []) if e.get("type") == "Warning"]
        for e in _unique(warnings, 2):
            f.events.append((f"{e['reason']}: {e['message']}", ev.ref))
    if f.kind == "Pod" and f.namespace:
        previous = _restarted(snap, f.namespace, f.short)
        crashed = previous or any(w in " ".join(f.texts) for w in ("termination", "CrashLoop", "exitCode"))
        if crashed:
            lg = toolbox.run("logs", {"pod": f.short, "namespace": f.namespace, "previous": previous, "tail": 50})
            lines = [x for x in lg.text.splitlines() if not x.startswith("==") and _LOG_ERROR.search(x)]
            f.logs.extend((x.strip(), lg.ref) for x in lines[-2:])


def _unique(events: list[dict[str, str]], n: int) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for e in events:
        key = e.get("message", "")[:80]
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out[:n]


def _finish(question: str, toolbox: Toolbox, chinese: bool, findings: list[Finding], analyzed: Observation,
            m: Mentions, explained: list[tuple[Finding, Observation]] | None = None,
            fixes: tuple[Observation, list[dict[str, Any]]] | None = None,
            runbooks: list[tuple[Observation, list[str]] | None] | None = None) -> Answer:  # fmt: skip
    lines: list[str] = []
    if not findings:
        named = ", ".join([f"{t.kind} {t.namespace + '/' if t.namespace else ''}{t.name}" for t in m.targets]
                          + [f"namespace {n}" for n in m.namespaces])  # fmt: skip
        if analyzed.error:
            why = analyzed.text
        elif chinese:
            why = f"分析 [{analyzed.ref}] 沒有找到與問題相關的故障" + (f"（檢查了：{named}）" if named else "")
        else:
            why = f"analyze [{analyzed.ref}] found no failure related to the question" + (
                f" (checked: {named})" if named else "")  # fmt: skip
        lines.append(f"{refusal(chinese)}: {why}.")
        if analyzed.data.get("results") and not analyzed.error:
            lines.append("叢集中仍有其他問題；請用 `kubesage analyze` 查看。" if chinese else
                         "The cluster does have other problems; run `kubesage analyze` to see them.")  # fmt: skip
        return Answer(question, "\n".join(lines), chinese, True, "planner", list(toolbox.observations),
                      steps=len(toolbox.observations), stopped="answer")  # fmt: skip
    lines.append(f"找到 {len(findings)} 個相關問題：" if chinese else
                 f"Found {len(findings)} related problem(s):")  # fmt: skip
    for i, f in enumerate(findings, 1):
        parent = f" ({f.parent.replace('/', ' ')})" if f.parent and f.parent != "<none>" else ""
        lines.append(f"{i}. {f.kind} {f.name}{parent} [{analyzed.ref}]")
        if f.also:
            lines.append(f"   - {'同樣失敗的 Pod' if chinese else 'also failing the same way'}: {', '.join(f.also)}")
        lines.extend(f"   - {t}" for t in f.texts)
        label_event, label_log = ("事件", "日誌") if chinese else ("Event", "Log")
        lines.extend(f"   - {label_event}: {e} [{ref}]" for e, ref in f.events)
        lines.extend(f"   - {label_log}: {x} [{ref}]" for x, ref in f.logs)
    for i, (f, obs) in enumerate(explained or ()):
        titles = ", ".join(str(s.get("title", "")) for s in obs.data.get("sources", [])[:1])
        book = (runbooks or [])[i] if i < len(runbooks or []) else None
        refs = f"[{obs.ref}]" + (f"[{book[0].ref}]" if book else "")
        head = (f"{f.kind} {f.name} 的原因與修復（手冊：{titles}）{refs}：" if chinese else
                f"Cause and fix for {f.kind} {f.name} (runbook: {titles}) {refs}:")  # fmt: skip
        lines.append("")
        lines.append(head)
        body = obs.text.split("\nSources:")[0].split("\n來源")[0].strip()
        lines.extend(f"   {x}" for x in body.splitlines() if x.strip())
        if book:
            lines.extend(f"   {x}" for x in book[1])
    if fixes is not None:
        obs, proposed = fixes
        lines.append("")
        lines.append(f"建議的修復（kubesage remediate plan，未套用）[{obs.ref}]：" if chinese else
                     f"Proposed fix (kubesage remediate plan; nothing was applied) [{obs.ref}]:")  # fmt: skip
        for p in proposed:
            verdict = ("政策允許" if p["allowed"] else "政策拒絕") if chinese else (
                "allowed by policy" if p["allowed"] else "refused by policy")  # fmt: skip
            changes = "; ".join(f"{c['path']}: {_short(c.get('from'))} -> {_short(c.get('to'))}"
                                for c in p.get("changes", []))  # fmt: skip
            lines.append(f"   - {p['action']} {p['target']} ({verdict})" + (f": {changes}" if changes else ""))
    claims = [f"{f.kind} {f.name}" for f in findings] + [f"Pod {f.namespace}/{p}" for f in findings for p in f.also]
    return Answer(question, "\n".join(lines), chinese, False, "planner", list(toolbox.observations),
                  steps=len(toolbox.observations), stopped="answer", claims=claims)  # fmt: skip


def _short(value: Any) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= 120 else text[:117] + "..."


def evidence_text(answer: Answer, toolbox: Toolbox) -> str:
    """Every successful observation, fenced, for a model without tool calling."""
    return "\n\n".join(toolbox.for_model(o) for o in answer.observations if o.ref and not o.error)
