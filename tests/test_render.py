"""The views and their terminal layer: what they import, how they print."""

import ast
import io
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _printed(draw, width: int) -> str:
    """What ``draw(screen)`` prints on a screen ``width`` columns wide."""
    out = io.StringIO()
    import unittest.mock

    with unittest.mock.patch.dict("os.environ", {"COLUMNS": str(width)}), \
            unittest.mock.patch.object(sys, "stdout", out):
        draw(terminal.stdout())
    return out.getvalue()


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


# --- the rough edges a new user meets -------------------------------------------------------


def test_actlab_alone_prints_the_help_and_exits_0(runner):
    result = runner.invoke(cli, [], prog_name="actlab")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Usage: actlab") and "Commands:" in result.stdout
    assert len(result.stdout.splitlines()) > 10 and result.stderr == ""


def test_several_temperatures_one_row_each_against_numpy(runner):
    import json

    import numpy as np

    temps = [0.5, 1.0, 2.0, 5.0]
    logits = np.array([2.0, 1.0, 0.1])
    data = json.loads(runner.invoke(cli, ["stability", "--values", "2,1,0.1", "--temperature", "0.5,1,2,5",
                                          "--json"]).stdout)
    assert [r["temperature"] for r in data["temperatures"]] == temps
    for row, t in zip(data["temperatures"], temps):
        z = np.exp(logits / t - np.max(logits / t))
        p = z / z.sum()
        np.testing.assert_allclose(row["probabilities"], p, rtol=1e-14)
        assert row["entropy"] == pytest.approx(-np.sum(p * np.log(p)), rel=1e-13)
    text = runner.invoke(cli, ["stability", "--values", "2,1,0.1", "--temperature", "0.5,1,2,5"]).stdout
    temps_text = ("0.5", "1", "2", "5")
    rows = [line.split() for line in text.splitlines() if len(line.split()) > 5 and line.split()[0] in temps_text]
    assert [r[0] for r in rows] == ["0.5", "1", "2", "5"]
    assert "against the temperature" in text  # the chart


def _cost_result(exponents, n_params=(153, 433, 1377, 4801)):
    from actlab.lab.gradflow import CostResult, CostRow

    rows = tuple(CostRow(w, p, 1e-6 * p ** 0.3, 3e-6 * p ** 0.4, 1e-6 * p, 2e-6 * p, 1e-7, 1e-4)
                 for w, p in zip((8, 16, 32, 64), n_params))
    return CostResult("tanh", 2, 16, 8, "float32", 1, rows, exponents, ())


@pytest.mark.parametrize("fd, says", [(1.4, "pull away"), (0.6, "hide the difference")])
def test_cost_explanation_follows_what_was_measured(capsys, fd, says):
    from actlab.render import grad

    grad.cost(_cost_result({"loss": 0.3, "reverse": 0.4, "forward": 1.0, "finite_diff": fd}),
              backend="cpu", chart=False)
    text = " ".join(capsys.readouterr().out.split())
    assert says in text and f"P^{fd - 0.4:.2f}" in text
    assert "jax.jvp per parameter" in text and "jacfwd" not in text


def _sweep_result(successes, n):
    from actlab.lab.sweep import ConfigStats, SweepResult

    # Wilson's interval, written out here: centre +- half-width with z = 1.96.
    z, p = 1.959963984540054, successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5
    ci = (0.0 if successes == 0 else centre - half, 1.0 if successes == n else centre + half)
    config = ConfigStats(activation="relu", optimizer="adam", lr=0.01, seeds=n, successes=successes,
                         success_rate=p, ci95=ci, final_loss_median=0.01, final_loss_quartiles=(0.005, 0.02),
                         final_loss_iqr=0.015, accuracy_median=1.0, dead_units_median=0.0,
                         median_steps_to_threshold=30.0, diverged=0, failed_seeds=tuple(range(n - successes)))
    fields = dict(dataset="xor", task="binary", metric="accuracy", held_out=False, threshold=1.0, steps=1000,
                  hidden=(16,), batch=None, dtype="float32", seed=0, seeds=n, runs=n, devices=1, processes=1,
                  backend="cpu", max_batch=1024, chunk_runs=n, chunks=1, compile_seconds=1.0, train_seconds=1.0,
                  configs=(config,), notes=())
    # Fields a view does not read here (added later to the result) default to None.
    return SweepResult(**{name: fields.get(name) for name in SweepResult._fields})


@pytest.mark.parametrize("successes, rate, interval", [(1000, "100%", "99.6-100%"), (999, "99.9%", "99.44-99.98%"),
                                                       (0, "0%", "0-0.4%")])
def test_sweep_rates_and_intervals_keep_their_ends_apart(capsys, successes, rate, interval):
    from actlab.render import sweep

    sweep.show(_sweep_result(successes, 1000))
    row = next(line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("relu"))
    assert row[3:5] == [rate, interval]


def test_sampled_facts_are_marked_in_plot_and_list(runner, capsys):
    import json

    data = json.loads(runner.invoke(cli, ["plot", "x*tanh(x)", "relu", "--points", "11", "--json"]).stdout)
    assert [f["sampled"] for f in data["facts"]] == [True, False]
    text = runner.invoke(cli, ["plot", "x*tanh(x)", "relu", "--points", "11"]).stdout
    assert "~[0, inf)" in text and "estimated by sampling" in text and "~[0," not in text.split("relu")[-1]

    from actlab.blocks import activations
    from actlab.catalog import expr
    from actlab.render import explore

    acts = [activations.get("relu"), expr.parse("x*tanh(x)")]
    explore.print_list(acts, as_json=True)
    assert [a["sampled"] for a in json.loads(capsys.readouterr().out)["activations"]] == [False, True]
    explore.print_list(acts)
    text = capsys.readouterr().out
    assert "~[0, inf)" in text and "estimated by sampling" in text


def _chart_lines(text, title):
    """The lines of the chart under ``title``: from its frame to its legend."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if title in line)
    end = next(i for i in range(start, len(lines)) if "└" in lines[i])
    return lines[start + 1:end + 1], lines[end + 1], lines[end + 3]


def test_charts_have_whole_ticks_readable_log_labels_and_a_legend_beside_the_curves(runner):
    text = runner.invoke(cli, ["train", "xor", "--steps", "250"]).stdout
    frame, x_ticks, legend = _chart_lines(text, "training loss")
    assert all(re.fullmatch(r"\d+", tick) for tick in x_ticks.split()), x_ticks  # steps: whole numbers
    assert "loss" in legend and not any("loss" in line for line in frame)

    text = runner.invoke(cli, ["grad", "sigmoid", "relu", "tanh", "--depth", "6"]).stdout
    frame, x_ticks, legend = _chart_lines(text, "per layer")
    assert x_ticks.split() == ["1", "2", "3", "4", "5", "6"] or all(t.isdigit() for t in x_ticks.split())
    labels = [line.split("┤")[0].strip() for line in frame if "┤" in line]
    assert any(re.fullmatch(r"1e-\d+", label) for label in labels), labels  # not 0.000001
    assert not any(label.startswith("0.000") for label in labels)
    # Series told apart without colour: a marker each, named in the legend.
    glyphs = re.findall(r"(\S)\1 (sigmoid|relu|tanh)", legend)
    assert len({g for g, _ in glyphs}) == 3, legend


def _figures(monkeypatch):
    from actlab.render import files

    saved = []
    monkeypatch.setattr(files, "write_figure", lambda fig, path: saved.append(fig))
    return saved


def test_figures_label_their_axes_and_titles_say_what_is_drawn(runner, monkeypatch, tmp_path):
    saved = _figures(monkeypatch)
    assert runner.invoke(cli, ["plot", "relu", "--save", str(tmp_path / "p.png")]).exit_code == 0
    assert saved[-1].axes[0].get_ylabel() == "f(x)"
    assert runner.invoke(cli, ["train", "xor", "--steps", "50", "--save", str(tmp_path / "run")]).exit_code == 0
    titles = [ax.get_title() for ax in saved[-1].axes]
    assert not any("test" in t for t in titles), titles  # xor has no test points
    assert runner.invoke(cli, ["train", "moons", "--steps", "50", "--save", str(tmp_path / "run2")]).exit_code == 0
    assert any("test" in ax.get_title() for ax in saved[-1].axes)


def test_cost_figure_tick_labels_do_not_overlap():
    from actlab.render import grad

    fig = grad.cost_figure(_cost_result({"loss": 0.3, "reverse": 0.4, "forward": 1.0, "finite_diff": 1.0}))
    ax = fig.axes[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [label.get_window_extent(renderer) for label in ax.get_xticklabels() + ax.get_xticklabels(minor=True)
             if label.get_visible() and label.get_text()]
    assert len(boxes) >= 2
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_sweep_progress_names_what_compiles():
    from actlab.blocks import activations, data
    from actlab.lab import sweep

    calls = []
    sweep.sweep(data.make_dataset("xor"), activations=[activations.get("relu"), activations.get("tanh")],
                optimizers=["adam"], lrs=[0.01], seeds=2, steps=20, hidden=(4,),
                progress=lambda done, total, what: calls.append(what))
    assert "relu / adam" in calls[0] and "tanh / adam" in calls[0]


# --- the table layout ------------------------------------------------------------------------

_number = st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda x: f"{x:.6g}")
_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz()|=,.", min_size=1, max_size=12)
_prose = st.lists(_word, min_size=1, max_size=12).map(" ".join)


@st.composite
def _tables(draw):
    kinds = draw(st.lists(st.sampled_from(["number", "prose", "secondary"]), min_size=1, max_size=9))
    rows = draw(st.integers(1, 6))
    cells = [[draw(_prose if kind == "prose" else _number) for kind in kinds] for _ in range(rows)]
    headers = [draw(_prose) for _ in kinds]
    return kinds, headers, cells


@settings(max_examples=60, deadline=None)
@given(table=_tables(), width=st.integers(40, 140))
def test_any_table_fits_any_width_with_its_numbers_whole(table, width):
    kinds, headers, cells = table
    t = terminal.Table("a title that is rather long, longer than some of the narrow widths tried here")
    for kind, header in zip(kinds, headers):
        t.column(header, wrap=kind == "prose", secondary=kind == "secondary", align="right")
    for row in cells:
        t.row(*row)
    text = _printed(lambda screen: screen.table(t), width)
    assert all(len(line) <= width for line in text.splitlines())
    assert "…" not in text
    words = set(text.split())
    for row in cells:
        for kind, cell in zip(kinds, row):
            if kind != "prose":
                assert cell in words, (cell, text)
