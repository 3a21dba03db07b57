"""The terminal: the one module that talks to rich and plotext.

Views build what they show from the core's result types with the pieces here
and never call rich or plotext themselves:

- ``stdout()`` and ``stderr()``: a ``Screen`` that prints lines, notes, tables
  and charts at the width of the terminal (or of ``COLUMNS`` when piped);
- ``paint`` and ``join``: words in a style ("good", "bad", "warn", "dim",
  "bold", or a colour); any plain ``str`` is printed as it is, never read as markup;
- ``Table``: columns and rows, drawn by the screen;
- ``line_chart``: a terminal chart (plotext) as text;
- ``progress``: the transient progress bar on stderr, shown only on a terminal;
- ``print_json`` / ``jsonable``: strict JSON on stdout;
- ``fmt``: numbers as short text; ``strip_ansi``.

Colour only on a terminal, never with ``NO_COLOR``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import re
import shutil
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Semantic styles of the views, as rich styles; anything else (a colour, "on
# #102030") passes through.
STYLES = {"good": "green", "bad": "red", "warn": "yellow", "dim": "dim", "bold": "bold"}


def color_enabled(stream=None) -> bool:
    """Colour on ``stream`` (stdout by default): only on a terminal, never with NO_COLOR."""
    stream = stream or sys.stdout
    return hasattr(stream, "isatty") and stream.isatty() and "NO_COLOR" not in os.environ


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


# --- JSON -------------------------------------------------------------------


def jsonable(value):
    """Converts results to strict-JSON values: non-finite floats become the
    strings "nan", "inf" and "-inf"; arrays become lists; dataclasses and
    NamedTuples become objects."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: jsonable(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _json_float(value)
    if hasattr(value, "tolist"):  # numpy / jax arrays and scalars
        return jsonable(value.tolist())
    if hasattr(value, "__float__"):
        return _json_float(float(value))
    return str(value)


def _json_float(x: float):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def json_text(obj, indent: int | None = None) -> str:
    """``obj`` as strict JSON text."""
    return json.dumps(jsonable(obj), indent=indent, allow_nan=False)


def print_json(obj) -> None:
    """Prints exactly one strict JSON object on stdout."""
    sys.stdout.write(json_text(obj) + "\n")
    sys.stdout.flush()


# --- numbers as text -----------------------------------------------------------


def fmt(x, digits: int = 6) -> str:
    """A float in a short, exact-enough form: 0.25, 4.2484e-18, nan, -inf."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    if 1e-4 <= abs(x) < 1e6:
        return f"{x:.{digits}g}"
    return f"{x:.{digits - 1}e}"


def sci(x: float) -> str:
    """A number in powers of ten as people write them: 1e-3, 2.5e-8, 1e5."""
    mantissa, _, exponent = f"{float(x):.2e}".partition("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def with_params(name: str, params) -> str:
    """``leaky_relu(alpha=0.2)``: a name with its parameters, as the user would write it."""
    if not params:
        return name
    return f"{name}({', '.join(f'{k}={v:g}' for k, v in params.items())})"


# --- styled text ------------------------------------------------------------------


def _rich_style(style: str) -> str:
    return " ".join(STYLES.get(word, word) for word in style.split())


def paint(text: str, style: str = ""):
    """``text`` in a style: semantic words ("good bad warn dim bold") or colours."""
    from rich.text import Text

    out = Text(str(text))
    if style:
        out.stylize(_rich_style(style))
    return out


def join(*parts):
    """Plain strings and painted pieces as one piece of text."""
    from rich.text import Text

    return Text.assemble(*(Text(p) if isinstance(p, str) else p for p in parts))


def _text(value):
    """A cell, title or line: a ``str`` is literal text (never markup)."""
    from rich.text import Text

    return Text(value) if isinstance(value, str) else value


# --- tables ------------------------------------------------------------------------


@dataclasses.dataclass
class Column:
    header: str
    align: str = "left"  # "left" | "right"
    wrap: bool = True  # False: never broken over lines
    fold: bool = False  # break anywhere (long words) instead of cropping
    min_width: int | None = None


class Table:
    """Columns and rows, drawn by ``Screen.table``.

    Looks: "boxed" (a heavy frame, centred title) or "rule" (a rule under the
    header, title on the left); ``edge``, ``pad_edge`` and ``collapse`` set the
    spacing of a "rule" table; without ``header`` a "rule" table is bare
    columns (labelled paragraphs).
    """

    def __init__(self, title="", *, caption="", look: str = "rule", edge: bool = True,
                 pad_edge: bool = True, collapse: bool = False, header: bool = True):
        self.title, self.caption, self.look = title, caption, look
        self.edge, self.pad_edge, self.collapse, self.header = edge, pad_edge, collapse, header
        self.columns: list[Column] = []
        self.rows: list[tuple] = []  # a row, or None for a section break

    def column(self, header: str, **kw) -> None:
        self.columns.append(Column(header, **kw))

    def row(self, *cells) -> None:
        self.rows.append(cells)

    def section(self) -> None:
        """A rule before the next row (stability's dtype groups)."""
        self.rows.append(None)

    def _rich(self):
        from rich import box
        from rich.table import Table as RichTable
        from rich.text import Text

        def annotation(text, style):
            return Text(text, style=style) if isinstance(text, str) and text else text or None

        title, caption = annotation(self.title, "table.title"), annotation(self.caption, "table.caption")
        if self.look == "boxed":
            t = RichTable(title=title, caption=caption)
        else:
            t = RichTable(title=title, caption=caption,
                          box=box.SIMPLE_HEAD, title_justify="left", caption_justify="left",
                          show_edge=self.edge, pad_edge=self.pad_edge, collapse_padding=self.collapse,
                          show_header=self.header)
        for c in self.columns:
            t.add_column(_text(c.header), justify=c.align, no_wrap=not c.wrap, min_width=c.min_width,
                         overflow="fold" if c.fold else "ellipsis")
        pending_section = False
        for cells in self.rows:
            if cells is None:
                pending_section = True
                continue
            if pending_section and t.row_count:
                t.add_section()
            pending_section = False
            t.add_row(*(_text(c) for c in cells))
        return t


# --- screens -----------------------------------------------------------------------


class Screen:
    """Where a view prints: stdout or stderr, at the width it has."""

    def __init__(self, console):
        self._console = console

    @property
    def width(self) -> int:
        return self._console.width

    @property
    def color(self) -> bool:
        return self._console.color_system is not None and not self._console.no_color

    @property
    def basic_colors(self) -> bool:
        """Only the 16 ANSI colours: hex shades would all round to grey."""
        return self._console.color_system in ("standard", "windows")

    def line(self, *parts, style: str = "", wrap: bool = True) -> None:
        """One paragraph, wrapped at word boundaries (``wrap``) or left whole."""
        self._console.print(join(*parts), style=_rich_style(style) or None, soft_wrap=not wrap)

    def note(self, text: str) -> None:
        """Secondary prose, dimmed."""
        self.line(text, style="dim")

    def blank(self) -> None:
        self._console.print()

    def table(self, table: Table) -> None:
        self._console.print(table._rich())

    def side_by_side(self, tables) -> None:
        from rich.columns import Columns

        self._console.print(Columns([t._rich() for t in tables]))

    def chart(self, text: str) -> None:
        """A chart from ``line_chart``, as it was drawn (colour codes removed off a terminal)."""
        if not self.color:
            text = strip_ansi(text)
        self._console.file.write(text.rstrip("\n") + "\n")
        self._console.file.flush()


def stdout() -> Screen:
    from rich.console import Console

    # Off a terminal rich would wrap at 80 columns; tables read better wider.
    width = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", 140))
    return Screen(Console(highlight=False, width=width))


def stderr() -> Screen:
    from rich.console import Console

    return Screen(Console(stderr=True, highlight=False))


# --- terminal charts -------------------------------------------------------------


def line_chart(series, *, title: str = "", xlabel: str = "", ylabel: str = "", xlog: bool = False,
               ylog: bool = False, width: int = 110, height: int | None = None,
               color: bool | None = None, scatter=()) -> str:
    """A terminal line chart (plotext) of ``series``: ``[(label, xs, ys), ...]``,
    with ``scatter`` series drawn as points, at most ``width`` columns wide.
    Non-finite points are left out (a chart cannot show them). Returns the
    chart as text."""
    import plotext as plt

    cols, rows = shutil.get_terminal_size((100, 30))
    plt.clear_figure()
    plt.plotsize(min(cols, width), height or max(15, min(rows - 8, 24)))
    color = color_enabled() if color is None else color
    if not color:
        plt.theme("clear")
    for label, xs, ys in scatter:
        plt.scatter(list(map(float, xs)), list(map(float, ys)), label=label, marker="dot")
    # Without colour only the marker tells series apart: give each its own.
    markers = ["braille", "dot"] if color else ["braille", "dot", "x", "+", "*", "o", "@", "#"]
    for i, (label, xs, ys) in enumerate(series):
        pts = [(float(a), float(b)) for a, b in zip(xs, ys) if math.isfinite(a) and math.isfinite(b)]
        if ylog:
            pts = [(a, b) for a, b in pts if b > 0]
        if xlog:
            pts = [(a, b) for a, b in pts if a > 0]
        if not pts:
            continue
        px, py = zip(*pts)
        plt.plot(list(px), list(py), label=label, marker=markers[i % len(markers)])
    if xlog:
        plt.xscale("log")
    if ylog:
        plt.yscale("log")
    if title:
        plt.title(title)
    if xlabel:
        plt.xlabel(xlabel)
    if ylabel:
        plt.ylabel(ylabel)
    text = plt.build()
    plt.clear_figure()
    return text if color else strip_ansi(text)  # the clear theme still leaves reset codes behind


# --- progress ------------------------------------------------------------------------


class Bar:
    """A running progress bar: ``update`` what changed."""

    def __init__(self, progress, task):
        self._progress, self._task = progress, task

    def update(self, *, completed=None, total=None, description=None, info=None) -> None:
        fields = {"info": info} if info is not None else {}
        self._progress.update(self._task, completed=completed, total=total, description=description,
                              **fields)


@contextlib.contextmanager
def progress(description: str, *, total: int | None = None, show: bool = True):
    """A transient progress bar on stderr (description, bar, done/total, elapsed
    time, a free text), shown only on a terminal; yields a ``Bar``, or None when
    nothing is shown (then the caller skips its updates)."""
    if not (show and sys.stderr.isatty()):
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.fields[info]}"),
                  console=stderr()._console, transient=True) as bar:
        yield Bar(bar, bar.add_task(description, total=total, info=""))
