"""What a trained classifier got right and wrong, and how its losses moved:
plain numpy on the numbers the training program returns.

    c = classify(values, y, "multi-class", "softmax", ("0", "1", "2"), split="test")
    c.confusion[i, j]        # rows of true class i predicted as j
    c.per_class[i].f1        # precision, recall, F1 and support of class i
    c.mistakes               # the most confident wrong predictions, most confident first
    overfitting(checkpoints) # None, or where the test loss turned while the training loss fell
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

MISTAKES = 5  # the most confident mistakes a result keeps
OVERFIT_RISE = 0.1  # test loss this far (relative) above its lowest, with the training loss still falling
OVERFIT_MIN_CHECKPOINTS = 5


# --- losses over training -------------------------------------------------------------


class Checkpoints(NamedTuple):
    """The run seen at regular steps, computed inside the training program."""

    step: Any  # optimizer steps taken
    train_loss: Any  # mean loss of the batches since the previous checkpoint
    test_loss: Any  # on the first ``train.TEST_SAMPLE`` test rows (nan without a test split)
    test_score: Any


def checkpoints(step, train_loss, test_loss, test_score, *, has_test: bool) -> Checkpoints:
    """The checkpoints of every program call joined, each step once: the
    intervals of the last call that lie past the end repeat the final step."""
    step = np.asarray(step, np.int64)
    keep = np.concatenate([[True], np.diff(step) > 0]) & (step > 0)
    cols = [np.asarray(a, np.float64)[keep] for a in (train_loss, test_loss, test_score)]
    if not has_test:
        cols[1] = cols[2] = np.full(int(keep.sum()), np.nan)
    return Checkpoints(step[keep], *cols)


def best_step(cp: Checkpoints | None) -> int | None:
    """The step of the checkpoint with the lowest test loss (None without a test split)."""
    if cp is None or not np.isfinite(cp.test_loss).any():
        return None
    return int(cp.step[np.nanargmin(np.where(np.isfinite(cp.test_loss), cp.test_loss, np.nan))])


class Overfitting(NamedTuple):
    """The test loss rose from its lowest while the training loss kept falling."""

    best_step: int
    best_test_loss: float
    final_test_loss: float
    train_loss_at_best: float
    final_train_loss: float
    final_step: int
    rise: float  # final / best test loss - 1
    threshold: float  # the rise that counts (OVERFIT_RISE)


def overfitting(cp: Checkpoints | None) -> Overfitting | None:
    """Overfitting as the checkpoints show it: the last test loss is more than
    ``OVERFIT_RISE`` above the lowest one, taken earlier, and the training loss
    is lower now than it was there. None otherwise, or with fewer than
    ``OVERFIT_MIN_CHECKPOINTS`` checkpoints or no test split."""
    if cp is None or len(cp.step) < OVERFIT_MIN_CHECKPOINTS or not np.isfinite(cp.test_loss).all():
        return None
    b = int(np.argmin(cp.test_loss))
    best, last = float(cp.test_loss[b]), float(cp.test_loss[-1])
    if b == len(cp.step) - 1 or best <= 0 or last < best * (1 + OVERFIT_RISE):
        return None
    if not cp.train_loss[-1] < cp.train_loss[b]:
        return None
    return Overfitting(int(cp.step[b]), best, last, float(cp.train_loss[b]), float(cp.train_loss[-1]),
                       int(cp.step[-1]), last / best - 1, OVERFIT_RISE)


# --- a classifier's answers ------------------------------------------------------------


class ClassStats(NamedTuple):
    name: str
    precision: float  # of the rows predicted as this class, the share that is (0 if none is)
    recall: float  # of the rows of this class, the share predicted as it
    f1: float  # 2 precision recall / (precision + recall), 0 when both are
    support: int  # rows of this class


class Mistake(NamedTuple):
    row: int  # in the evaluated split
    true: str
    predicted: str
    confidence: float  # the probability the network gave its (wrong) answer
    label: str | None = None  # multi-label: which label


class Classification(NamedTuple):
    """A classifier measured on one split (``split``: "test", or "train" without a test split).

    For multi-label, each label is a binary problem: ``classes`` are the labels,
    ``confusion`` is (labels, 2, 2), [[true off, false on], [false off, true on]]
    per label (scikit-learn's ``multilabel_confusion_matrix``), and ``per_class``
    describes each label's "on".
    """

    classes: tuple[str, ...]
    confusion: np.ndarray  # (K, K), rows: true class, columns: predicted
    per_class: tuple[ClassStats, ...]
    mistakes: tuple[Mistake, ...]
    split: str
    predicted: np.ndarray  # per row: the class id; multi-label: (rows, labels) of 0/1
    confidence: np.ndarray  # per row (per row and label): the probability of that answer


def predictions(values, task: str) -> tuple[np.ndarray, np.ndarray]:
    """(predicted class, its probability) from the output layer's values: one
    sigmoid output -> class 1 when p > 0.5; several outputs -> the largest;
    multi-label -> each label on when p > 0.5."""
    values = np.asarray(values, np.float64)
    if task == "multi-label":
        on = values > 0.5
        return on.astype(np.int64), np.where(on, values, 1 - values)
    if values.shape[1] == 1:
        p = values[:, 0]
        on = p > 0.5
        return on.astype(np.int64), np.where(on, p, 1 - p)
    pred = values.argmax(1)
    return pred, values[np.arange(len(pred)), pred]


def _stats(name, tp, fp, fn) -> ClassStats:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ClassStats(name, float(precision), float(recall), float(f1), int(tp + fn))


def classify(values, y, task: str, class_names, *, split: str, n_mistakes: int = MISTAKES) -> Classification:
    """The confusion matrix, per-class precision, recall and F1, and the most
    confident mistakes of output values ``values`` (rows, outputs) against
    labels ``y``."""
    y = np.asarray(y)
    pred, conf = predictions(values, task)
    names = tuple(class_names)
    if task == "multi-label":
        tp = ((pred == 1) & (y == 1)).sum(0)
        fp = ((pred == 1) & (y == 0)).sum(0)
        fn = ((pred == 0) & (y == 1)).sum(0)
        tn = ((pred == 0) & (y == 0)).sum(0)
        confusion = np.stack([np.stack([tn, fp], -1), np.stack([fn, tp], -1)], 1)
        per_class = tuple(_stats(n, tp[k], fp[k], fn[k]) for k, n in enumerate(names))
        rows, labels = np.nonzero(pred != y)
        order = np.lexsort((labels, rows, -conf[rows, labels]))[:n_mistakes]
        mistakes = tuple(Mistake(int(rows[i]), "on" if y[rows[i], labels[i]] else "off",
                                 "on" if pred[rows[i], labels[i]] else "off", float(conf[rows[i], labels[i]]),
                                 names[labels[i]]) for i in order)
        return Classification(names, confusion, per_class, mistakes, split, pred, conf)
    k = len(names)
    confusion = np.bincount(y * k + pred, minlength=k * k).reshape(k, k)
    tp = np.diag(confusion)
    per_class = tuple(_stats(n, tp[c], confusion[:, c].sum() - tp[c], confusion[c].sum() - tp[c])
                      for c, n in enumerate(names))
    wrong = np.flatnonzero(pred != y)
    order = wrong[np.lexsort((wrong, -conf[wrong]))][:n_mistakes]
    mistakes = tuple(Mistake(int(i), names[y[i]], names[pred[i]], float(conf[i])) for i in order)
    return Classification(names, confusion, per_class, mistakes, split, pred, conf)
