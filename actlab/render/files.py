"""What actlab writes to disk: output paths checked before any work, atomic
writes (of files and of whole folders), matplotlib figures, and the run folder
of ``train --save``."""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from pathlib import Path

from actlab.errors import ActlabError
from actlab.render.terminal import json_text

FIGURE_FORMATS = ("png", "svg", "pdf")


# --- paths -----------------------------------------------------------------------


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


def check_save_dir(path: str, *, overwrite: bool = False) -> Path:
    """The ``--save`` folder, checked before any work: a new folder (its parent
    must exist), an empty one, or a non-empty one only with ``overwrite``."""
    p = Path(path).expanduser()
    if p.exists() and not p.is_dir():
        raise ActlabError(f"bad --save {path!r}: it is a file; --save takes a folder")
    if p.is_dir():
        if any(p.iterdir()) and not overwrite:
            raise ActlabError(f"--save folder {path!r} exists and is not empty; pass --overwrite to write into it")
        if not os.access(p, os.W_OK):
            raise ActlabError(f"bad --save {path!r}: the folder is not writable")
        return p
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ActlabError(f"bad --save {path!r}: folder {str(parent)!r} does not exist")
    return p


# --- writing ----------------------------------------------------------------------


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


def write_folder(folder: Path, write) -> None:
    """Calls ``write(tmp_folder)`` on a new temporary folder beside ``folder``,
    then renames it to ``folder``: the folder appears whole or not at all. A
    folder already there (which the caller checked) is moved aside first and
    removed only once the new one is in place; a failure puts it back."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    aside = None
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; a saved folder is an ordinary folder
        if folder.exists():
            aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
            os.rename(folder, aside / folder.name)
        os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if aside is not None:
            if (aside / folder.name).exists():
                os.rename(aside / folder.name, folder)
            aside.rmdir()
        raise
    if aside is not None:
        shutil.rmtree(aside)


def write_text(path: Path, text: str) -> None:
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)

    write_atomic(path, write)


def csv_text(rows) -> str:
    """Rows (the header first) as CSV text."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


# --- figures -----------------------------------------------------------------------


def new_figure(nrows: int = 1, ncols: int = 1, **kw):
    """A matplotlib figure on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(nrows, ncols, **kw)


def save_figure(fig, path: Path) -> None:
    """Writes a matplotlib figure atomically, in the format of its suffix, and
    closes it (pyplot keeps every open figure alive)."""
    import matplotlib.pyplot as plt

    kind = path.suffix.lower().lstrip(".")
    try:
        write_atomic(path, lambda tmp: fig.savefig(tmp, format=kind, dpi=120, bbox_inches="tight"))
    finally:
        plt.close(fig)


# --- the run folder of train --save -------------------------------------------------


def save_run(folder: Path, *, arrays: dict, history_rows, result, figure) -> None:
    """params.npz (``arrays``), history.csv (``history_rows``, the header first),
    result.json (``result``) and figure.png (``figure``), each written atomically."""
    import numpy as np

    folder.mkdir(exist_ok=True)

    def write_npz(tmp):
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)

    write_atomic(folder / "params.npz", write_npz)
    write_text(folder / "history.csv", csv_text(history_rows))
    write_text(folder / "result.json", json_text(result, indent=2) + "\n")
    save_figure(figure, folder / "figure.png")
