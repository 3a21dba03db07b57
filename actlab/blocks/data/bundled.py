"""The real sets, read from the data files scikit-learn ships inside its wheel.

    ds = load_bundled("digits", seed=0)                 # 1,797 8x8 images, pixels in [0, 1]
    ds = load_bundled("digits", seed=0, digits=(0, 1))  # the course's 0-or-1 task (binary)

The files are found with ``importlib.util.find_spec`` and read with numpy:
scikit-learn itself is never imported (it would cost a second of start-up).
Pixels are scaled to [0, 1]; tabular columns are standardized by the training
rows; the test split is stratified (each class keeps its share) and seeded.
"""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np

from actlab.blocks.data.sets import split, split_rng, standardize
from actlab.blocks.data.specs import BUNDLED, DATASETS, SINGLE_LABEL, Dataset
from actlab.errors import ActlabError, unknown


def data_folder() -> Path:
    """scikit-learn's bundled data folder, located without importing it."""
    spec = importlib.util.find_spec("sklearn")
    folder = None
    if spec is not None and spec.submodule_search_locations:
        folder = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data"
    if folder is None or not folder.is_dir():
        raise ActlabError("the real datasets are read from scikit-learn's bundled data files: "
                          "pip install scikit-learn")
    return folder


def _read(path: Path) -> str:
    raw = path.read_bytes()
    return (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("ascii")


def _table(text: str, delimiter: str | None) -> np.ndarray:
    return np.loadtxt(text.splitlines(), delimiter=delimiter, ndmin=2, dtype=np.float64)


def read_raw(name: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """The rows of a bundled set as stored: (x, y, class names; () for regression)."""
    source = BUNDLED.get(name)
    if source is None:
        raise unknown("real dataset", name, BUNDLED)
    folder = data_folder()
    try:
        texts = [_read(folder / f) for f in source.files]
    except OSError as e:
        raise ActlabError(f"cannot read scikit-learn's copy of {name}: {e}") from None
    if name == "digits":  # no header: 64 pixels, then the digit
        table = _table(texts[0], ",")
        return table[:, :-1], table[:, -1].astype(np.int64), tuple(str(k) for k in range(10))
    if name == "diabetes":  # inputs and target in two space-separated files
        return _table(texts[0], None), _table(texts[1], None), ()
    # First line: rows, columns, then the class names; then the rows, class id last.
    head, _, body = texts[0].partition("\n")
    table = _table(body, ",")
    return table[:, :-1], table[:, -1].astype(np.int64), tuple(head.strip().split(",")[2:])


def load_bundled(name: str, *, seed: int = 0, test_frac: float = 0.25,
                 digits: tuple[int, ...] | None = None) -> Dataset:
    """A real set, scaled and split.

    Args:
      name: one of ``BUNDLED``.
      seed: the seed of the split.
      test_frac: the fraction held out, stratified by class.
      digits: for ``digits``, the digits to keep, increasing (two or more of
        0-9); two make a binary task (class 1 is the larger digit), more a
        multi-class one whose class ids follow the digits' order.
    """
    x, y, classes = read_raw(name)
    source, spec = BUNDLED[name], DATASETS[name]
    task = spec.task
    if digits is not None:
        keep = np.isin(y, digits)
        x, y = x[keep], np.searchsorted(np.asarray(digits), y[keep])
        classes = tuple(str(d) for d in digits)
        task = "binary" if len(digits) == 2 else "multi-class"
    rng = split_rng(seed)
    n_out = {"binary": 1, "multi-class": len(classes)}.get(task, y.shape[1] if y.ndim > 1 else 1)
    ds = split(name, task, x, y, source.features, classes or ("y",), n_out, test_frac, rng,
               stratify=task in SINGLE_LABEL)
    if source.pixel_max is not None:
        scale = np.full(x.shape[1], source.pixel_max)
        return ds._replace(x_train=ds.x_train / scale, x_test=ds.x_test / scale, shift=np.zeros_like(scale),
                           scale=scale, image=source.image)
    return standardize(ds)[0]
