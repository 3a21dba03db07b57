"""The views and their terminal layer: what they import, how they print."""

import ast
import io
import re
import sys
from pathlib import Path

import pytest

from actlab.cli import cli
from actlab.render import terminal

RENDER = Path(__file__).resolve().parent.parent / "actlab" / "render"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(RENDER.glob("*.py")), ids=lambda p: p.name)
def test_views_import_no_experiment_and_only_the_terminal_talks_to_rich(path):
    imports = _imports(path)
    tops = {name.split(".")[0] for name in imports}
    assert not tops & {"jax", "click", "optax"}
    assert not any(name.startswith("actlab.lab") for name in imports)
    if path.name != "terminal.py":
        assert not tops & {"rich", "plotext"}


def _screen_after(stream: str) -> list[str]:
    """What a terminal shows after ``stream``: carriage returns, newlines,
    cursor-up (ESC [ 1 A) and erase-line (ESC [ 2 K) applied; colours dropped."""
    lines, row = [""], 0
    for token in re.findall(r"\x1b\[[0-9;?]*[A-Za-z]|\r|\n|[^\x1b\r\n]+", stream):
        if token == "\n":
            row += 1
            lines += [""] * (row + 1 - len(lines))
        elif token == "\r" or token.endswith(("m", "h", "l")) and token.startswith("\x1b"):
            continue
        elif token == "\x1b[1A":
            row = max(0, row - 1)
        elif token == "\x1b[2K":
            lines[row] = ""
        else:
            lines[row] += token
    return [line for line in lines if line.strip()]


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_drawn_on_a_terminal_and_leaves_nothing_behind(monkeypatch):
    err = _Tty()
    monkeypatch.setattr(sys, "stderr", err)
    with terminal.progress("timing", total=2) as bar:
        bar.update(completed=1, info="width 8")
    assert "timing" in err.getvalue() and "width 8" in err.getvalue()
    assert _screen_after(err.getvalue()) == []


def test_progress_off_a_terminal_is_nothing():
    with terminal.progress("timing", total=2) as bar:
        assert bar is None


def test_grad_cost_writes_no_progress_lines_off_a_terminal(runner):
    result = runner.invoke(cli, ["grad", "tanh", "--cost", "--widths", "4", "--depth", "1",
                                 "--repeats", "1", "--no-chart"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


def test_text_is_never_read_as_markup(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    table = terminal.Table("[bold]title[/bold]")
    table.column("[red]a[/red]")
    table.row("[green]ok[/green] :smile:")
    screen = terminal.stdout()
    screen.table(table)
    screen.line("[dim]x[/dim]")
    text = out.getvalue()
    for literal in ("[bold]title[/bold]", "[red]a[/red]", "[green]ok[/green] :smile:", "[dim]x[/dim]"):
        assert literal in text
