"""`kubesage eval`: the offline benchmark that gates production."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


class _Bar:
    """runner.Progress on a rich progress bar (stderr)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def phase(self, name: str, total: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total)
        self._task = self._progress.add_task(name, total=max(total, 1))

    def step(self) -> None:
        if self._task is not None:
            self._progress.advance(self._task)


def eval_command(
    scenarios: Annotated[
        Path | None, typer.Option("--scenarios", help="Scenario directory (default benchmarks/scenarios).")
    ] = None,
    questions: Annotated[
        Path | None, typer.Option("--questions", help="Dev question set (default benchmarks/questions-dev.yaml).")
    ] = None,
    test: Annotated[
        bool, typer.Option("--test", help="Also run the held-out test set (eval.toml [test_set]) and apply the gate.")
    ] = False,
    test_questions: Annotated[
        Path | None, typer.Option("--test-questions", help="Held-out test set file (implies --test).")
    ] = None,
    backend: Annotated[str, typer.Option("--backend", "-b", help="Backend that writes answers (default kb).")] = "kb",
    judge: Annotated[
        str, typer.Option("--judge", help="Grade answer points with this configured backend (LLM judge).")
    ] = "",
    repeat: Annotated[int, typer.Option("--repeat", "-k", help="Run answers K times for Pass^k.")] = 1,
    output: Annotated[Path, typer.Option("--output", "-o", help="Report directory.")] = Path("eval-report"),
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="An earlier report.json to compare against.")
    ] = None,
    gate: Annotated[Path | None, typer.Option("--gate", help="Thresholds file (default eval.toml).")] = None,
    kb: Annotated[str | None, typer.Option("--kb", help="Knowledge base directory (default: configured).")] = None,
) -> None:
    """Measure detection, retrieval, answers and refusals offline; with --test, exit 1 when the gate fails."""
    from rich.markdown import Markdown
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from kubesage.cli.console import err, out, warn
    from kubesage.config import load_config
    from kubesage.errors import KubesageError
    from kubesage.eval.baseline import compare, load_baseline
    from kubesage.eval.gate import check_gate, default_gate_path, load_gate
    from kubesage.eval.report import markdown_summary, write_reports
    from kubesage.eval.runner import EvalOptions, run_eval
    from kubesage.eval.scenarios import default_path

    gate_path = gate or default_gate_path()
    gate_config = None
    if gate_path.is_file():
        gate_config = load_gate(gate_path)
    elif gate is not None:
        raise KubesageError(f"{gate}: no such gate file")
    else:
        warn(f"{gate_path} not found: no thresholds, the gate is skipped")
    base = load_baseline(baseline) if baseline else None
    pin = gate_config.test_set if gate_config else None
    test_file = test_questions
    if test and test_file is None:
        test_file = pin.path if pin else default_path("benchmarks/questions-test.yaml")
    options = EvalOptions(
        scenarios_dir=scenarios or default_path("benchmarks/scenarios"),
        questions_file=questions or default_path("benchmarks/questions-dev.yaml"),
        test_questions_file=test_file,
        test_sha256=pin.sha256 if pin else None,
        backend=backend,
        judge=judge,
        repeat=repeat,
        kb_path=kb,
        prices=gate_config.prices if gate_config else {},
    )
    config = load_config()
    columns = (TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err(), transient=True) as progress:
        report: dict[str, Any] = run_eval(options, config, _Bar(progress))
    if gate_config is not None and gate_config.thresholds and test_file is not None:
        report["gate"] = check_gate(report, gate_config.thresholds)
    if base is not None:
        report["baseline"] = compare(report, base)
    json_path, html_path = write_reports(report, output)
    out().print(Markdown(markdown_summary(report)))
    err().print(f"Report: {json_path} and {html_path}")
    if test_file is None and gate_config is not None and gate_config.thresholds:
        warn("dev set only: the gate reads the held-out test set; run with --test to apply it")
    regressions = (report.get("baseline") or {}).get("regressions") or []
    if regressions:
        warn(f"regressions against the baseline: {', '.join(regressions)}")
    gate_result = report.get("gate")
    if gate_result and not gate_result["passed"]:
        failed = [c for c in gate_result["checks"] if not c["passed"]]
        detail = ", ".join(f"{c['metric']}={_short(c['value'])} (needs {c['op']} {c['threshold']:g})" for c in failed)
        raise KubesageError(f"eval gate failed: {detail}")


def _short(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
