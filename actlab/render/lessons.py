"""What ``actlab lessons`` shows: the catalogue in one table, a lesson in
detail, the list of ids, JSON, and the Markdown handout with its figures.

Reads only the result types of the lessons (``LessonResult``, ``Check``,
``Chart``), which carry every number and threshold shown here.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from actlab import __version__
from actlab.render import files, terminal
from actlab.render.terminal import fmt, paint

VERDICT_STYLE = {"holds": "good", "partly": "warn", "does not hold here": "bad"}
HANDOUT = "lessons.md"


# --- text shared by the views ------------------------------------------------------------


def figure_text(value: float, digits: int = 3) -> str:
    """A figure as short text; whole numbers (counts, sizes) as they are."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    return fmt(value, digits)


def measured_text(result) -> str:
    """The headline figures as ``name value, ...``."""
    return ", ".join(f"{name} {figure_text(result.figures[name])}" for name in result.headline)


def _claim(result) -> str:
    return f"{result.claim} ({result.source})"


def _verdict(verdict: str):
    return paint(verdict, f"bold {VERDICT_STYLE[verdict]}")


def _mark(check) -> str:
    return "✓" if check.passed else "✗"


def _lesson_json(result) -> dict:
    return {"id": result.id, "claim": result.claim, "source": result.source, "verdict": result.verdict,
            "figures": dict(result.figures), "expected": result.expected, "command": result.command,
            "headline": list(result.headline), "thresholds": dict(result.thresholds),
            "checks": [c._asdict() for c in result.checks], "setup": result.setup,
            "explanation": result.explanation, "seconds": result.seconds}


def _json(results, backend: str, seconds: float) -> dict:
    return {"backend": backend, "seconds": seconds, "lessons": [_lesson_json(r) for r in results]}


@contextlib.contextmanager
def progress(total: int):
    """A transient progress bar on stderr (a terminal only); yields ``tick(done, total, id)`` or None."""
    with terminal.progress("lessons", total=total) as bar:
        yield None if bar is None else (lambda done, total, name: bar.update(completed=done, info=name))


# --- the views ------------------------------------------------------------------------------


def catalogue(lessons, *, as_json: bool = False) -> None:
    """``--list``: every id with its claim and source."""
    if as_json:
        terminal.print_json({"lessons": [{"id": e.id, "claim": e.claim, "source": e.source, "command": e.command}
                                         for e in lessons]})
        return
    screen = terminal.stdout()
    table = terminal.Table()
    table.column("id", key=True)
    table.column("claim (source)", wrap=True)
    for entry in lessons:
        table.row(entry.id, _claim(entry))
    screen.table(table)
    screen.note("Run them all: actlab lessons. One in detail: actlab lessons ID.")


def summary(results, *, backend: str, seconds: float, as_json: bool = False) -> None:
    """The whole catalogue in one table (each lesson a block of lines where the
    columns do not fit side by side), and the count of each verdict."""
    if as_json:
        terminal.print_json(_json(results, backend, seconds))
        return
    screen = terminal.stdout()
    table = terminal.Table(f"actlab lessons: {len(results)} claims measured on {backend}")
    table.column("lesson", key=True)
    table.column("verdict", key=True)
    for header in ("claim (source)", "measured", "predicted", "dig deeper"):
        table.column(header, wrap=True)
    for r in results:
        table.row(r.id, _verdict(r.verdict), _claim(r), measured_text(r), r.expected, r.command)
    screen.table(table)
    screen.blank()
    counts = ", ".join(f"{n} {v}" for v in VERDICT_STYLE if (n := sum(r.verdict == v for r in results)))
    screen.line(f"{counts}; {seconds:.1f} s. The verdicts come from the figures; actlab lessons ID "
                "shows one in detail.")


def details(results, *, backend: str, seconds: float, as_json: bool = False, chart: bool = True) -> None:
    """Each named lesson: claim, setup, figures, checks, charts, why, and the command."""
    if as_json:
        terminal.print_json(_json(results, backend, seconds))
        return
    screen = terminal.stdout()
    for i, r in enumerate(results):
        if i:
            screen.blank()
        screen.line(paint(f"{r.id}: ", "bold"), _verdict(r.verdict))
        screen.line(paint("claim: ", "dim"), _claim(r))
        screen.line(paint("setup: ", "dim"), r.setup)
        figures = terminal.Table()
        figures.column("figure", key=True)
        figures.column("value", align="right")
        for name, value in r.figures.items():
            figures.row(name, figure_text(value, 6))
        screen.table(figures)
        checks = terminal.Table()
        checks.column("met")
        checks.column("check: the measurement against what the claim predicts", wrap=True)
        for c in r.checks:
            checks.row(paint(_mark(c), "good" if c.passed else "bad"),
                       c.text if c.core else f"{c.text} [refines the claim]")
        screen.table(checks)
        if chart:
            for ch in r.charts:
                screen.chart(list(ch.series), title=ch.title, xlabel=ch.xlabel, ylabel=ch.ylabel, xlog=ch.xlog,
                             ylog=ch.ylog)
        screen.line(paint("why: ", "dim"), r.explanation)
        screen.command(r.command, lead=f"more ({r.seconds:.1f} s here):")


# --- the handout ------------------------------------------------------------------------------


def check_handout_path(path: str, *, overwrite: bool = False) -> files.Target:
    """The ``--save`` folder, checked before any work: a new or empty folder in
    a writable one, or (with ``overwrite``) a handout written before, which
    holds nothing but its Markdown file and PNG figures."""
    return files.check_save_dir(path, overwrite=overwrite, contents=(HANDOUT, "*.png"))


def save_handout(folder: files.Target, results, *, backend: str, seconds: float) -> None:
    """``lessons.md`` and one PNG per lesson with charts, as one new folder."""
    import matplotlib.pyplot as plt

    def write(tmp: Path) -> None:
        pictures = {}
        for r in results:
            if r.charts:
                pictures[r.id] = f"{r.id}.png"
                fig = _figure(r)
                try:
                    files.write_figure(fig, tmp / pictures[r.id])
                finally:
                    plt.close(fig)
        (tmp / HANDOUT).write_text(_markdown(results, pictures, backend=backend, seconds=seconds),
                                   encoding="utf-8")

    files.write_folder(folder, write)


def saved(folder, results) -> None:
    n = sum(bool(r.charts) for r in results)
    terminal.stderr().note(f"wrote {Path(folder) / HANDOUT} and {n} figure{'s' if n != 1 else ''} in {folder}")


def _figure(result):
    fig, axes = files.new_figure(1, len(result.charts), figsize=(6.4 * len(result.charts), 4.2), squeeze=False)
    for ax, chart in zip(axes[0], result.charts):
        for label, xs, ys in chart.series:
            ax.plot(xs, ys, marker="o", markersize=3, label=label)
        if chart.xlog:
            ax.set_xscale("log")
        if chart.ylog:
            ax.set_yscale("log")
        ax.set_title(chart.title, fontsize="medium")
        ax.set_xlabel(chart.xlabel)
        ax.set_ylabel(chart.ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle(f"{result.id}: {result.verdict}")
    return fig


def _cell(text: str) -> str:
    """Text for a Markdown table cell: pipes escaped, one line."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _markdown(results, pictures, *, backend: str, seconds: float) -> str:
    out = ["# actlab lessons", "",
           f"Each claim below was measured by actlab {__version__} on {backend} ({seconds:.1f} s for "
           f"{len(results)} lessons); each verdict comes from the measured figures and the thresholds "
           "shown, never from the claim itself.", "",
           "| lesson | claim | measured | predicted | verdict |", "|---|---|---|---|---|"]
    out += [f"| [{r.id}](#{r.id}) | {_cell(_claim(r))} | {_cell(measured_text(r))} | {_cell(r.expected)} "
            f"| **{r.verdict}** |" for r in results]
    for r in results:
        out += ["", f'<a id="{r.id}"></a>', f"## {r.id}: {r.verdict}", "", f"> {_claim(r)}", "",
                f"**Setup.** {r.setup}", "", "| figure | value |", "|---|---:|"]
        out += [f"| {_cell(name)} | {figure_text(value, 6)} |" for name, value in r.figures.items()]
        out += ["", "**Checks** (the verdict is computed from these):", ""]
        out += [f"- {_mark(c)} {'' if c.core else '(refines the claim) '}{c.text}" for c in r.checks]
        if r.id in pictures:
            out += ["", f"![{r.id}]({pictures[r.id]})"]
        out += ["", f"**Why.** {r.explanation}", "", f"**Dig deeper:** `{r.command}`"]
    return "\n".join(out) + "\n"
