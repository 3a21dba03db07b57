"""The terminal: the one module that talks to rich and plotext.

Views build what they show from the core's result types with the pieces here
and never call rich or plotext themselves:

- ``stdout()`` and ``stderr()``: a ``Screen`` that prints lines, notes,
  commands, tables and charts at its width;
- ``paint`` and ``join``: words in a style ("good", "bad", "warn", "dim",
  "bold", "italic", or a colour); a plain ``str`` is printed as it is, never
  read as markup;
- ``Table``: columns and rows; the screen lays them out for its width;
- ``Chart``: a line chart (plotext), printed by ``Screen.chart`` or drawn on a board;
- ``progress``: the transient progress bar on stderr, shown only on a terminal;
- ``live``: a ``Board`` on stdout redrawn in place (an animation), and
  ``beside`` to set parts side by side on it;
- ``print_json`` / ``jsonable``: strict JSON on stdout;
- ``fmt``, ``sci``: numbers as short text; ``strip_ansi``.

Width: a terminal's own; piped, ``COLUMNS`` when set, else 80. Every view is
laid out for that width: a table that does not fit wraps its prose at words,
then moves its secondary columns into a second table, then shows each row as
a block of lines; a number, a verdict or a check mark is never broken, cropped
or ellipsized. Colour only on a terminal, never with ``NO_COLOR``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import re
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Semantic styles of the views, as rich styles; anything else (a colour, "on
# #102030") passes through.
STYLES = {"good": "green", "bad": "red", "warn": "yellow", "dim": "dim", "bold": "bold", "italic": "italic"}


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
    """``text`` in a style: semantic words ("good bad warn dim bold italic") or colours."""
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


def _plain(cell) -> str:
    return cell if isinstance(cell, str) else cell.plain


def _cell_len(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def _width(cell) -> int:
    """Columns of the widest line of a cell."""
    return max((_cell_len(line) for line in _plain(cell).split("\n")), default=0)


def _longest_word(cell) -> int:
    return max((_cell_len(word) for word in _plain(cell).split()), default=0)


def _spaced(row_lines) -> bool:
    """Whether rows read apart only with a blank line between: when several take several lines."""
    return sum(n > 1 for n in row_lines) > 1


def _wrapped_lines(cell, width: int) -> int:
    """Lines a cell takes when wrapped at words to ``width`` columns."""
    lines = 0
    for paragraph in _plain(cell).split("\n"):
        lines += 1
        used = 0
        for word in paragraph.split():
            n = _cell_len(word)
            if used and used + 1 + n > width:
                lines += 1
                used = n
            else:
                used += n + (1 if used else 0)
    return lines


# --- tables ------------------------------------------------------------------------


@dataclasses.dataclass
class Column:
    header: str
    align: str = "left"  # "left" | "right"
    wrap: bool = False  # prose: may wrap at words; else never broken
    key: bool = False  # names the row: repeated in a split-off table, heads a stacked row
    secondary: bool = False  # moves into a second table when the table does not fit

    def span(self, cells) -> tuple[int, int]:
        """(narrowest, widest) width: never below a cell that must stay whole
        (a whole word of prose), nor below a word of the header."""
        header_word = _longest_word(self.header)
        widest = max([_cell_len(self.header)] + [_width(c) for c in cells])
        whole = [_longest_word(c) if self.wrap else _width(c) for c in cells]
        return max([header_word] + whole), widest


GAP = 2  # columns between two table columns


class Table:
    """A title, columns, rows and a caption, laid out by ``Screen.table`` for
    the width at hand (see the module docstring)."""

    def __init__(self, title="", *, caption=""):
        self.title, self.caption = title, caption
        self.columns: list[Column] = []
        self.rows: list = []  # a tuple of cells, or None for a section break

    def column(self, header: str, **kw) -> None:
        self.columns.append(Column(header, **kw))

    def row(self, *cells) -> None:
        self.rows.append(cells)

    def section(self) -> None:
        """A rule before the next row (a group of rows, such as one dtype's)."""
        if self.rows and self.rows[-1] is not None:
            self.rows.append(None)

    # --- layout

    def _cells(self, i):
        return [r[i] for r in self.rows if r is not None]

    def _widths(self, picks, room: int):
        """Widths of the columns ``picks`` within ``room`` columns (the fewest
        lines of text), or None when they cannot fit."""
        spans = [self.columns[i].span(self._cells(i)) for i in picks]
        room -= GAP * (len(picks) - 1)
        if sum(hi for _, hi in spans) <= room:
            return [hi for _, hi in spans]
        if sum(lo for lo, _ in spans) > room:
            return None
        widths = [lo for lo, _ in spans]
        # The room left goes a column at a time where it saves the most lines;
        # while nothing saves a line, to the column that wants the most.
        lines = self._lines(picks, widths)
        while sum(widths) < room:
            best, fewest = None, lines
            for k in range(len(picks)):
                if widths[k] < spans[k][1]:
                    widths[k] += 1
                    n = self._lines(picks, widths)
                    widths[k] -= 1
                    if n < fewest:
                        best, fewest = k, n
            if best is None:
                best = max(range(len(picks)), key=lambda k: spans[k][1] - widths[k])
            widths[best] += 1
            lines = fewest
        return widths

    def _lines(self, picks, widths) -> int:
        """Lines the header and the rows take with these widths (with the blank
        lines between rows of a table whose rows take several)."""
        total = max(_wrapped_lines(self.columns[i].header, w) for i, w in zip(picks, widths))
        rows = [max(_wrapped_lines(cells[i], w) for i, w in zip(picks, widths))
                for cells in self.rows if cells is not None]
        return total + sum(rows) + (len(rows) - 1 if _spaced(rows) else 0)

    def fits(self, width: int) -> bool:
        """Whether every column fits side by side in ``width`` columns."""
        return self._widths(list(range(len(self.columns))), width) is not None

    def layout(self, width: int):
        """[(column indices, their widths)] for one table or two, or None to
        stack the rows: one table when it fits, two when the columns fit only
        so, or when two take fewer lines."""
        everything = list(range(len(self.columns)))
        keys = [i for i, c in enumerate(self.columns) if c.key] or [0]
        second = [i for i, c in enumerate(self.columns) if c.secondary and i not in keys]
        first = [i for i in everything if i not in second]
        one = self._widths(everything, width)
        two = None
        if second:
            w1, w2 = self._widths(first, width), self._widths(keys + second, width)
            if w1 is not None and w2 is not None:
                two = [(first, w1), (keys + second, w2)]
        if one is not None and (two is None or self._lines(everything, one)
                                <= sum(self._lines(p, w) + 2 for p, w in two)):
            return [(everything, one)]
        return two

    def _rich(self, picks, widths, *, title=None):
        from rich import box
        from rich.table import Table as RichTable

        rows = [max(_wrapped_lines(r[i], w) for i, w in zip(picks, widths)) for r in self.rows if r is not None]
        t = RichTable(title=_text(title) if title else None, title_justify="left", title_style="italic",
                      box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True,
                      leading=int(_spaced(rows)))
        for i, w in zip(picks, widths):
            c = self.columns[i]
            t.add_column(_text(c.header), justify=c.align, width=w, overflow="fold")
        pending = False
        for cells in self.rows:
            if cells is None:
                pending = True
                continue
            if pending and t.row_count:
                t.add_section()
            pending = False
            t.add_row(*(_text(cells[i]) for i in picks))
        return t

    def _stacked(self, width: int):
        """Each row as a block: its key cells, then one line per other column."""
        from rich.console import Group
        from rich.table import Table as RichTable

        keys = [i for i, c in enumerate(self.columns) if c.key] or [0]
        rest = [i for i in range(len(self.columns)) if i not in keys]
        label = max((_cell_len(self.columns[i].header) for i in rest), default=0)
        blocks = []
        for cells in self.rows:
            if cells is None:
                continue
            if blocks:
                blocks.append(_text(""))
            head = [cells[i] for i in keys if _plain(cells[i])]
            title = join(*(part for k, c in enumerate(head) for part in ([", "] if k else []) + [c]))
            title.stylize("bold")
            blocks.append(title)
            grid = RichTable.grid(padding=(0, 2), pad_edge=False)
            grid.add_column(width=min(label, width // 3), style="dim")
            grid.add_column(overflow="fold")
            for i in rest:
                grid.add_row(_text(self.columns[i].header), _text(cells[i]))
            blocks.append(grid)
        return Group(*blocks)


# --- screens -----------------------------------------------------------------------


def _table_parts(table: Table, width: int) -> list:
    """What ``table`` prints as, laid out for ``width``: its title, one or two
    tables (or the stacked rows), its caption."""
    parts = [paint(table.title, "italic")] if table.title else []
    layout = table.layout(width)
    if layout is None:
        parts.append(table._stacked(width))
    else:
        for k, (picks, widths) in enumerate(layout):
            parts += [_text("")] * bool(k) + [table._rich(picks, widths)]
    return parts + ([paint(table.caption, "dim")] if table.caption else [])


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
        """One paragraph, wrapped at words to the width; ``wrap=False`` for
        lines already laid out for it (pictures)."""
        self._console.print(join(*parts), style=_rich_style(style) or None, soft_wrap=not wrap)

    def note(self, text: str) -> None:
        """Secondary prose, dimmed."""
        self.line(text, style="dim")

    def blank(self) -> None:
        self._console.print()

    def command(self, command: str, *, lead: str = "") -> None:
        """A shell command after ``lead``: on the same line when it fits, else on
        lines of its own cut at spaces, each but the last ending in `` \\`` so
        that it still pastes as one command."""
        if _cell_len(f"{lead} {command}") <= self.width:
            self._console.print(_text(f"{lead} {command}".strip()), soft_wrap=True)
            return
        if lead:
            self.line(lead)
        lines, current = [], " "
        for word in command.split(" "):
            if current.strip() and _cell_len(f"{current} {word} \\") > self.width:
                lines.append(current + " \\")
                current = "    " + word
            else:
                current = f"{current} {word}"
        for line in lines + [current]:
            self._console.print(_text(line), soft_wrap=True)

    def table(self, table: Table) -> None:
        for part in _table_parts(table, self.width):
            self._console.print(part)

    def side_by_side(self, tables) -> None:
        """Small tables next to each other as far as the width allows, each with
        its title; one under the other when one of them needs the whole width."""
        from rich.columns import Columns

        layouts = [t.layout(self.width) for t in tables]
        if any(parts is None or len(parts) > 1 for parts in layouts):
            for t in tables:
                self.table(t)
            return
        self._console.print(Columns([t._rich(*parts[0], title=t.title) for t, parts in zip(tables, layouts)],
                                    padding=(1, 3)))

    @property
    def height(self) -> int:
        return self._console.height

    @property
    def is_terminal(self) -> bool:
        return self._console.is_terminal

    def chart(self, series, **kw) -> None:
        """A ``Chart`` of ``series`` (``[(label, xs, ys), ...]``; ``kw`` as ``Chart``'s),
        at most 110 columns wide, its title above and its legend below."""
        chart = Chart(series, **kw)
        if chart.title:
            self.line(chart.title, style="italic")
        text, legend = chart.draw(min(self.width, chart.width), self.color,
                                  chart.height or max(12, min(self._console.height - 8, 20)))
        self._console.file.write(text.rstrip("\n") + "\n")
        self._console.file.flush()
        self.line(join(*legend))


def stdout() -> Screen:
    from rich.console import Console

    return Screen(Console(highlight=False))


def stderr() -> Screen:
    from rich.console import Console

    return Screen(Console(stderr=True, highlight=False))


# --- terminal charts -------------------------------------------------------------

# A marker per series, so that series differ without colour too, and its legend glyph.
MARKERS = (("braille", "⣿"), ("dot", "•"), ("x", "x"), ("+", "+"), ("*", "*"), ("o", "o"), ("@", "@"), ("#", "#"),
           ("%", "%"), ("&", "&"))
COLORS = (("blue+", "bright_blue"), ("red+", "bright_red"), ("green+", "bright_green"),
          ("orange+", "dark_orange"), ("magenta+", "bright_magenta"), ("cyan+", "bright_cyan"),
          ("gray+", "white"))


@dataclasses.dataclass
class Chart:
    """A line chart of ``series`` and ``scatter`` points (each ``[(label, xs,
    ys), ...]``), its title above and its legend below; ``xlim``: the x range
    (else the data's); ``vlines``: x positions marked by a vertical line."""

    series: list
    title: str = ""
    xlabel: str = ""
    ylabel: str = ""
    xlog: bool = False
    ylog: bool = False
    x_integers: bool = False
    height: int | None = None
    width: int = 110
    scatter: list = ()
    xlim: tuple | None = None
    vlines: list = ()

    def draw(self, width: int, color: bool, height: int):
        """(text, legend) at this size."""
        import plotext as plt

        plt.clear_figure()
        plt.plotsize(width, height)
        plt.theme("clear")  # the terminal's own background; series get colours below
        legend, xs_all, ys_all = [], [], []
        drawn = ([(label, xs, ys, True) for label, xs, ys in self.scatter]
                 + [(label, xs, ys, False) for label, xs, ys in self.series])
        # Points are dots; lines take the other markers in turn.
        line_markers = [m for m in MARKERS if not self.scatter or m[0] != "dot"]
        for k, (label, xs, ys, points) in enumerate(drawn):
            pts = [(float(a), float(b)) for a, b in zip(xs, ys)
                   if math.isfinite(float(a)) and math.isfinite(float(b))]
            pts = [(a, b) for a, b in pts if (a > 0 or not self.xlog) and (b > 0 or not self.ylog)]
            marker, glyph = ("dot", "•") if points else line_markers[(k - len(self.scatter)) % len(line_markers)]
            plot_color, legend_color = COLORS[k % len(COLORS)]
            legend += (["   "] if legend else []) + [paint(glyph * 2, legend_color if color else ""), f" {label}"]
            if not pts:
                continue
            px = [math.log10(a) if self.xlog else a for a, _ in pts]
            py = [math.log10(b) if self.ylog else b for _, b in pts]
            xs_all += px
            ys_all += py
            draw = plt.scatter if points else plt.plot
            draw(px, py, marker=marker, **({"color": plot_color} if color else {}))
        to_x = lambda a: math.log10(a) if self.xlog else a  # noqa: E731
        if self.xlim is not None:
            xs_all = [to_x(a) for a in self.xlim]
            plt.xlim(*xs_all)
        for a in self.vlines:
            plt.vline(to_x(float(a)))
        if xs_all and ys_all:
            plt.xticks(*_ticks(min(xs_all), max(xs_all), log=self.xlog, integers=self.x_integers,
                               count=max(2, width // 16)))
            plt.yticks(*_ticks(min(ys_all), max(ys_all), log=self.ylog, integers=False, count=max(2, height // 4)))
        if self.xlabel:
            plt.xlabel(self.xlabel)
        if self.ylabel:
            plt.ylabel(self.ylabel)
        text = plt.build()
        plt.clear_figure()
        return (text if color else strip_ansi(text)), legend


def _ticks(lo: float, hi: float, *, log: bool, integers: bool, count: int):
    """Tick positions and labels on [lo, hi] (log10 units on a log axis):
    powers of ten (1e-6) on a log axis, or 1, 2 and 5 times them when fewer
    than two decades fit; round numbers (whole ones for ``integers``) on a
    linear axis."""
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    if log:
        decades = list(range(math.ceil(lo - 1e-9), math.floor(hi + 1e-9) + 1))
        if len(decades) >= 2:
            step = math.ceil(len(decades) / count)
            decades = [k for k in decades if k % step == 0] or decades[:1]
            return [float(k) for k in decades], [_decade(k) for k in decades]
        values = [m * 10.0 ** k for k in range(math.floor(lo) - 1, math.ceil(hi) + 1) for m in (1, 2, 5)
                  if lo - 1e-9 <= math.log10(m * 10.0 ** k) <= hi + 1e-9]
        if len(values) >= 2:
            values = values[::math.ceil(len(values) / count)]
            return [math.log10(v) for v in values], [f"{v:g}" for v in values]
        values = _round_steps(10 ** lo, 10 ** hi, count, integers=False)
        return [math.log10(v) for v in values if v > 0], [f"{v:g}" for v in values if v > 0]
    values = _round_steps(lo, hi, count, integers=integers)
    return values, [f"{v:g}" if integers or abs(v) >= 1e-4 or v == 0 else sci(v) for v in values]


def _decade(k: int) -> str:
    return f"{10.0 ** k:g}" if -2 <= k <= 3 else f"1e{k}"


def _round_steps(lo: float, hi: float, count: int, *, integers: bool) -> list[float]:
    """Multiples of 1, 2 or 5 times a power of ten in [lo, hi]: at least two,
    about ``count`` of them."""
    raw = (hi - lo) / max(1, count)
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = min((m * power for m in (1, 2, 5, 10)), key=lambda c: abs(math.log(c / raw))) if raw > 0 else 1.0
    if integers:
        step = max(1, round(step))
    first = math.ceil(lo / step - 1e-9) * step
    count_in = math.floor((hi - first) / step + 1e-9) + 1
    return [round(first + k * step, 12) for k in range(max(1, count_in))]


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
    """A transient progress bar on stderr (a spinner, description, bar,
    done/total, elapsed time, a free text), shown only on a terminal; yields a
    ``Bar``, or None when nothing is shown (then the caller skips its updates)."""
    if not (show and sys.stderr.isatty()):
        yield None
        return
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                               TimeElapsedColumn)

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.fields[info]}"),
                  console=stderr()._console, transient=True) as bar:
        yield Bar(bar, bar.add_task(description, total=total, info=""))


# --- animation -------------------------------------------------------------------------


class _Beside:
    def __init__(self, parts, gap: int):
        self.parts, self.gap = parts, gap


def beside(*parts, gap: int = 2):
    """Parts set side by side on a ``Board`` (top-aligned)."""
    return _Beside(parts, gap)


class Board:
    """A part of stdout redrawn in place by ``draw`` (from ``live``)."""

    def __init__(self, live, screen: Screen):
        self._live, self._screen = live, screen

    def draw(self, parts) -> None:
        """Replaces what the board shows with ``parts``, stacked: lines (``str``
        or painted text), tables (at their widest), ``Chart`` objects (at
        their own width and height) and ``beside`` rows."""
        from rich.console import Group

        self._live.update(Group(*(self._renderable(p) for p in parts)), refresh=True)

    def _renderable(self, part):
        from rich.console import Group
        from rich.table import Table as RichTable

        from rich.text import Text

        if isinstance(part, Table):
            return Group(*_table_parts(part, self._screen.width))
        if isinstance(part, Chart):
            text, legend = part.draw(part.width, self._screen.color, part.height or 12)
            return Group(*([paint(part.title, "italic")] if part.title else []),
                         Text.from_ansi(text.rstrip("\n")), join(*legend))
        if isinstance(part, _Beside):
            grid = RichTable.grid(padding=(0, part.gap))
            for _ in part.parts:
                grid.add_column(vertical="top")
            grid.add_row(*(self._renderable(p) for p in part.parts))
            return grid
        return _text(part)


@contextlib.contextmanager
def live(screen: Screen):
    """A ``Board`` on ``screen`` (a terminal): each ``draw`` replaces the last;
    the board is cleared when the block ends, so what follows prints as usual."""
    from rich.live import Live

    with Live(console=screen._console, auto_refresh=False, transient=True,
              vertical_overflow="crop", redirect_stdout=False, redirect_stderr=False) as board:
        yield Board(board, screen)
