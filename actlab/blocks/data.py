"""Deterministic toy datasets and CSV loading.

    ds = make_dataset("moons", seed=0)          # -> Dataset (numpy arrays)
    ds = load_csv("houses.csv", ["price"])      # task inferred from the target

Every generated set is a pure function of its arguments: the same ``seed``
gives the same points on every machine (numpy's PCG64 stream, no jax), so a
sweep over many initialisations can share one dataset. Inputs are float64
numpy arrays of shape (n, features); targets are

- ``binary``: shape (n,), values 0/1;
- ``multi-class``: shape (n,), integer class ids 0..K-1;
- ``multi-label``: shape (n, L), values 0/1, several may be 1 at once;
- ``regression`` / ``non-negative-regression``: shape (n, outputs).

Generated sets other than the four-point logic gates are split into a
training and a held-out test part (``test_frac``); the gates have no split
(accuracy is measured on the four points themselves).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np

from actlab.errors import ActlabError, unknown

TASKS = ("binary", "multi-class", "multi-label", "regression", "non-negative-regression")
TASK_ALIASES = {
    "multiclass": "multi-class", "multi_class": "multi-class",
    "multilabel": "multi-label", "multi_label": "multi-label",
    "nonneg": "non-negative-regression", "non-negative": "non-negative-regression",
    "nonnegative": "non-negative-regression", "non-negative regression": "non-negative-regression",
    "positive": "non-negative-regression",
}
CLASSIFICATION = ("binary", "multi-class", "multi-label")
LOGIC_GATES = ("xor", "and", "or")


# --- the rules: task -> output layer and loss (what `actlab advise` prints) ---------------


class Rule(NamedTuple):
    """The output layer and loss the course notes prescribe for a task."""

    task: str
    output: str
    loss: str
    from_logits: bool
    why: str
    hidden: str
    example: str


HIDDEN_ADVICE = "ReLU by default (tanh also works on small nets); never linear: stacked linear layers collapse to one"
RULES = {
    "binary": Rule("binary", "sigmoid", "bce", True,
                   "one output: sigmoid(z) is the probability of class 1",
                   HIDDEN_ADVICE, "actlab train xor"),
    "multi-class": Rule("multi-class", "softmax", "ce", True,
                        "K outputs: softmax makes one distribution over the K classes",
                        HIDDEN_ADVICE, "actlab train blobs --classes 4"),
    "multi-label": Rule("multi-label", "sigmoid", "bce", True,
                        "one sigmoid per label: labels do not compete, several can be 1",
                        HIDDEN_ADVICE, "actlab train multilabel"),
    "regression": Rule("regression", "linear", "mse", False,
                       "a linear output can take any sign and size",
                       HIDDEN_ADVICE, "actlab train sine"),
    "non-negative-regression": Rule("non-negative-regression", "relu", "mse", False,
                                    "ReLU output: max(0, z) never predicts a negative value",
                                    HIDDEN_ADVICE, "actlab train parabola"),
}


class Spec(NamedTuple):
    """What a generated set is and the network it trains well with by default."""

    task: str
    samples: int
    noise: float
    hidden: tuple[int, ...]
    steps: int
    about: str


# Suggested widths/steps: small enough to train in well under a second on a CPU,
# large enough that the default run reaches the accuracy a user expects.
DATASETS = {
    "xor": Spec("binary", 4, 0.0, (16,), 1000, "the four points of XOR: not linearly separable"),
    "and": Spec("binary", 4, 0.0, (16,), 1000, "the four points of AND"),
    "or": Spec("binary", 4, 0.0, (16,), 1000, "the four points of OR"),
    "xor-noisy": Spec("binary", 400, 0.15, (16,), 1000, "Gaussian clouds around the XOR corners"),
    "moons": Spec("binary", 400, 0.1, (16, 16), 1000, "two interleaved half circles"),
    "circles": Spec("binary", 400, 0.05, (16, 16), 1000, "a ring around a disc"),
    "spiral": Spec("multi-class", 600, 0.2, (64, 64), 2000, "K interleaved spiral arms (--classes)"),
    "blobs": Spec("multi-class", 400, 0.6, (16,), 1000, "K Gaussian clusters (--classes)"),
    "multilabel": Spec("multi-label", 400, 0.0, (16, 16), 1000,
                       "2-D points with 3 labels at once: right (x>0), up (y>0), near (|p|<0.7)"),
    "sine": Spec("regression", 200, 0.1, (32, 32), 1000, "y = sin(x) + noise on [-pi, pi]"),
    "parabola": Spec("non-negative-regression", 200, 0.1, (16, 16), 1000,
                     "y = x^2 * exp(noise) >= 0 on [-2, 2]"),
}


class Dataset(NamedTuple):
    """Training and test arrays plus what they mean."""

    name: str
    task: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]  # class names (binary/multi-class) or output names
    n_outputs: int  # network outputs the task rules call for
    has_test: bool

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])


def names() -> list[str]:
    return list(DATASETS)


def normalize_task(task: str) -> str:
    t = task.strip().lower()
    t = TASK_ALIASES.get(t, t)
    if t not in TASKS:
        raise unknown("task", task, TASKS)
    return t


def make_dataset(name: str, *, seed: int = 0, samples: int | None = None, noise: float | None = None,
                 classes: int = 3, test_frac: float = 0.25) -> Dataset:
    """A generated dataset, deterministic in its arguments.

    Args:
      name: one of ``names()``.
      seed: the random seed of the points and of the split.
      samples: number of points (train + test); default from ``DATASETS``. Ignored by the gates.
      noise: noise level (a standard deviation; for the spiral, of the angle); default from ``DATASETS``.
      classes: number of classes of ``spiral`` and ``blobs``.
      test_frac: fraction held out for testing (not for the logic gates).
    """
    spec = DATASETS.get(name)
    if spec is None:
        raise unknown("dataset", name, DATASETS)
    n = spec.samples if samples is None else int(samples)
    noise = spec.noise if noise is None else float(noise)
    if n < 4 and name not in LOGIC_GATES:
        raise ActlabError(f"bad --samples {n}: need at least 4 points")
    if not (math.isfinite(noise) and noise >= 0):
        raise ActlabError(f"bad --noise {noise}: must be a finite number >= 0")
    if name in ("spiral", "blobs") and not 2 <= classes <= 10:
        raise ActlabError(f"bad --classes {classes}: {name} takes 2 to 10 classes")
    if not 0 <= test_frac < 1:
        raise ActlabError(f"bad --test-frac {test_frac}: must be in [0, 1)")
    rng = np.random.default_rng([seed, 20251123])
    class_names: tuple[str, ...] = ("0", "1")
    if name in LOGIC_GATES:
        x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float64)
        a, b = x[:, 0].astype(bool), x[:, 1].astype(bool)
        y = {"xor": a ^ b, "and": a & b, "or": a | b}[name].astype(np.int64)
        return Dataset(name, "binary", x, y, x, y, ("x1", "x2"), class_names, 1, False)
    if name == "xor-noisy":
        corner = rng.integers(0, 2, size=(n, 2))
        x = corner + noise * rng.standard_normal((n, 2))
        y = corner[:, 0] ^ corner[:, 1]
    elif name == "moons":
        y = rng.integers(0, 2, size=n)
        t = rng.uniform(0, np.pi, size=n)
        upper = np.stack([np.cos(t), np.sin(t)], 1)
        lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1)
        x = np.where(y[:, None] == 0, upper, lower) - [0.5, 0.25]
        x = x + noise * rng.standard_normal((n, 2))
    elif name == "circles":
        y = rng.integers(0, 2, size=n)
        t = rng.uniform(0, 2 * np.pi, size=n)
        r = np.where(y == 0, 1.0, 0.5)  # class 1 is the inner disc
        x = r[:, None] * np.stack([np.cos(t), np.sin(t)], 1) + noise * rng.standard_normal((n, 2))
    elif name == "spiral":
        y = rng.integers(0, classes, size=n)
        r = rng.uniform(0.05, 1.0, size=n)
        t = 4.0 * r + 2 * np.pi * y / classes + noise * rng.standard_normal(n)
        x = r[:, None] * np.stack([np.sin(t), np.cos(t)], 1)
        class_names = tuple(str(k) for k in range(classes))
    elif name == "blobs":
        y = rng.integers(0, classes, size=n)
        angle = 2 * np.pi * np.arange(classes) / classes
        centres = 2.0 * np.stack([np.cos(angle), np.sin(angle)], 1)
        x = centres[y] + noise * rng.standard_normal((n, 2))
        class_names = tuple(str(k) for k in range(classes))
    elif name == "multilabel":
        x = rng.uniform(-1, 1, size=(n, 2))
        y = np.stack([x[:, 0] > 0, x[:, 1] > 0, np.hypot(x[:, 0], x[:, 1]) < 0.7], 1).astype(np.int64)
        x = x + noise * rng.standard_normal((n, 2))
        class_names = ("right", "up", "near")
    elif name == "sine":
        x = rng.uniform(-np.pi, np.pi, size=(n, 1))
        y = np.sin(x) + noise * rng.standard_normal((n, 1))
    else:  # parabola
        x = rng.uniform(-2, 2, size=(n, 1))
        y = x**2 * np.exp(noise * rng.standard_normal((n, 1)))
    features = ("x1", "x2") if x.shape[1] == 2 else ("x",)
    if spec.task in ("regression", "non-negative-regression"):
        class_names = ("y",)
    n_out = {"binary": 1, "multi-class": len(class_names), "multi-label": len(class_names)}.get(spec.task, 1)
    return _split(name, spec.task, x, y, features, class_names, n_out, test_frac, rng)


def _split(name, task, x, y, features, targets, n_out, test_frac, rng) -> Dataset:
    n = x.shape[0]
    n_test = int(round(n * test_frac))
    if test_frac > 0 and n_test == 0 and n >= 2:
        n_test = 1
    if n_test >= n:
        raise ActlabError(f"bad --test-frac {test_frac}: leaves no training data out of {n} rows")
    if n_test == 0:
        return Dataset(name, task, x, y, x, y, features, targets, n_out, False)
    order = rng.permutation(n)
    test, train = order[:n_test], order[n_test:]
    return Dataset(name, task, x[train], y[train], x[test], y[test], features, targets, n_out, True)


# --- CSV -----------------------------------------------------------------------------


def load_csv(path: str | Path, target: list[str], *, task: str | None = None, seed: int = 0,
             test_frac: float = 0.25) -> Dataset:
    """A dataset from a CSV file with a header row and numeric columns.

    The columns named in ``target`` are the targets, the rest the inputs. The
    task is inferred unless given: two values -> binary; a few integers (at
    most 20) -> multi-class; several 0/1 columns -> multi-label; otherwise
    regression. Class values are mapped to ids 0..K-1 in sorted order.

    Raises:
      ActlabError: unreadable file, ragged rows, a non-number or empty cell, a
        missing target column (each names the line and column at fault), or a
        task that the targets cannot have.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ActlabError(f"data file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ActlabError(f"cannot read data file {str(path)!r}: {e}") from None
    rows = list(csv.reader(text.splitlines()))
    lines = [i + 1 for i, row in enumerate(rows) if any(cell.strip() for cell in row)]
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ActlabError(f"{path}: the file is empty; expected a header row and numeric rows")
    header = [h.strip() for h in rows[0]]
    for col, h in enumerate(header, 1):
        if not h:
            raise ActlabError(f"{path} line {lines[0]}, column {col}: empty column name in the header")
    for col, h in enumerate(header, 1):
        if header.index(h) != col - 1:
            raise ActlabError(f"{path} line {lines[0]}, column {col}: duplicate column name {h!r}")
    for t in target:
        if t not in header:
            raise ActlabError(f"{path} line {lines[0]}: no target column {t!r}{_close(t, header)}; "
                              f"columns: {', '.join(header)}")
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
    if len(target) == len(header):
        raise ActlabError(f"{path}: every column is a target; at least one input column is needed")
    t_idx = [header.index(t) for t in target]
    x_idx = [i for i in range(len(header)) if i not in t_idx]
    x, y_raw = values[:, x_idx], values[:, t_idx]
    task = infer_task(y_raw) if task is None else normalize_task(task)
    y, targets, n_out = _encode_targets(y_raw, task, target, path)
    rng = np.random.default_rng([seed, 20251123])
    return _split(path.name, task, x, y, tuple(header[i] for i in x_idx), targets, n_out, test_frac, rng)


def _close(value, choices) -> str:
    from actlab.errors import did_you_mean

    return did_you_mean(value, choices)


def infer_task(y: np.ndarray) -> str:
    """The task a target matrix (n, columns) suggests, by the rules in ``load_csv``."""
    if y.shape[1] > 1:
        return "multi-label" if np.isin(y, (0.0, 1.0)).all() else "regression"
    uniq = np.unique(y[:, 0])
    if len(uniq) == 2:
        return "binary"
    if len(uniq) <= 20 and np.all(uniq == np.round(uniq)) and len(uniq) < y.shape[0]:
        return "multi-class"
    return "regression"


def _encode_targets(y, task, names, path):
    if task in ("binary", "multi-class"):
        if y.shape[1] != 1:
            raise ActlabError(f"--task {task} takes one target column, got {len(names)}: {', '.join(names)}")
        uniq, ids = np.unique(y[:, 0], return_inverse=True)
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


def standardize(ds: Dataset) -> tuple[Dataset, np.ndarray, np.ndarray]:
    """Inputs shifted and scaled to mean 0, std 1 with the training statistics
    (what a network with a default init expects); returns (dataset, mean, std)."""
    mean = ds.x_train.mean(0)
    std = ds.x_train.std(0)
    std = np.where(std > 0, std, 1.0)
    return ds._replace(x_train=(ds.x_train - mean) / std, x_test=(ds.x_test - mean) / std), mean, std
