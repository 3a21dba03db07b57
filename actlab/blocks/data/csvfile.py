"""Datasets from CSV files: a header row and numeric columns."""

from __future__ import annotations

import csv
import io
import math
import warnings
from pathlib import Path

import numpy as np

from actlab.blocks.data.specs import SINGLE_LABEL, Dataset, normalize_task
from actlab.blocks.data.sets import split, split_rng
from actlab.errors import ActlabError, did_you_mean
from actlab.limits import MAX_READ_BYTES, open_regular, read_text


def read_table(path: str | Path) -> tuple[list[str], np.ndarray, int]:
    """The header and the numeric rows of a CSV file: (column names, float64
    array (rows, columns), the header's line number).

    numpy's C parser reads a well-formed file; anything it refuses (or a
    non-finite value) is read again cell by cell, which names the line and
    column at fault.

    Raises:
      ActlabError: a missing or unreadable file, anything but a regular file, a
        file over ``actlab.limits.MAX_READ_BYTES``, no header, empty or
        duplicate column names, ragged rows, a cell past the csv module's field
        limit, a non-number or empty cell, no data rows.
    """
    path = Path(path)
    with open_regular(path, what="--data") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig") as f:
        try:
            line_no, first = 0, ""
            for first in iter(f.readline, ""):
                line_no += 1
                if first.strip(" \t\r\n,"):
                    break
            header = [h.strip() for h in next(iter(_rows(path, [first])), [])]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # numpy warns about a file without rows
                # numpy's C reader, on the rest of the file already open
                values = np.loadtxt(f, delimiter=",", ndmin=2, comments=None, quotechar='"', dtype=np.float64)
            if (values.shape[0] and values.shape[1] == len(header) and np.isfinite(values).all()
                    and raw.tell() <= MAX_READ_BYTES):
                _check_header(path, header, line_no)
                return header, values, line_no
        except (ValueError, OSError):  # not UTF-8, not numbers ...: the careful reading below says where
            pass
    return _read_carefully(path, read_text(path, what="--data"))


def _check_header(path, header, line):
    if not any(header):
        raise ActlabError(f"{path}: the file is empty; expected a header row and numeric rows")
    for col, h in enumerate(header, 1):
        if not h:
            raise ActlabError(f"{path} line {line}, column {col}: empty column name in the header")
    for col, h in enumerate(header, 1):
        if header.index(h) != col - 1:
            raise ActlabError(f"{path} line {line}, column {col}: duplicate column name {h!r}")


def _rows(path: Path, lines) -> list[list[str]]:
    reader = csv.reader(lines)
    try:
        return list(reader)
    except csv.Error as e:  # a cell past csv.field_size_limit(), a stray quote ...
        raise ActlabError(f"{path} line {reader.line_num}: {e}") from None


def _read_carefully(path: Path, text: str) -> tuple[list[str], np.ndarray, int]:
    """``read_table`` cell by cell: slow, and exact about what is wrong where."""
    rows = _rows(path, text.splitlines())
    lines = [i + 1 for i, row in enumerate(rows) if any(cell.strip() for cell in row)]
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ActlabError(f"{path}: the file is empty; expected a header row and numeric rows")
    header = [h.strip() for h in rows[0]]
    _check_header(path, header, lines[0])
    if len(rows) < 2:
        raise ActlabError(f"{path}: no data rows after the header")
    values = np.empty((len(rows) - 1, len(header)), np.float64)
    for r, (line, row) in enumerate(zip(lines[1:], rows[1:])):
        if len(row) != len(header):
            raise ActlabError(f"{path} line {line}: {len(row)} fields, the header has {len(header)}")
        for c, cell in enumerate(row):
            try:
                v = float(cell)
            except ValueError:
                v = None
            if v is None or not math.isfinite(v):
                what = "an empty cell" if not cell.strip() else f"{cell.strip()!r} is not a finite number"
                raise ActlabError(f"{path} line {line}, column {c + 1} ({header[c]!r}): {what}")
            values[r, c] = v
    return header, values, lines[0]


def load_csv(path: str | Path, target: list[str], *, task: str | None = None, seed: int = 0,
             test_frac: float = 0.25) -> Dataset:
    """A dataset from a CSV file with a header row and numeric columns.

    The columns named in ``target`` are the targets, the rest the inputs. The
    task is inferred unless given: two values -> binary; a few integers (at
    most 20) -> multi-class; several 0/1 columns -> multi-label; otherwise
    regression. Class values are mapped to ids 0..K-1 in sorted order.

    Raises:
      ActlabError: what ``read_table`` refuses, a missing target column, a task
        that the targets cannot have, or multi-label with one target column
        (the other label columns would silently become inputs).
    """
    path = Path(path)
    header, values, header_line = read_table(path)
    for t in target:
        if t not in header:
            raise ActlabError(f"{path} line {header_line}: no target column {t!r}{did_you_mean(t, header)}; "
                              f"columns: {', '.join(header)}")
    if len(target) == len(header):
        raise ActlabError(f"{path}: every column is a target; at least one input column is needed")
    t_idx = [header.index(t) for t in target]
    x_idx = [i for i in range(len(header)) if i not in t_idx]
    x, y_raw = values[:, x_idx], values[:, t_idx]
    values = unique_values(y_raw[:, 0]) if len(target) == 1 else None
    task = infer_task(y_raw, values) if task is None else normalize_task(task)
    y, targets, n_out = _encode_targets(y_raw, task, target, path, values)
    if task == "multi-label" and len(target) == 1:
        raise ActlabError(f"--task multi-label takes every label column as --target, got one ({target[0]!r}): "
                          f"the other columns would be inputs ({', '.join(header[i] for i in x_idx)}); "
                          "name all the labels, e.g. --target tag1,tag2,tag3 (one label is --task binary)")
    rng = split_rng(seed)
    return split(path.name, task, x, y, tuple(header[i] for i in x_idx), targets, n_out, test_frac, rng)


def unique_values(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct values sorted, each row's index among them), as
    ``np.unique(..., return_inverse=True)``; counted without a sort when the
    values are small whole numbers (class labels usually are)."""
    if column.size and column.min() >= 0 and column.max() < 1 << 16:
        whole = column.astype(np.int64)
        if np.array_equal(whole, column):
            present = np.bincount(whole) > 0
            ids = np.cumsum(present) - 1
            return np.flatnonzero(present).astype(column.dtype), ids[whole]
    return np.unique(column, return_inverse=True)


def infer_task(y: np.ndarray, values=None) -> str:
    """The task a target matrix (n, columns) suggests, by the rules in
    ``load_csv``; ``values``: ``unique_values`` of a single column, if known."""
    if y.shape[1] > 1:
        return "multi-label" if np.isin(y, (0.0, 1.0)).all() else "regression"
    uniq, _ = unique_values(y[:, 0]) if values is None else values
    if len(uniq) == 2:
        return "binary"
    if len(uniq) <= 20 and np.all(uniq == np.round(uniq)) and len(uniq) < y.shape[0]:
        return "multi-class"
    return "regression"


def _encode_targets(y, task, names, path, values):
    if task in SINGLE_LABEL:
        if y.shape[1] != 1:
            raise ActlabError(f"--task {task} takes one target column, got {len(names)}: {', '.join(names)}")
        uniq, ids = values
        if task == "binary" and len(uniq) > 2:
            raise ActlabError(f"--task binary: target {names[0]!r} in {path} has {len(uniq)} distinct "
                              "values, binary needs 2")
        if task == "multi-class" and not np.all(uniq == np.round(uniq)):
            raise ActlabError(f"--task multi-class: target {names[0]!r} in {path} has non-integer values")
        if task == "multi-class" and len(uniq) > 100:
            raise ActlabError(f"--task multi-class: target {names[0]!r} has {len(uniq)} classes (at most 100)")
        classes = tuple(fmt_value(v) for v in uniq)
        if task == "binary" and len(classes) == 1:
            classes = classes + ("other",)
        return ids.astype(np.int64), classes, (1 if task == "binary" else len(classes))
    if task == "multi-label":
        if not np.isin(y, (0.0, 1.0)).all():
            raise ActlabError(f"--task multi-label: target columns {', '.join(names)} must hold only 0 and 1")
        return y.astype(np.int64), tuple(names), y.shape[1]
    if task == "non-negative-regression" and (y < 0).any():
        raise ActlabError(f"--task non-negative-regression: target {', '.join(names)} has negative values")
    return y, tuple(names), y.shape[1]


def fmt_value(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


