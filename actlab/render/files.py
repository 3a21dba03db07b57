"""What actlab writes to disk: output paths checked before any work, atomic
writes that never replace what was not checked, matplotlib figures, and the
run folder of ``train --save``.

    target = check_save_path("fig.png", overwrite=False)   # before the work: exit 2 if it cannot be written
    ...                                                     # the work
    save_figure(fig, target)                                # atomically, at the end

The rules, for every file and folder actlab writes:
- Everything is written under a temporary name beside the target and renamed
  into place at the end, so a reader sees the whole result or nothing; a
  failure (a full disk) or a signal removes the temporary file or folder
  (``actlab.cli.main`` turns SIGINT, SIGTERM and SIGHUP into exceptions, and
  calls ``remove_temporaries`` before it ends a process stuck in a library call).
- Without ``overwrite`` the final step creates the target exclusively (a hard
  link of the temporary file, which fails if anything has appeared there, a
  dangling symbolic link included), so a file created while the work ran (by
  the user, or by a second actlab writing the same path) is kept.
- Only regular files are ever replaced (with ``overwrite``); a symbolic link, a
  device, a FIFO or a folder never is. A folder is replaced (with
  ``overwrite``) only when it holds nothing but what actlab writes there.
- The target's folder is checked writable before the work, by creating and
  removing a file there.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import fnmatch
import io
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from actlab.errors import ActlabError
from actlab.render.terminal import json_text

FIGURE_FORMATS = ("png", "svg", "pdf")
# What `train --save` writes; an existing folder that holds only these may be replaced.
RUN_FILES = ("params.npz", "history.csv", "result.json", "figure.png", "layers.csv", "run.json", "mistakes.png")


class Target(NamedTuple):
    """An output path as checked before the work: the path, the option that
    named it (for messages), whether an existing regular file may be replaced,
    and for a folder the names actlab may find (and replace) in it."""

    path: Path
    option: str = "--save"
    overwrite: bool = False
    contents: tuple[str, ...] = ()

    def __str__(self) -> str:
        return str(self.path)

    def __fspath__(self) -> str:
        return os.fspath(self.path)


# --- paths -----------------------------------------------------------------------


def check_save_path(path: str, *, overwrite: bool = False, formats=FIGURE_FORMATS,
                    option: str = "--save") -> Target:
    """Validates an output file (of ``option``) before any work is done.

    The format comes from the suffix (any, with ``formats=None``); the folder
    must exist and be writable; an existing regular file is kept unless
    ``overwrite``; anything else there (a folder, a link, a device) is refused.
    """
    p = _named(path, option)
    suffix = p.suffix.lower().lstrip(".")
    if formats and suffix not in formats:
        raise ActlabError(f"bad {option} {path!r}: the suffix must be one of {', '.join('.' + f for f in formats)}")
    kind = _kind(p)
    if kind == "a folder":
        raise ActlabError(f"bad {option} {path!r}: it is a folder; give a file name")
    _check_replaceable(p, kind, option, overwrite)
    _check_writable(_folder(p), path, option)
    return Target(p, option, overwrite)


def check_save_dir(path: str, *, overwrite: bool = False, option: str = "--save",
                   contents: tuple[str, ...] = RUN_FILES) -> Target:
    """The output folder, checked before any work: a new folder (its parent
    must exist and be writable), an empty one, or with ``overwrite`` one that
    holds only ``contents`` (what actlab writes there: names, or patterns such
    as ``*.png``), which is replaced whole."""
    p = _named(path, option)
    kind = _kind(p)
    if kind == "a folder":
        entries = sorted(os.listdir(p))
        if entries and not overwrite:
            raise ActlabError(f"{option} folder {path!r} exists and is not empty; pass --overwrite to replace it")
        _check_foreign(p, entries, contents, option)
    elif kind is not None:
        raise ActlabError(f"bad {option} {path!r}: it is {kind}; {option} takes a folder")
    _check_writable(_folder(p), path, option)
    return Target(p, option, overwrite, tuple(contents))


def _named(path: str, option: str) -> Path:
    if not str(path).strip():
        raise ActlabError(f"bad {option} {path!r}: expected a file or folder name")
    return Path(path).expanduser()


def _folder(p: Path) -> Path:
    return p.parent if str(p.parent) else Path(".")


def _kind(p: Path) -> str | None:
    """What is at ``p`` itself (a symbolic link is not followed); None: nothing."""
    try:
        mode = os.lstat(p).st_mode
    except FileNotFoundError:
        return None
    except NotADirectoryError:  # a file where a folder of the path should be
        return None
    for test, name in ((stat.S_ISREG, "a regular file"), (stat.S_ISDIR, "a folder"),
                       (stat.S_ISLNK, "a symbolic link"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _check_replaceable(p: Path, kind: str | None, option: str, overwrite: bool) -> None:
    if kind is None:
        return
    if kind != "a regular file":
        raise ActlabError(f"bad {option} {str(p)!r}: it is {kind}; actlab replaces only regular files")
    if not overwrite:
        raise ActlabError(f"{option} {str(p)!r} exists; pass --overwrite to replace it")


def _check_foreign(folder: Path, entries, contents, option: str) -> None:
    foreign = [e for e in entries
               if not any(fnmatch.fnmatchcase(e, c) for c in contents) or _kind(folder / e) != "a regular file"]
    if foreign:
        raise ActlabError(f"bad {option} {str(folder)!r}: it holds {', '.join(foreign[:3])}"
                          f"{' ...' if len(foreign) > 3 else ''}, which actlab did not write there; "
                          "choose another folder")


def _check_writable(folder: Path, path: str, option: str) -> None:
    """A file created and removed in ``folder``: the one test that holds for
    permissions, ACLs, read-only mounts and root alike."""
    if not folder.is_dir():
        raise ActlabError(f"bad {option} {path!r}: folder {str(folder)!r} does not exist")
    try:
        fd, probe = tempfile.mkstemp(prefix=".actlab-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise ActlabError(f"bad {option} {path!r}: cannot write in folder {str(folder)!r} "
                          f"({e.strerror or e})") from None


def _as_target(target) -> Target:
    return target if isinstance(target, Target) else Target(Path(target))


def _appeared(target: Target) -> ActlabError:
    return ActlabError(f"{target.option} {str(target.path)!r} was created while actlab worked; it is kept "
                       "and nothing was written (pass --overwrite to replace it)")


def _failed(target: Target, e: OSError) -> ActlabError:
    return ActlabError(f"could not write {target.option} {str(target.path)!r}: {e.strerror or e}; "
                       "nothing was written")


# --- writing ----------------------------------------------------------------------


def write_atomic(target: Target | Path, write: Callable[[str], None]) -> None:
    """Calls ``write(tmp_path)`` on a temporary file beside the target, then
    puts it in place by the module's rules: a reader never sees half a file,
    and a failure leaves what was there as it was.

    Raises:
      ActlabError: the write failed (a full disk), or the target changed since
        it was checked (something appeared, without ``overwrite``; or it is no
        longer a regular file).
    """
    target = _as_target(target)
    p = target.path
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=p.suffix, dir=_folder(p))
    os.close(fd)
    _TEMPORARY.add(tmp)
    try:
        write(tmp)
        _make_ordinary(tmp, 0o666)
        _commit_file(tmp, target)
    except OSError as e:
        raise _failed(target, e) from None
    finally:
        _remove(tmp)


def _commit_file(tmp: str, target: Target) -> None:
    p = target.path
    if target.overwrite:
        kind = _kind(p)
        if kind not in (None, "a regular file"):
            raise ActlabError(f"bad {target.option} {str(p)!r}: it is now {kind}; actlab replaces only "
                              "regular files")
        os.replace(tmp, p)
        return
    try:
        os.link(tmp, p)  # exclusive: fails if anything is there, even a dangling link
    except FileExistsError:
        raise _appeared(target) from None
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK):
            raise
        # A file system without hard links: check, then rename (a short window).
        if _kind(p) is not None:
            raise _appeared(target) from None
        os.rename(tmp, p)


def write_text(target: Target | Path, text: str) -> None:
    write_atomic(target, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def csv_text(rows) -> str:
    """Rows (the header first) as CSV text."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _make_ordinary(path: str, mode: int) -> None:
    """mkstemp and mkdtemp make 0600 / 0700; a saved file is an ordinary one."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


# Temporary files and folders being written: what a forced stop removes.
_TEMPORARY: set[str] = set()


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.unlink(path)
    _TEMPORARY.discard(path)


def remove_temporaries() -> None:
    """Removes every temporary file or folder still being written (a process
    that must end now calls it, from any thread)."""
    for path in list(_TEMPORARY):
        with contextlib.suppress(OSError):
            _remove(path)


# --- the run folder ---------------------------------------------------------------


def write_folder(target: Target | Path, write: Callable[[Path], None]) -> None:
    """Writes a folder whole or not at all: ``write(tmp)`` fills a new temporary
    folder beside the target (plain writes: ``write_figure``,
    ``Path.write_text``), which is then renamed into place; with ``overwrite``,
    a folder that holds only ``target.contents`` (and what ``write`` wrote) is
    replaced by it.

    Raises:
      ActlabError: as ``write_atomic``.
    """
    target = _as_target(target)
    p = target.path
    tmp = tempfile.mkdtemp(prefix=f".{p.name}.", dir=_folder(p))
    _TEMPORARY.add(tmp)
    try:
        write(Path(tmp))
        names = []
        for entry in os.scandir(tmp):
            _make_ordinary(entry.path, 0o666)
            names.append(entry.name)
        _make_ordinary(tmp, 0o777)
        _commit_folder(tmp, target, tuple(target.contents) + tuple(names))
    except OSError as e:
        raise _failed(target, e) from None
    finally:
        _remove(tmp)


def _commit_folder(tmp: str, target: Target, contents: tuple[str, ...]) -> None:
    p = target.path
    kind = _kind(p)
    if kind is None or (kind == "a folder" and not os.listdir(p)):
        try:
            os.rename(tmp, p)  # fails on anything but nothing or an empty folder
        except OSError as e:
            if e.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR):
                raise _appeared(target) from None
            raise
        return
    if kind != "a folder" or not target.overwrite:
        raise _appeared(target)
    _check_foreign(p, sorted(os.listdir(p)), contents, target.option)
    aside = tempfile.mkdtemp(prefix=f".{p.name}.old.", dir=_folder(p))
    os.rename(p, aside)
    try:
        os.rename(tmp, p)
    except BaseException:
        os.rename(aside, p)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def save_run(folder: Target | Path, *, arrays: dict, tables: dict, result, record, figures: dict) -> list[str]:
    """The run folder, whole or not at all: params.npz (``arrays``), a CSV per
    table (``{"history": rows, ...}``, the header first), result.json
    (``result``), run.json (``record``) and a PNG per figure (``{"figure":
    fig, ...}``). Returns the names written."""
    import matplotlib.pyplot as plt
    import numpy as np

    names = []

    def write(tmp: Path) -> None:
        with open(tmp / "params.npz", "wb") as f:
            np.savez(f, **arrays)
        for name, rows in tables.items():
            (tmp / f"{name}.csv").write_text(csv_text(rows), encoding="utf-8")
        (tmp / "result.json").write_text(json_text(result, indent=2) + "\n", encoding="utf-8")
        (tmp / "run.json").write_text(json_text(record, indent=2) + "\n", encoding="utf-8")
        for name, fig in figures.items():
            write_figure(fig, tmp / f"{name}.png")
        names.extend(sorted(p.name for p in tmp.iterdir()))

    try:
        write_folder(folder, write)
    finally:
        for fig in figures.values():
            plt.close(fig)
    return names


# --- figures -----------------------------------------------------------------------


def new_figure(nrows: int = 1, ncols: int = 1, **kw):
    """A matplotlib figure on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(nrows, ncols, **kw)


def write_figure(fig, path) -> None:
    """Draws a matplotlib figure into ``path``, in the format of its suffix."""
    fig.savefig(path, format=Path(path).suffix.lower().lstrip("."), dpi=120, bbox_inches="tight")


def save_figure(fig, target: Target | Path) -> None:
    """Writes a matplotlib figure atomically, in the format of its suffix, and
    closes it (pyplot keeps every open figure alive)."""
    import matplotlib.pyplot as plt

    target = _as_target(target)
    try:
        write_atomic(target, lambda tmp: write_figure(fig, tmp))
    finally:
        plt.close(fig)
