"""k8sgpt's text layout, with its colours (rich markup; plain when not a terminal)."""

from __future__ import annotations

from rich.markup import escape

from kubesage.results import Analysis

STATS_HEADER = (
    "The stats mode allows for debugging and understanding the time taken by an analysis by "
    "displaying the statistics of each analyzer."
)


def go_duration(seconds: float) -> str:
    """Go's time.Duration String(): 1.5s, 12.345ms, 850µs, 120ns."""
    ns = round(seconds * 1e9)
    if ns == 0:
        return "0s"
    if ns < 1_000:
        return f"{ns}ns"
    if ns < 1_000_000:
        return f"{_trim(ns / 1e3)}µs"
    if ns < 1_000_000_000:
        return f"{_trim(ns / 1e6)}ms"
    total = ns / 1e9
    if total < 60:
        return f"{_trim(total)}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{int(minutes)}m{_trim(secs)}s"
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}h{minutes}m{_trim(secs)}s"


def _trim(v: float) -> str:
    return f"{v:.9f}".rstrip("0").rstrip(".")


def render_stats(analysis: Analysis) -> str:
    lines = [f"[yellow]{escape(STATS_HEADER)}[/yellow]"]
    lines += [f"- Analyzer {escape(name)} took {go_duration(took)} " for name, took in analysis.stats]
    return "\n".join(lines) + "\n"


def render_text(analysis: Analysis) -> str:
    """Rich markup for the k8sgpt text output (print with markup enabled)."""
    out: list[str] = []
    if analysis.explain:
        out.append(f"AI Provider: [yellow]{escape(analysis.provider)}[/yellow]\n")
    else:
        out.append("AI Provider: [yellow]AI not used; --explain not set[/yellow]\n")
    if analysis.errors:
        out.append("\n[yellow]Warnings : [/yellow]\n")
        out.extend(f"- [yellow]{escape(e)}[/yellow]\n" for e in analysis.errors)
    out.append("\n")
    if not analysis.results:
        out.append("[green]No problems detected[/green]\n")
        return "".join(out)
    for n, r in enumerate(analysis.results):
        out.append(
            f"[cyan]{n}[/cyan]: [bright_yellow]{escape(r.kind)}[/bright_yellow] "
            f"[yellow]{escape(r.name)}[/yellow]([cyan]{escape(r.parent_object)}[/cyan])\n"
        )
        for f in r.error:
            out.append(f"- [red]Error:[/red] [red]{escape(f.text)}[/red]\n")
            if f.kubernetes_doc:
                out.append(f"  [red]Kubernetes Doc:[/red] [red]{escape(f.kubernetes_doc)}[/red]\n")
        out.append(f"[green]{escape(r.details)}[/green]\n")
    return "".join(out)
