"""What ``actlab lessons`` shows: the catalogue in one table, a lesson in
detail, the list of ids, JSON, and the Markdown handout with its figures.

Depends only on the result types of ``actlab.lab.lessons`` (``LessonResult``,
``Check``, ``Chart``), which carry every number and threshold shown here.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

from actlab import __version__
from actlab.errors import ActlabError
from actlab.render import fmt, line_chart, new_figure, print_json, save_figure, stderr_console, stdout_console

VERDICT_STYLE = {"holds": "green", "partly": "yellow", "does not hold here": "red"}
HANDOUT = "lessons.md"
# Below this width the table stacks each lesson's text in one column.
WIDE = 150


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


def _claim_text(result) -> str:
    return f"{result.claim} ({result.source})"


def _mark(check) -> str:
    return "✓" if check.passed else "✗"


def _lesson_json(result) -> dict:
    return {"id": result.id, "claim": result.claim, "source": result.source, "verdict": result.verdict,
            "figures": dict(result.figures), "expected": result.expected, "command": result.command,
            "headline": list(result.headline), "thresholds": dict(result.thresholds),
            "checks": [{"text": c.text, "passed": c.passed, "core": c.core} for c in result.checks],
            "setup": result.setup, "explanation": result.explanation, "seconds": result.seconds}


def to_json(results, *, backend: str, seconds: float) -> dict:
    return {"backend": backend, "seconds": seconds, "lessons": [_lesson_json(r) for r in results]}


# --- the terminal (rich and plotext stay in this section) ---------------------------------


def _styled(text: str, style: str):
    from rich.text import Text

    return Text(text, style=style)


def _verdict(verdict: str):
    return _styled(verdict, f"bold {VERDICT_STYLE.get(verdict, '')}")


def _table(title: str, columns, rows, *, lines: bool = False):
    """A rule-under-the-header table; ``columns`` are (header, justify, no_wrap)."""
    from rich import box
    from rich.table import Table

    table = Table(title=title or None, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                  pad_edge=False, collapse_padding=True, show_lines=lines)
    for header, justify, no_wrap in columns:
        table.add_column(header, justify=justify, no_wrap=no_wrap, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def _log10(values):
    return [math.log10(v) if v > 0 and math.isfinite(v) else math.nan for v in values]


def _echo_chart(chart, width: int) -> None:
    # Log axes as log10 of the values: plotext's own log ticks print as long decimals.
    series = [(label, _log10(xs) if chart.xlog else xs, _log10(ys) if chart.ylog else ys)
              for label, xs, ys in chart.series]
    text = line_chart(series, title=chart.title, xlabel=("log10 " if chart.xlog else "") + chart.xlabel,
                      ylabel=("log10 " if chart.ylog else "") + chart.ylabel, width=min(width, 100), height=18)
    sys.stdout.write(text.rstrip("\n") + "\n")
    sys.stdout.flush()


@contextlib.contextmanager
def progress(total: int):
    """A transient progress bar on stderr (a terminal only); yields ``tick(done, total, id)``."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("lessons"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=stderr_console(), transient=True) as bar:
        task = bar.add_task("", total=total)
        yield lambda done, total, name: bar.update(task, completed=done, description=name)


# --- the views ------------------------------------------------------------------------------


def catalogue(lessons, *, as_json: bool = False) -> None:
    """``--list``: every id with its claim, source and command."""
    if as_json:
        print_json({"lessons": [{"id": entry.id, "claim": entry.claim, "source": entry.source,
                                 "command": entry.command} for entry in lessons]})
        return
    console = stdout_console()
    rows = [(entry.id, f"{entry.claim} ({entry.source})") for entry in lessons]
    console.print(_table("", (("id", "left", True), ("claim (source)", "left", False)), rows))
    console.print(_styled("Run them all: actlab lessons. One in detail: actlab lessons ID.", "dim"))


def summary(results, *, backend: str, seconds: float, as_json: bool = False) -> None:
    """The whole catalogue in one table, and the count of each verdict."""
    if as_json:
        print_json(to_json(results, backend=backend, seconds=seconds))
        return
    console = stdout_console()
    if console.width >= WIDE:
        columns = (("lesson", "left", True), ("claim (source)", "left", False), ("measured", "left", False),
                   ("predicted", "left", False), ("verdict", "left", False), ("dig deeper", "left", False))
        rows = [(r.id, _claim_text(r), measured_text(r), r.expected, _verdict(r.verdict), r.command)
                for r in results]
    else:
        columns = (("lesson", "left", True), ("claim (source), measured, predicted, command", "left", False))
        rows = [(_lesson_cell(r), _stacked_cell(r)) for r in results]
    console.print(_table(f"actlab lessons: {len(results)} claims measured on {backend}", columns, rows,
                         lines=True))
    counts = {v: sum(r.verdict == v for r in results) for v in VERDICT_STYLE}
    console.print(", ".join(f"{n} {v}" for v, n in counts.items() if n) + f"; {seconds:.1f} s. "
                  "The verdicts come from the figures: actlab lessons ID shows one in detail.")


def _hanging(rows):
    """Labelled paragraphs: the label in its own column, the text wrapped beside it."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    for label, text in rows:
        grid.add_row(label, text)
    return grid


def _lesson_cell(result):
    from rich.text import Text

    return Text.assemble(result.id, "\n", _verdict(result.verdict))


def _stacked_cell(result):
    from rich.text import Text

    return Text.assemble(_claim_text(result), "\n", ("measured: ", "dim"), measured_text(result), "\n",
                         ("predicted: ", "dim"), result.expected, "\n", ("$ ", "dim"), result.command)


def details(results, *, backend: str, seconds: float, as_json: bool = False, chart: bool = True) -> None:
    """Each named lesson: claim, setup, figures, checks, chart, why, and the command."""
    if as_json:
        print_json(to_json(results, backend=backend, seconds=seconds))
        return
    console = stdout_console()
    for i, r in enumerate(results):
        if i:
            console.print()
        console.print(_styled(f"{r.id}: ", "bold"), _verdict(r.verdict), sep="")
        console.print(_hanging([("claim", _claim_text(r)), ("setup", r.setup)]))
        console.print(_table("", (("figure", "left", True), ("value", "right", True)),
                             [(name, figure_text(value, 6)) for name, value in r.figures.items()]))
        console.print(_hanging([(_styled(_mark(c), "green" if c.passed else "red"),
                                 c.text if c.core else f"{c.text} [refines the claim]") for c in r.checks]))
        if chart:
            for ch in r.charts:
                _echo_chart(ch, console.width)
        console.print(_hanging([("why", r.explanation), ("more", f"{r.command}   ({r.seconds:.1f} s here)")]))


# --- the handout ------------------------------------------------------------------------------


def check_handout_path(path: str, *, overwrite: bool = False) -> Path:
    """The ``--save`` folder, checked before any work: a new folder in an existing
    one, or (with ``overwrite``) a handout written before, which holds nothing
    but its Markdown file and PNG figures."""
    p = Path(path).expanduser()
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ActlabError(f"bad --save {path!r}: folder {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise ActlabError(f"bad --save {path!r}: folder {str(parent)!r} is not writable")
    if p.is_symlink() or (p.exists() and not p.is_dir()):
        raise ActlabError(f"bad --save {path!r}: it exists and is not a folder; --save takes a new folder")
    if p.exists():
        if not overwrite:
            raise ActlabError(f"--save folder {path!r} exists; pass --overwrite to replace it")
        if not _is_handout(p):
            raise ActlabError(f"--save folder {path!r} holds more than a lessons handout "
                              f"({HANDOUT} and PNG figures); refusing to replace it")
    return p


def _is_handout(folder: Path) -> bool:
    entries = list(folder.iterdir())
    return (any(e.name == HANDOUT for e in entries)
            and all(e.is_file() and not e.is_symlink() and (e.name == HANDOUT or e.suffix == ".png")
                    for e in entries))


def save_handout(folder: Path, results, *, backend: str, seconds: float) -> None:
    """Writes ``lessons.md`` and one PNG per lesson with charts into a new folder
    beside ``folder``, then renames it into place: the folder appears whole or
    not at all, and a handout it replaces is removed only after."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    old = None
    try:
        figures = {}
        for r in results:
            if r.charts:
                figures[r.id] = f"{r.id}.png"
                save_figure(_figure(r), tmp / figures[r.id])
        (tmp / HANDOUT).write_text(_markdown(results, figures, backend=backend, seconds=seconds), encoding="utf-8")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; a saved folder is an ordinary folder
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
            os.rename(folder, old / folder.name)
        os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not folder.exists():
            os.rename(old / folder.name, folder)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def saved(folder: Path, results) -> None:
    n = sum(bool(r.charts) for r in results)
    stderr_console().print(f"wrote {folder / HANDOUT} and {n} figure{'s' if n != 1 else ''} in {folder}")


def _figure(result):
    fig, axes = new_figure(1, len(result.charts), figsize=(6.4 * len(result.charts), 4.2), squeeze=False)
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


def _markdown(results, figures, *, backend: str, seconds: float) -> str:
    out = ["# actlab lessons", "",
           f"Each claim below was measured by actlab {__version__} on {backend} ({seconds:.1f} s for "
           f"{len(results)} lessons); the verdict comes from the measured figures and the thresholds "
           "shown, never from the claim itself.", "",
           "| lesson | claim | measured | predicted | verdict |", "|---|---|---|---|---|"]
    out += [f"| [{r.id}](#{r.id}) | {_cell(_claim_text(r))} | {_cell(measured_text(r))} | {_cell(r.expected)} "
            f"| **{r.verdict}** |" for r in results]
    for r in results:
        out += ["", f'<a id="{r.id}"></a>', f"## {r.id}: {r.verdict}", "", f"> {_claim_text(r)}", "",
                f"**Setup.** {r.setup}", "", "| figure | value |", "|---|---:|"]
        out += [f"| {_cell(name)} | {fmt(value, 6)} |" for name, value in r.figures.items()]
        out += ["", "**Checks** (the verdict is computed from these):", ""]
        out += [f"- {_mark(c)} {'' if c.core else '(refines) '}{c.text}" for c in r.checks]
        if r.id in figures:
            out += ["", f"![{r.id}]({figures[r.id]})"]
        out += ["", f"**Why.** {r.explanation}", "", f"**Dig deeper:** `{r.command}`"]
    return "\n".join(out) + "\n"
