"""The benchmark inputs: scenario directories, the question set and the reason vocabulary.

A scenario is a snapshot directory (anything `kubesage analyze --snapshot` reads) plus
`expected.yaml`; see docs/eval.md for the format. Loading validates every field and
raises one-line `KubesageError`s naming the file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubesage.errors import KubesageError
from kubesage.eval.text import AnswerPoint, points_met_by_echo

EXPECTED_FILE = "expected.yaml"
LANGUAGES = ("en", "zh")
CATEGORIES = (
    "images",
    "crashloop",
    "oom",
    "config",
    "scheduling",
    "storage",
    "services",
    "ingress",
    "probes",
    "rbac",
    "quotas",
    "jobs",
    "nodes",
    "dns",
    "webhooks",
    "hpa",
    "networkpolicy",
)
_REQUIRED = ("category", "root_cause", "must_find", "must_not_find", "reasons", "question", "question_zh",
             "answer_points")
_ALLOWED = frozenset((*_REQUIRED, "may_find", "filters"))

@dataclass(frozen=True)
class Expectation:
    """A result the analyzers must (or must not) report: kind, name and a text fragment."""

    kind: str
    name: str
    text_contains: str = ""

    def label(self) -> str:
        return f"{self.kind} {self.name}" + (f": {self.text_contains}" if self.text_contains else "")


@dataclass(frozen=True)
class Scenario:
    slug: str
    path: Path
    category: str
    root_cause: str
    must_find: tuple[Expectation, ...]
    must_not_find: tuple[Expectation, ...]
    reasons: tuple[str, ...]
    question: str
    question_zh: str
    answer_points: tuple[AnswerPoint, ...]
    may_find: tuple[Expectation, ...] = ()
    filters: tuple[str, ...] = ()
    """Analyzers to run on top of the default set (e.g. optional HorizontalPodAutoscaler)."""

    def question_for(self, lang: str) -> str:
        return self.question_zh if lang == "zh" else self.question


STYLES = ("chat", "error", "k8sgpt")
_QUESTION_KEYS = frozenset({"id", "lang", "text", "reasons", "out_of_scope", "style", "source", "runbooks", "points"})


@dataclass(frozen=True)
class Question:
    id: str
    lang: str
    text: str
    reasons: tuple[str, ...] = ()
    out_of_scope: bool = False
    style: str = ""
    """chat (the user's own words), error (a pasted error) or k8sgpt (k8sgpt's prompt); "" = unset."""
    runbooks: tuple[str, ...] = ()
    """Doc ids of the runbooks that answer it best (optional; reported as runbook hit@k)."""
    points: tuple[AnswerPoint, ...] = ()
    """Facts a correct answer states (optional); never satisfiable from `text` alone."""


@dataclass
class QuestionSet:
    in_scope: list[Question] = field(default_factory=list)
    out_of_scope: list[Question] = field(default_factory=list)


def _yaml(path: Path) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: the benchmark is big
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except FileNotFoundError:
        raise KubesageError(f"{path}: no such file") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise KubesageError(f"{path}{line}: invalid YAML: {getattr(err, 'problem', err)}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise KubesageError(f"{path}: cannot read: {err}") from None


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise KubesageError(f"{where}: must be a non-empty string")
    return value.strip()


def _str_list(value: Any, where: str, allow_empty: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or (not value and not allow_empty):
        raise KubesageError(f"{where}: must be a {'' if allow_empty else 'non-empty '}list of strings")
    return tuple(_str(v, f"{where}[{i}]") for i, v in enumerate(value))


def _expectations(value: Any, where: str, need_text: bool) -> tuple[Expectation, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise KubesageError(f"{where}: must be a list of {{kind, name, text_contains}}")
    out: list[Expectation] = []
    for i, item in enumerate(value):
        here = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise KubesageError(f"{here}: must be a mapping with kind and name")
        unknown = set(item) - {"kind", "name", "text_contains"}
        if unknown:
            raise KubesageError(f"{here}: unknown key {sorted(unknown)[0]!r}")
        text = item.get("text_contains")
        if need_text and not text:
            raise KubesageError(f"{here}: text_contains is required")
        out.append(Expectation(_str(item.get("kind"), f"{here}.kind"), _str(item.get("name"), f"{here}.name"),
                               _str(text, f"{here}.text_contains") if text else ""))
    return tuple(out)


def _answer_points(value: Any, where: str) -> tuple[AnswerPoint, ...]:
    if not isinstance(value, list) or not value:
        raise KubesageError(f"{where}: must be a non-empty list")
    points: list[AnswerPoint] = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            points.append((_str(item, f"{where}[{i}]"),))
        else:
            points.append(_str_list(item, f"{where}[{i}]"))
    return tuple(points)


def _check_points(points: Iterable[AnswerPoint], question: str, where: str) -> None:
    """Reject an answer point that an answer repeating the question would already meet."""
    echoed = points_met_by_echo(tuple(points), question)
    if echoed:
        raise KubesageError(f"{where}: answer point {echoed[0]!r} is satisfied by the question's own words; "
                            "a point must name a fact the question does not state")


def _check_reasons(reasons: Iterable[str], vocabulary: frozenset[str] | None, where: str) -> None:
    if vocabulary is None:
        return
    for r in reasons:
        if r not in vocabulary:
            raise KubesageError(f"{where}: reason {r!r} is not in the knowledge-base vocabulary")


def load_scenario(path: Path, vocabulary: frozenset[str] | None = None) -> Scenario:
    exp_path = path / EXPECTED_FILE
    data = _yaml(exp_path)
    where = str(exp_path)
    if not isinstance(data, dict):
        raise KubesageError(f"{where}: must be a YAML mapping")
    for key in _REQUIRED:
        if key not in data:
            raise KubesageError(f"{where}: missing field {key!r}")
    unknown = set(data) - _ALLOWED
    if unknown:
        raise KubesageError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    category = _str(data["category"], f"{where}: category")
    if category not in CATEGORIES:
        raise KubesageError(f"{where}: unknown category {category!r} (one of {', '.join(CATEGORIES)})")
    must_find = _expectations(data["must_find"], f"{where}: must_find", need_text=True)
    if not must_find:
        raise KubesageError(f"{where}: must_find must list at least one finding")
    must_not_find = _expectations(data["must_not_find"], f"{where}: must_not_find", need_text=False)
    if not must_not_find:
        raise KubesageError(f"{where}: must_not_find must list the healthy objects (the noise)")
    reasons = _str_list(data["reasons"], f"{where}: reasons")
    _check_reasons(reasons, vocabulary, where)
    question = _str(data["question"], f"{where}: question")
    question_zh = _str(data["question_zh"], f"{where}: question_zh")
    answer_points = _answer_points(data["answer_points"], f"{where}: answer_points")
    _check_points(answer_points, f"{question}\n{question_zh}", f"{where}: answer_points")
    flagged = {(e.kind, e.name) for e in must_find}
    clash = next((e for e in must_not_find if (e.kind, e.name) in flagged and not e.text_contains), None)
    if clash:
        raise KubesageError(f"{where}: {clash.kind} {clash.name} is in both must_find and must_not_find")
    return Scenario(
        slug=path.name,
        path=path,
        category=category,
        root_cause=_str(data["root_cause"], f"{where}: root_cause"),
        must_find=must_find,
        must_not_find=must_not_find,
        reasons=reasons,
        question=question,
        question_zh=question_zh,
        answer_points=answer_points,
        may_find=_expectations(data.get("may_find"), f"{where}: may_find", need_text=False),
        filters=_str_list(data.get("filters") or [], f"{where}: filters", allow_empty=True),
    )


def load_scenarios(directory: Path, vocabulary: frozenset[str] | None = None) -> list[Scenario]:
    """Every `<dir>/*/expected.yaml` scenario, sorted by directory name."""
    if not directory.is_dir():
        raise KubesageError(f"{directory}: scenario directory not found")
    dirs = sorted(p for p in directory.iterdir() if p.is_dir() and (p / EXPECTED_FILE).is_file())
    if not dirs:
        raise KubesageError(f"{directory}: no scenarios (subdirectories with {EXPECTED_FILE})")
    return [load_scenario(d, vocabulary) for d in dirs]


def load_questions(path: Path, vocabulary: frozenset[str] | None = None) -> QuestionSet:
    """The retrieval / refusal question set (`questions:` list, see docs/eval.md)."""
    data = _yaml(path)
    items = data.get("questions") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise KubesageError(f"{path}: expected a non-empty `questions:` list")
    out = QuestionSet()
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"{path}: questions[{i}]"
        if not isinstance(item, dict):
            raise KubesageError(f"{where}: must be a mapping")
        unknown = set(item) - _QUESTION_KEYS
        if unknown:
            raise KubesageError(f"{where}: unknown field {sorted(unknown)[0]!r}")
        qid = _str(item.get("id"), f"{where}.id")
        if qid in seen:
            raise KubesageError(f"{where}: duplicate id {qid!r}")
        seen.add(qid)
        where = f"{path}: question {qid}"
        lang = _str(item.get("lang"), f"{where}.lang")
        if lang not in LANGUAGES:
            raise KubesageError(f"{where}: lang must be one of {', '.join(LANGUAGES)}")
        text = _str(item.get("text"), f"{where}.text")
        style = str(item.get("style") or "")
        if style and style not in STYLES:
            raise KubesageError(f"{where}: style must be one of {', '.join(STYLES)}")
        if item.get("out_of_scope"):
            if item.get("reasons") or item.get("points") or item.get("runbooks"):
                raise KubesageError(f"{where}: an out-of-scope question has no reasons, runbooks or points")
            out.out_of_scope.append(Question(qid, lang, text, (), True, style))
            continue
        reasons = _str_list(item.get("reasons"), f"{where}.reasons")
        _check_reasons(reasons, vocabulary, where)
        runbooks = _str_list(item.get("runbooks") or [], f"{where}.runbooks", allow_empty=True)
        points = _answer_points(item["points"], f"{where}.points") if "points" in item else ()
        _check_points(points, text, f"{where}.points")
        out.in_scope.append(Question(qid, lang, text, reasons, False, style, runbooks, points))
    return out


def load_vocabulary(path: Path) -> frozenset[str]:
    """Reason tags from `knowledge/vocabulary.yaml` (a list of `{reason: ...}` or of strings)."""
    data = _yaml(path)
    items = data.get("reasons") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise KubesageError(f"{path}: expected a list of reasons")
    tags: set[str] = set()
    for item in items:
        tag = item.get("reason") if isinstance(item, dict) else item
        if isinstance(tag, str) and tag:
            tags.add(tag)
    if not tags:
        raise KubesageError(f"{path}: no reasons found")
    return frozenset(tags)


def project_root() -> Path:
    """The checkout this package runs from (src/kubesage/eval -> repo root)."""
    return Path(__file__).resolve().parents[3]


def default_path(relative: str) -> Path:
    """`relative` under the working directory if it exists there, else under the checkout."""
    here = Path.cwd() / relative
    return here if here.exists() else project_root() / relative


def find_vocabulary(scenarios_dir: Path | None = None) -> frozenset[str] | None:
    """The vocabulary next to the benchmark (or in the checkout), or None when there is none."""
    candidates = [default_path("knowledge/vocabulary.yaml")]
    parents = scenarios_dir.resolve().parents if scenarios_dir is not None else ()
    if len(parents) > 1:
        candidates.insert(0, parents[1] / "knowledge" / "vocabulary.yaml")
    for path in candidates:
        if path.is_file():
            return load_vocabulary(path)
    return None
