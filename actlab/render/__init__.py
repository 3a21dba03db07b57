"""Everything that draws: JSON, rich tables, terminal charts, figure files.

Renderers take the core's result types and print them; nothing here computes
an experiment. Colour only on a terminal, never with ``NO_COLOR`` (rich and the
chart helper both check).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from actlab.errors import ActlabError


def stdout_console():
    from rich.console import Console

    # Off a terminal rich would wrap at 80 columns; tables read better wider.
    width = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", 140))
    return Console(highlight=False, width=width)


def stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def color_enabled(stream=None) -> bool:
    stream = stream or sys.stdout
    return hasattr(stream, "isatty") and stream.isatty() and "NO_COLOR" not in os.environ


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
        return _float(value)
    if hasattr(value, "tolist"):  # numpy / jax arrays and scalars
        return jsonable(value.tolist())
    if hasattr(value, "__float__"):
        return _float(float(value))
    return str(value)


def _float(x: float):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def print_json(obj) -> None:
    """Prints exactly one strict JSON object on stdout."""
    sys.stdout.write(json.dumps(jsonable(obj), allow_nan=False) + "\n")
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


# --- terminal charts -------------------------------------------------------------


def line_chart(
    series,
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    xlog: bool = False,
    ylog: bool = False,
    width: int | None = None,
    height: int | None = None,
    color: bool | None = None,
) -> str:
    """A terminal line chart (plotext) of ``series``: ``[(label, xs, ys), ...]``.

    Non-finite points are left out (a chart cannot show them). Returns the
    chart as text.
    """
    import plotext as plt

    cols, rows = shutil.get_terminal_size((100, 30))
    plt.clear_figure()
    plt.plotsize(width or min(cols, 110), height or max(15, min(rows - 8, 24)))
    color = color_enabled() if color is None else color
    if not color:
        plt.theme("clear")
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
    if not color:  # the clear theme still leaves reset codes behind
        text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return text


# --- files -----------------------------------------------------------------------

FIGURE_FORMATS = ("png", "svg", "pdf")


def check_save_path(path: str, *, overwrite: bool = False, formats=FIGURE_FORMATS,
                    option: str = "--save") -> Path:
    """Validates an output path (of ``option``) before any work is done.

    The format comes from the suffix (any, with ``formats=None``); the folder
    must exist and be writable; an existing file is kept unless ``overwrite``.
    """
    p = Path(path).expanduser()
    suffix = p.suffix.lower().lstrip(".")
    if formats and suffix not in formats:
        raise ActlabError(f"bad {option} path {path!r}: the suffix must be one of {', '.join('.' + f for f in formats)}")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise ActlabError(f"bad {option} path {path!r}: folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise ActlabError(f"bad {option} path {path!r}: folder {str(folder)!r} is not writable")
    if p.is_dir():
        raise ActlabError(f"bad {option} path {path!r}: it is a folder")
    if p.exists() and not overwrite:
        raise ActlabError(f"{option} path {path!r} exists; pass --overwrite to replace it")
    return p


def write_atomic(path: Path, write) -> None:
    """Calls ``write(tmp_path)`` on a temporary file beside ``path``, then renames
    it into place, so a reader never sees half a file and a failure leaves the
    old file as it was."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent or ".")
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a saved file is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_figure(fig, path: Path) -> None:
    """Writes a matplotlib figure atomically, in the format of its suffix, and
    closes it (pyplot keeps every open figure alive)."""
    import matplotlib.pyplot as plt

    fmt_ = path.suffix.lower().lstrip(".")
    try:
        write_atomic(path, lambda tmp: fig.savefig(tmp, format=fmt_, dpi=120, bbox_inches="tight"))
    finally:
        plt.close(fig)


def new_figure(nrows: int = 1, ncols: int = 1, **kw):
    """A matplotlib figure on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(nrows, ncols, **kw)
