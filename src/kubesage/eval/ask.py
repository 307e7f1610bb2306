"""The `ask` section of `kubesage eval`: free-form questions over the scenario clusters, answered by
`kubesage ask` (the offline planner by default, the agent loop with `--backend NAME`).

Each question (benchmarks/ask.yaml, English and Traditional Chinese) names facts a good answer must
contain (the object, the cause, the fix; each fact lists equivalent phrasings) and phrases it must not
claim (healthy objects named as broken, a false all-clear). Scoring is deterministic (case-insensitive
phrase match); `--judge NAME` lets a model grade the facts instead, for paraphrasing models. Steps and
tokens are reported per question.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubesage.errors import KubesageError
from kubesage.eval.scenarios import EXPECTED_FILE, Scenario
from kubesage.rag.tokenize import has_cjk

if TYPE_CHECKING:
    from kubesage.config import Config
    from kubesage.eval.judge import Judge

LANGS = ("en", "zh")
_POD_SUFFIX = re.compile(r"(-[a-z0-9]{8,10})?-[a-z0-9]{5}$")
_RS_SUFFIX = re.compile(r"-[a-z0-9]{8,10}$")
ALL_CLEAR = ("No problems detected", "no problems were found", "everything is healthy", "沒有發現問題", "一切正常")


@dataclass(frozen=True)
class Fact:
    label: str
    """object, cause or fix."""
    alternatives: tuple[str, ...]


@dataclass(frozen=True)
class AskQuestion:
    id: str
    scenario: Scenario
    lang: str
    text: str
    facts: tuple[Fact, ...]
    must_not_claim: tuple[str, ...]


def base_name(kind: str, name: str) -> str:
    """Pod `ns/web-7d9f8c6b5d-6fz4x` -> `web`: the workload a pod or ReplicaSet belongs to."""
    short = name.rsplit("/", 1)[-1]
    if kind == "Pod":
        return _POD_SUFFIX.sub("", short) or short
    if kind == "ReplicaSet":
        return _RS_SUFFIX.sub("", short) or short
    return short


def _alts(value: Any, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(x, str) and x.strip() for x in items):
        raise KubesageError(f"{where}: must be a phrase or a list of phrases")
    return tuple(items)


def load_ask_questions(path: Path, scenarios: Sequence[Scenario]) -> list[AskQuestion]:
    """The questions of `path` over `scenarios` (by slug); cause facts come from each scenario's answer points."""
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KubesageError(f"{path}: no such file") from None
    except yaml.YAMLError as err:
        raise KubesageError(f"{path}: invalid YAML: {getattr(err, 'problem', err)}") from None
    entries = doc.get("questions") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise KubesageError(f"{path}: needs a non-empty `questions:` list")
    by_slug = {s.slug: s for s in scenarios}
    out: list[AskQuestion] = []
    for i, e in enumerate(entries):
        where = f"{path}: questions[{i}]"
        if not isinstance(e, dict) or e.get("scenario") not in by_slug:
            raise KubesageError(f"{where}: `scenario` must name one of {path.parent / 'scenarios'}")
        sc = by_slug[e["scenario"]]
        target = e.get("object") or base_name(sc.must_find[0].kind, sc.must_find[0].name)
        facts = [Fact("object", _alts(target, f"{where}.object"))]
        facts += [Fact("cause", tuple(p)) for p in sc.answer_points]
        facts += [Fact("fix", _alts(f, f"{where}.fix")) for f in e.get("fix") or ()]
        not_claim = tuple(e.get("must_not_claim") or ()) + ALL_CLEAR
        for lang in e.get("langs") or LANGS:
            if lang not in LANGS:
                raise KubesageError(f"{where}.langs: {lang!r} is not one of {', '.join(LANGS)}")
            text = (e.get(f"question_{lang}") or (sc.question_zh if lang == "zh" else sc.question)).strip()
            # A phrasing only in Chinese is a fact for the Chinese answer; English ones hold in both.
            own = tuple(f for f in facts if lang == "zh" or any(not has_cjk(a) for a in f.alternatives))
            own = tuple(Fact(f.label, tuple(a for a in f.alternatives if lang == "zh" or not has_cjk(a))) for f in own)
            out.append(AskQuestion(f"{sc.slug}:{lang}", sc, lang, text, own, not_claim))
    return out


def matched(alternatives: Sequence[str], text: str) -> bool:
    low = " ".join(text.lower().split())
    return any(" ".join(a.lower().split()) in low for a in alternatives)


def evaluate(scenarios_dir: Path, config: Config, *, backend: str = "kb", judge: Judge | None = None,
             progress: Any = None) -> dict[str, Any] | None:  # fmt: skip
    """The ask section for the scenarios in `scenarios_dir`, from the `ask.yaml` beside it (None when absent)."""
    from kubesage.eval.scenarios import find_vocabulary, load_scenarios

    ask_file = scenarios_dir.parent / "ask.yaml"
    if not ask_file.is_file():
        return None
    scenarios = load_scenarios(scenarios_dir, find_vocabulary(scenarios_dir))
    return run_ask_eval(scenarios, ask_file, config, backend=backend, judge=judge, progress=progress)


def run_ask_eval(
    scenarios: Sequence[Scenario],
    ask_file: Path,
    config: Config,
    *,
    backend: str = "kb",
    judge: Judge | None = None,
    progress: Any = None,
) -> dict[str, Any]:
    """Ask every question against its scenario's cluster; the report's `ask` section."""
    from kubesage.ask.session import AskOptions, Session
    from kubesage.mcp.workspace import Source, Workspace

    questions = load_ask_questions(ask_file, scenarios)
    offline = not backend or backend.lower() == "kb"
    if progress is not None:
        progress.phase("ask", len(questions))
    items: list[dict[str, Any]] = []
    workspaces: dict[str, Workspace] = {}
    for q in questions:
        ws = workspaces.get(q.scenario.slug)
        if ws is None:
            ws = Workspace(Source(snapshots=(str(q.scenario.path),), exclude=(EXPECTED_FILE,)), config=config)
            workspaces[q.scenario.slug] = ws
        options = AskOptions(backend="" if offline else backend, offline=offline, language=q.lang, external=False)
        start = time.perf_counter()
        with Session(ws, config, options) as session:
            answer = session.ask(q.text)
        seconds = time.perf_counter() - start
        text = answer.render()
        if judge is not None:
            verdict = judge.points(q.text, text, [f.alternatives for f in q.facts])
        else:
            verdict = [matched(f.alternatives, text) for f in q.facts]
        # The planner states its claims (the objects it reports broken); a model's text is read whole.
        claims = "\n".join(answer.claims) if answer.mode == "planner" else answer.text
        claimed = [p for p in q.must_not_claim if matched((p,), claims) or (p in ALL_CLEAR and matched((p,), text))]
        missed = [f"{f.label}: {' | '.join(f.alternatives)}" for f, ok in zip(q.facts, verdict, strict=True) if not ok]
        items.append({
            "id": q.id, "lang": q.lang, "question": q.text, "mode": answer.mode, "refused": answer.refused,
            "facts": len(q.facts), "facts_found": sum(verdict), "missed": missed, "claimed": claimed,
            "passed": all(verdict) and not claimed and not answer.refused,
            "steps": answer.steps, "tool_calls": len(answer.observations), "tokens": answer.tokens,
            "seconds": round(seconds, 3),
        })  # fmt: skip
        if progress is not None:
            progress.step()
    return {"questions_file": str(ask_file), "backend": backend or "kb", "judge": judge is not None,
            **summary(items), "by_language": {lang: summary([i for i in items if i["lang"] == lang])
                                              for lang in LANGS if any(i["lang"] == lang for i in items)},
            "items": items}  # fmt: skip


def summary(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    n = len(items)
    if not n:
        return {"questions": 0}
    facts = sum(i["facts"] for i in items)
    return {
        "questions": n,
        "pass_rate": round(sum(i["passed"] for i in items) / n, 4),
        "fact_recall": round(sum(i["facts_found"] for i in items) / facts, 4) if facts else 0.0,
        "false_claims": sum(len(i["claimed"]) for i in items),
        "refused": sum(i["refused"] for i in items),
        "mean_steps": round(sum(i["steps"] for i in items) / n, 2),
        "mean_tool_calls": round(sum(i["tool_calls"] for i in items) / n, 2),
        "mean_tokens": round(sum(i["tokens"] for i in items) / n, 1),
        "mean_seconds": round(sum(i["seconds"] for i in items) / n, 3),
    }


def markdown(section: dict[str, Any]) -> list[str]:
    """The report's "Ask" section as markdown lines."""
    lines = ["## Ask (free-form questions, `kubesage ask`)", "",
             f"{section['questions']} questions, backend {section['backend']}"
             + (", graded by the judge" if section.get("judge") else ", deterministic scoring"), "",
             "| set | questions | pass rate | fact recall | false claims | refused | steps | tool calls | tokens |",
             "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    rows = [("all", section), *section.get("by_language", {}).items()]
    for name, s in rows:
        lines.append(f"| {name} | {s['questions']} | {s['pass_rate']:.3f} | {s['fact_recall']:.3f} | "
                     f"{s['false_claims']} | {s['refused']} | {s['mean_steps']} | {s['mean_tool_calls']} | "
                     f"{s['mean_tokens']} |")  # fmt: skip
    failed = [i for i in section.get("items", []) if not i["passed"]]
    for i in failed[:20]:
        why = "; ".join([*(f"missed {m}" for m in i["missed"]), *(f"claimed {c}" for c in i["claimed"])])
        lines.append(f"- `{i['id']}`: {'refused; ' if i['refused'] else ''}{why}")
    lines.append("")
    return lines
