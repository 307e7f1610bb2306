"""The tool catalogue shared by `kubesage mcp` and `kubesage ask`: names, plain JSON Schemas
(pydantic argument models with no nesting, so no `$ref`), and handlers over a Workspace.

Every output is text, built line by line with cluster strings neutralised (see
kubesage.untrusted), and bounded: past `limit` characters it is cut at a line boundary with
a note saying how much was left out. Handlers raise ToolError for bad input; the caller turns
it into an error result, never a traceback. All tools here are read-only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kubesage.cluster.snapshot import (
    Obj,
    annotations_of,
    event_time,
    labels_of,
    meta,
    name_of,
    namespace_of,
    secret_keys,
)
from kubesage.errors import KubesageError
from kubesage.mcp.workspace import Workspace
from kubesage.untrusted import neutralize

DEFAULT_LIMIT = 8000
"""Characters per tool output unless the caller asks for less."""
MAX_LIMIT = 50_000


class ToolError(KubesageError):
    """Bad arguments or an object that does not exist: reported to the caller as a tool error."""


@dataclass
class ToolOutput:
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    """Structured facts for in-process callers (the planner); never sent over MCP."""
    truncated: bool = False


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AnalyzeArgs(_Args):
    namespace: str = Field("", description="Namespace to analyze; empty means all namespaces.")
    filters: list[str] = Field(
        default_factory=list, description="Analyzer names (see the filters tool); empty means the default set."
    )
    selector: str = Field("", description="Label selector, e.g. app=web,tier!=db.")
    explain: bool = Field(False, description="Add an explanation (cause and fix) to each problem.")
    lint: bool = Field(False, description="Also run the hygiene (lint) checks.")
    max_results: int = Field(50, ge=1, le=500, description="At most this many objects in the output.")


class ExplainArgs(_Args):
    text: str = Field(..., min_length=1, description="The failure text to explain, e.g. an analyze line.")
    kind: str = Field("", description="Kind of the failing object (picks the prompt), e.g. Pod.")
    language: str = Field("english", description="Answer language, e.g. english or traditional chinese.")


class KBSearchArgs(_Args):
    query: str = Field(..., min_length=1, description="An error message or question.")
    k: int = Field(4, ge=1, le=20, description="How many runbook sections to return.")


class KBReadArgs(_Args):
    doc_id: str = Field(..., min_length=1, description="Runbook id from kb_search or explain (knowledge/oomkilled).")
    sections: list[str] = Field(default_factory=list,
                                description="Sections to return, e.g. Causes, Fix (or 原因, 修復); empty: all.")
    language: str = Field("", description="en or zh; empty: both.")


class ListArgs(_Args):
    kind: str = Field(..., min_length=1, description="Kind or plural, e.g. Pod, deployments, Service.")
    namespace: str = Field("", description="Namespace; empty means all namespaces.")
    selector: str = Field("", description="Label selector, e.g. app=web.")
    limit: int = Field(100, ge=1, le=1000, description="At most this many objects.")


class GetArgs(_Args):
    kind: str = Field(..., min_length=1, description="Kind or plural, e.g. Pod.")
    name: str = Field(..., min_length=1, description="Object name.")
    namespace: str = Field("", description="Namespace (empty for cluster-scoped kinds).")


class EventsArgs(_Args):
    kind: str = Field(..., min_length=1, description="Kind of the involved object, e.g. Pod.")
    name: str = Field(..., min_length=1, description="Name of the involved object.")
    namespace: str = Field("", description="Namespace of the involved object.")
    limit: int = Field(20, ge=1, le=200, description="At most this many events, newest first.")


class LogsArgs(_Args):
    pod: str = Field(..., min_length=1, description="Pod name.")
    namespace: str = Field(..., min_length=1, description="Pod namespace.")
    container: str = Field("", description="Container; empty means every container of the pod.")
    previous: bool = Field(False, description="Logs of the previous (crashed) run instead of the current one.")
    tail: int = Field(100, ge=1, le=5000, description="Last N lines.")


class FiltersArgs(_Args):
    pass


class PlanArgs(_Args):
    namespace: str = Field("", description="Namespace to plan for; empty means all namespaces.")
    actions: list[str] = Field(default_factory=list, description="Typed actions to consider; empty means all.")


Handler = Callable[[Workspace, Any], ToolOutput]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    args: type[_Args]
    handler: Handler
    read_only: bool = True

    def input_schema(self) -> dict[str, Any]:
        return plain_schema(self.args)

    def parse(self, arguments: Mapping[str, Any] | None) -> Any:
        try:
            return self.args.model_validate(dict(arguments or {}))
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "arguments"
            raise ToolError(f"{self.name}: invalid {where}: {first['msg']}") from None


def plain_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A flat JSON Schema: object, properties with types and descriptions, required, no extras."""
    schema = model.model_json_schema()
    props: dict[str, Any] = {}
    for key, prop in (schema.get("properties") or {}).items():
        props[key] = {k: v for k, v in prop.items() if k != "title"}
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if schema.get("required"):
        out["required"] = list(schema["required"])
    return out


# -- output helpers ----------------------------------------------------------------------------


def bounded(lines: Sequence[str], limit: int) -> tuple[str, bool]:
    """Join `lines`, cut at a line boundary before `limit` characters, and say what was cut."""
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        if used + len(line) + 1 > limit:
            if not out:  # one huge line: keep its start rather than nothing
                out.append(line[: max(0, limit - 80)] + " …")
                i += 1
            rest = len(lines) - i
            out.append(f"…[truncated: {rest} more line(s); narrow the query (namespace, kind, limit)]")
            return "\n".join(out), True
        out.append(line)
        used += len(line) + 1
    return "\n".join(out), False


def clean(value: Any) -> Any:
    """Neutralise every string inside a JSON-like value."""
    if isinstance(value, str):
        return neutralize(value)
    if isinstance(value, Mapping):
        return {neutralize(str(k)): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def _ref(kind: str, namespace: str, name: str) -> str:
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def _kind(name: str) -> str:
    from kubesage.cluster.kinds import BY_PLURAL, KINDS

    key = name.strip()
    info = KINDS.get(key) or BY_PLURAL.get(key.lower())
    if info is None:
        lowered = {k.lower(): k for k in KINDS}
        found = lowered.get(key.lower()) or lowered.get(key.lower().rstrip("s"))
        if found:
            return found
        raise ToolError(f"unknown kind {name!r} (try Pod, Deployment, Service, Node, ...)")
    return info.kind


def _split_ns(name: str, namespace: str) -> tuple[str, str]:
    """`ns/name` in `name` wins over `namespace` (results name objects that way)."""
    if "/" in name and not namespace:
        ns, _, short = name.partition("/")
        return ns, short
    return namespace, name


# -- handlers ----------------------------------------------------------------------------------


def _analyze(ws: Workspace, a: AnalyzeArgs) -> ToolOutput:
    from kubesage.analyzers.registry import all_specs

    unknown = [f for f in a.filters if f not in all_specs()]
    if unknown:
        raise ToolError(f"unknown filter(s) {', '.join(unknown)}; the filters tool lists them")
    analysis = ws.analyze(namespace=a.namespace, filters=a.filters, selector=a.selector, lint=a.lint)
    if a.explain and analysis.results:
        from kubesage.explain.pipeline import ExplainOptions, explain_analysis

        explain_analysis(analysis, ws.snapshot(), ws.cfg(), ExplainOptions(progress=False), backend=ws.backend())
    scope = f"namespace {a.namespace}" if a.namespace else "all namespaces"
    lines = [f"source: {neutralize(ws.source.describe())}; scope: {scope}"]
    if not analysis.results:
        lines.append("No problems detected.")
    else:
        lines.append(f"{analysis.problems} problem(s) in {len(analysis.results)} object(s):")
    findings: list[dict[str, Any]] = []
    for r in analysis.results[: a.max_results]:
        parent = f" (parent {neutralize(r.parent_object)})" if r.parent_object and r.parent_object != "<none>" else ""
        lines.append(f"- {r.kind} {neutralize(r.name)}{parent}")
        for f in r.error:
            lines.append(f"  - {neutralize(f.text)}")
        if r.details:
            lines.extend(f"  explanation: {neutralize(x)}" if i == 0 else f"    {neutralize(x)}"
                         for i, x in enumerate(r.details.strip().splitlines()))  # fmt: skip
        findings.append({"kind": r.kind, "name": r.name, "parent": r.parent_object, "texts": r.texts})
    if len(analysis.results) > a.max_results:
        lines.append(f"…[{len(analysis.results) - a.max_results} more object(s); raise max_results or narrow]")
    for warning in analysis.errors[:10]:
        lines.append(f"warning: {neutralize(warning)}")
    return ToolOutput("\n".join(lines), {"results": findings, "errors": list(analysis.errors)})


def _explain(ws: Workspace, a: ExplainArgs) -> ToolOutput:
    from kubesage.explain.prompts import fill, template_for
    from kubesage.llm.base import CompletionRequest, LLMError

    text = neutralize(a.text)
    prompt = fill(template_for(a.kind or "default", ws.cfg().prompts), a.language, text)
    try:
        reply = ws.backend().complete(CompletionRequest(prompt=prompt, language=a.language, message=text, kind=a.kind))
    except LLMError as err:
        raise ToolError(f"explain: {err}") from None
    sources = [{"title": s.title, "source": s.source, "doc_id": s.doc_id} for s in reply.sources]
    return ToolOutput(reply.text.strip(), {"refused": reply.refused, "sources": sources})


def _kb_search(ws: Workspace, a: KBSearchArgs) -> ToolOutput:
    retrieval = ws.retriever().search(a.query, a.k)
    hits = retrieval.relevant_hits()
    if not hits:
        return ToolOutput(
            f"No relevant runbook (best confidence {retrieval.confidence:.2f}, threshold {retrieval.threshold:.2f}).",
            {"hits": []},
        )
    lines = [f"{len(hits)} relevant runbook section(s):"]
    for h in hits:
        lines.append(f"## {h.title} — {h.section} (doc {h.doc_id}, {h.source}, confidence {h.confidence:.2f})")
        lines.extend(h.text.strip().splitlines())
        lines.append("")
    data = [{"doc_id": h.doc_id, "title": h.title, "source": h.source, "confidence": h.confidence} for h in hits]
    return ToolOutput("\n".join(lines), {"hits": data})


def kb_documents(ws: Workspace) -> dict[str, list[Any]]:
    """doc_id -> its chunks in document order."""
    by_doc: dict[str, list[Any]] = {}
    for chunk in ws.kb().chunks():
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    for chunks in by_doc.values():
        chunks.sort(key=lambda c: c.order)
    return by_doc


def _kb_read(ws: Workspace, a: KBReadArgs) -> ToolOutput:
    chunks = kb_documents(ws).get(a.doc_id)
    if not chunks:
        raise ToolError(f"no runbook {a.doc_id!r}; kb_search returns the ids")
    lang = "zh" if a.language.lower().startswith(("zh", "trad", "中")) else ("en" if a.language else "")
    chosen = [c for c in chunks if (not lang or c.lang == lang)
              and (not a.sections or any(s.lower() in c.section.lower() for s in a.sections))]  # fmt: skip
    head = chunks[0]
    lines = [f"# {head.title} ({head.source})"]
    for c in chosen:
        if c.section:
            lines.append(f"## {c.section}")
        lines.extend(c.text.strip().splitlines())
    if not chosen:
        lines.append("(no such section; sections: " + ", ".join(dict.fromkeys(c.section for c in chunks if c.section))
                     + ")")  # fmt: skip
    hit = {"doc_id": a.doc_id, "title": head.title, "source": head.source}
    return ToolOutput("\n".join(lines), {"hits": [hit], "sections": len(chosen)})


def _summary(kind: str, obj: Obj) -> str:
    status: Mapping[str, Any] = obj["status"] if isinstance(obj.get("status"), Mapping) else {}
    spec: Mapping[str, Any] = obj["spec"] if isinstance(obj.get("spec"), Mapping) else {}
    bits: list[str] = []
    if kind == "Pod":
        bits.append(str(status.get("phase") or ""))
        for cs in status.get("containerStatuses") or ():
            if not isinstance(cs, Mapping):
                continue
            state = cs.get("state") or {}
            waiting = state.get("waiting") if isinstance(state, Mapping) else None
            reason = waiting.get("reason") if isinstance(waiting, Mapping) else ""
            bits.append(f"{cs.get('name')}: ready={cs.get('ready')} restarts={cs.get('restartCount', 0)}"
                        + (f" {reason}" if reason else ""))  # fmt: skip
    elif kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        bits.append(f"replicas {status.get('readyReplicas', 0) or 0}/{spec.get('replicas', 1)} ready")
    elif kind == "Node":
        ready = next((c.get("status") for c in status.get("conditions") or ()
                      if isinstance(c, Mapping) and c.get("type") == "Ready"), "?")  # fmt: skip
        bits.append(f"Ready={ready}")
    elif kind == "Secret":
        bits.append(f"type {obj.get('type', '')}; keys: {', '.join(secret_keys(obj)) or '(none)'}")
    elif "phase" in status:
        bits.append(str(status.get("phase")))
    return "; ".join(b for b in bits if b)


def _list(ws: Workspace, a: ListArgs) -> ToolOutput:
    from kubesage.cluster.selectors import parse_selector

    kind = _kind(a.kind)
    snap = ws.snapshot()
    objs = snap.objects(kind, a.namespace or None)
    if a.selector.strip():
        try:
            matcher = parse_selector(a.selector)
        except (ValueError, KubesageError) as err:
            raise ToolError(f"invalid selector {a.selector!r}: {err}") from None
        objs = [o for o in objs if matcher(labels_of(o))]
    objs = sorted(objs, key=lambda o: (namespace_of(o), name_of(o)))
    where = f" in namespace {a.namespace}" if a.namespace else ""
    listed = "" if snap.has_kind(kind) else " (this kind was not listed by the source: unknown, not none)"
    lines = [f"{len(objs)} {kind}(s){where}{listed}:"]
    for o in objs[: a.limit]:
        summary = _summary(kind, o)
        lines.append(f"- {neutralize(_ref(kind, namespace_of(o), name_of(o)))}"
                     + (f": {neutralize(summary)}" if summary else ""))  # fmt: skip
    if len(objs) > a.limit:
        lines.append(f"…[{len(objs) - a.limit} more; raise limit or narrow]")
    names = [f"{namespace_of(o)}/{name_of(o)}" if namespace_of(o) else name_of(o) for o in objs]
    return ToolOutput("\n".join(lines), {"kind": kind, "names": names})


_DROP_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)


def _public(obj: Obj) -> dict[str, Any]:
    """The object as shown to a caller: no managedFields, no last-applied copy; Secrets as
    metadata, type and key names only."""
    m = dict(meta(obj))
    m.pop("managedFields", None)
    ann = {k: v for k, v in annotations_of(obj).items() if k not in _DROP_ANNOTATIONS}
    if ann:
        m["annotations"] = ann
    else:
        m.pop("annotations", None)
    if obj.get("kind") == "Secret":
        return {"apiVersion": obj.get("apiVersion", "v1"), "kind": "Secret", "metadata": m,
                "type": obj.get("type", ""), "keys": secret_keys(obj)}  # fmt: skip
    out = {k: v for k, v in obj.items() if k not in ("metadata",) and not k.startswith("kubesage")}
    return {"apiVersion": out.pop("apiVersion", ""), "kind": out.pop("kind", ""), "metadata": m, **out}


def _find(ws: Workspace, kind: str, name: str, namespace: str) -> tuple[str, Obj]:
    snap = ws.snapshot()
    namespace, name = _split_ns(name, namespace)
    obj = snap.get(kind, namespace, name) or (snap.get(kind, "", name) if namespace else None)
    if obj is None and not namespace:
        matches = [o for o in snap.objects(kind) if name_of(o) == name]
        if len(matches) == 1:
            obj = matches[0]
        elif len(matches) > 1:
            spaces = ", ".join(sorted(namespace_of(o) for o in matches))
            raise ToolError(f"{kind} {name!r} exists in several namespaces ({spaces}); pass namespace")
    if obj is None:
        raise ToolError(f"{_ref(kind, namespace, name)} not found")
    return kind, obj


def _get(ws: Workspace, a: GetArgs) -> ToolOutput:
    import yaml

    kind, obj = _find(ws, _kind(a.kind), a.name, a.namespace)
    doc = clean(_public(obj))
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=200)
    return ToolOutput(text, {"kind": kind, "namespace": namespace_of(obj), "name": name_of(obj)})


def _events(ws: Workspace, a: EventsArgs) -> ToolOutput:
    kind = _kind(a.kind)
    namespace, name = _split_ns(a.name, a.namespace)
    snap = ws.snapshot()
    obj = snap.get(kind, namespace, name)
    uid = str(meta(obj).get("uid") or "") if obj else None
    found = snap.events_for(kind, namespace, name, uid or None)
    found.sort(key=_newest_first)
    ref = _ref(kind, namespace, name)
    if not found:
        known = "" if snap.has_kind("Event") else " (events were not listed by the source)"
        return ToolOutput(f"No events for {neutralize(ref)}{known}.", {"events": []})
    lines = [f"{len(found)} event(s) for {neutralize(ref)}, newest first:"]
    rows: list[dict[str, str]] = []
    for e in found[: a.limit]:
        t = event_time(e)
        when = t.strftime("%Y-%m-%dT%H:%M:%SZ") if t else "?"
        count = e.get("count") or (e.get("series") or {}).get("count") or 1
        reason, msg = str(e.get("reason") or ""), str(e.get("message") or e.get("note") or "")
        lines.append(f"- {when} {e.get('type', '')} {neutralize(reason)} (x{count}): {neutralize(msg)}")
        rows.append({"type": str(e.get("type") or ""), "reason": reason, "message": msg})
    return ToolOutput("\n".join(lines), {"events": rows})


def _newest_first(event: Obj) -> float:
    t = event_time(event)
    return -t.timestamp() if t is not None else float("inf")


def _logs(ws: Workspace, a: LogsArgs) -> ToolOutput:
    snap = ws.snapshot()
    pod = snap.get("Pod", a.namespace, a.pod)
    if pod is None:
        raise ToolError(f"Pod {a.namespace}/{a.pod} not found")
    spec = pod.get("spec") or {}
    names = [str(c.get("name")) for key in ("initContainers", "containers")
             for c in spec.get(key) or () if isinstance(c, Mapping) and c.get("name")]  # fmt: skip
    if a.container and a.container not in names:
        raise ToolError(f"Pod {a.namespace}/{a.pod} has no container {a.container!r} (has: {', '.join(names)})")
    lines: list[str] = []
    found = 0
    for c in [a.container] if a.container else names:
        text = ws.pod_logs(a.namespace, a.pod, c, a.previous, a.tail)
        label = "previous " if a.previous else ""
        if text is None:
            lines.append(f"== {c}: no {label}logs available")
            continue
        found += 1
        body = text.splitlines()  # pod_logs already kept the last `tail` lines
        lines.append(f"== {c} ({label}last {len(body)} line(s))")
        lines.extend(neutralize(x) for x in body)
    return ToolOutput("\n".join(lines), {"containers": names, "found": found})


def _filters(ws: Workspace, a: FiltersArgs) -> ToolOutput:
    from kubesage.analyzers.registry import GROUPS, all_specs, default_names

    active = ws.cfg().active_filters or default_names()
    lines = [f"active: {', '.join(active)}"]
    specs = all_specs()
    for group in GROUPS:
        members = [s for s in specs.values() if s.group == group]
        lines.append(f"{group}:")
        lines.extend(f"- {s.name}{' (active)' if s.name in active else ''}: {s.description}" for s in members)
    return ToolOutput("\n".join(lines), {"active": list(active), "all": list(specs)})


def default_policy(namespace: str, actions: Sequence[str]) -> Any:
    """What `kubesage remediate plan` uses without --policy: every (or the named) action, in `namespace`."""
    from kubesage.remediate.actions.base import all_actions
    from kubesage.remediate.policy import Policy

    known = all_actions()
    unknown = [a for a in actions if a not in known]
    if unknown:
        raise ToolError(f"unknown action(s) {', '.join(unknown)} (known: {', '.join(known)})")
    return Policy.from_spec({"enabled": True, "mode": "approve", "actions": list(actions or known),
                             "namespaces": [namespace or "*"]})  # fmt: skip


def proposals(ws: Workspace, namespace: str, actions: Sequence[str], policy: Any = None) -> list[Any]:
    from kubesage.remediate.pipeline import plan

    analysis = ws.analyze(namespace=namespace)
    return plan(ws.snapshot(), analysis.results, policy or default_policy(namespace, actions))


def _plan(ws: Workspace, a: PlanArgs) -> ToolOutput:
    from kubesage.remediate import render

    found = proposals(ws, a.namespace, a.actions)
    if not found:
        return ToolOutput("No remediation proposed: no finding has a typed action that clearly fixes it.",
                          {"proposals": []})  # fmt: skip
    lines = [f"{len(found)} proposal(s) (read-only plan; nothing was changed):"]
    docs: list[dict[str, Any]] = []
    for p in found:
        verdict = "allowed by policy" if p.allowed else "refused by policy"
        lines.append(f"- {p.id}: {p.action} {neutralize(p.target.key)} ({p.source}, {verdict})")
        if p.finding:
            lines.append(f"  finding: {neutralize('; '.join(p.finding.texts))}")
        if p.reason:
            lines.append(f"  why: {neutralize(p.reason)}")
        lines.extend(f"  refused: {neutralize(r)}" for r in (p.decision.reasons if p.decision else ()))
        for c in p.changes:
            doc = c.to_json()
            if c.path != "spec.template":
                lines.append(f"  change {c.path}: {dumps(doc.get('from'))} -> {dumps(doc.get('to'))}")
        obj = ws.snapshot().get(p.target.kind, p.target.namespace, p.target.name)
        if obj is not None and (p.changes or p.action == "delete-failed-pods"):
            lines.append("  kubectl:")
            lines.extend("    " + neutralize(x) for x in render.kubectl(obj, p).splitlines())
        changes = [c.to_json() for c in p.changes if c.path != "spec.template"]
        docs.append({"id": p.id, "action": p.action, "target": p.target.key, "allowed": p.allowed,
                     "changes": changes})  # fmt: skip
    return ToolOutput("\n".join(lines), {"proposals": docs})


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec("analyze", "Analyze the cluster",
             "Run kubesage's analyzers (k8sgpt-compatible) and list every broken object with its failure texts. "
             "Start here.", AnalyzeArgs, _analyze),
    ToolSpec("explain", "Explain a failure",
             "Explain one failure text: likely cause and fix, grounded in the runbooks when offline.",
             ExplainArgs, _explain),
    ToolSpec("kb_search", "Search the runbooks",
             "Search the knowledge base (runbooks) for an error message; returns the matching sections.",
             KBSearchArgs, _kb_search),
    ToolSpec("kb_read", "Read a runbook",
             "One runbook from the knowledge base by id, optionally only some sections (causes, fix, verify).",
             KBReadArgs, _kb_read),
    ToolSpec("list_resources", "List resources",
             "List objects of one kind with a one-line status each.", ListArgs, _list),
    ToolSpec("get_resource", "Get a resource",
             "One object as YAML (Secrets: metadata and key names only, never values).", GetArgs, _get),
    ToolSpec("events", "Events of an object", "Kubernetes events whose involvedObject is the given object.",
             EventsArgs, _events),
    ToolSpec("logs", "Container logs", "The last lines of a pod's container logs (previous=true: the crashed run).",
             LogsArgs, _logs),
    ToolSpec("filters", "List analyzers", "The analyzers (filters) and which are active.", FiltersArgs, _filters),
    ToolSpec("remediation_plan", "Plan remediations",
             "Typed fixes kubesage's remediation planner proposes for the current findings, with the policy "
             "verdict, the field changes and the equivalent kubectl command. Read-only: applies nothing.",
             PlanArgs, _plan),
)  # fmt: skip


def catalogue(extra: Sequence[ToolSpec] = ()) -> dict[str, ToolSpec]:
    return {t.name: t for t in (*TOOLS, *extra)}


def run_tool(
    ws: Workspace, spec: ToolSpec, arguments: Mapping[str, Any] | None, limit: int = DEFAULT_LIMIT
) -> ToolOutput:
    """Validate, run and bound one call. ToolError (and KubesageError) propagate for the caller to report."""
    args = spec.parse(arguments)
    out = spec.handler(ws, args)
    text, cut = bounded(out.text.splitlines(), max(200, min(limit, MAX_LIMIT)))
    out.text, out.truncated = text, out.truncated or cut
    return out


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
