"""The generated sets: deterministic toy problems, and the train/test split.

Every set is a pure function of its arguments: the same ``seed`` gives the
same points on every machine (numpy's PCG64 stream, no jax).
"""

from __future__ import annotations

import math

import numpy as np

from actlab.blocks.data.specs import BUNDLED, DATASETS, LOGIC_GATES, SINGLE_LABEL, Dataset
from actlab.errors import ActlabError, unknown


def split_rng(seed: int) -> np.random.Generator:
    """The generator of a set's draw and split from its seed (generated, bundled
    and CSV sets alike)."""
    return np.random.default_rng([seed, 20251123])


def make_dataset(name: str, *, seed: int = 0, samples: int | None = None, noise: float | None = None,
                 classes: int = 3, test_frac: float = 0.25) -> Dataset:
    """A generated dataset, deterministic in its arguments (the real sets come
    from ``bundled.load_bundled``).

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
    if name in BUNDLED:
        raise ActlabError(f"{name} is a real set, not a generated one: load_bundled({name!r}) reads it")
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
    rng = split_rng(seed)
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
    return split(name, spec.task, x, y, features, class_names, n_out, test_frac, rng)


def split(name, task, x, y, features, targets, n_out, test_frac, rng, *, stratify=False) -> Dataset:
    """The rows cut into a training and a test part (``test_frac`` of them), at
    random; with ``stratify`` each class keeps its share in both parts."""
    n = x.shape[0]
    n_test = int(round(n * test_frac))
    if test_frac > 0 and n_test == 0 and n >= 2:
        n_test = 1
    if n_test >= n:
        raise ActlabError(f"bad --test-frac {test_frac}: leaves no training data out of {n} rows")
    if n_test == 0:
        return Dataset(name, task, x, y, x, y, features, targets, n_out, False)
    test = rng.permutation(_stratified(y, n_test, rng)) if stratify else rng.permutation(n)[:n_test]
    # The test rows in a random order (the first of them are a fair sample); the
    # training rows in their own order, which nothing depends on (batches are
    # shuffled) and which copies fastest.
    train = np.ones(n, bool)
    train[test] = False
    return Dataset(name, task, x[train], y[train], x[test], y[test], features, targets, n_out, True)


def _stratified(y, k, rng) -> np.ndarray:
    """``k`` row indices drawn so that each class has its share of them: the
    floor of k * n_c / n each, then one more to the largest remainders."""
    _, ids = np.unique(y, return_inverse=True)
    counts = np.bincount(ids)
    quota = k * counts / len(y)
    take = np.floor(quota).astype(int)
    extra = np.argsort(-(quota - take), kind="stable")[: k - take.sum()]
    take[extra] += 1
    return np.concatenate([rng.permutation(np.flatnonzero(ids == c))[:t] for c, t in enumerate(take)])


def subsample(ds: Dataset, frac: float, *, seed: int) -> Dataset:
    """A fraction of the training rows (stratified for classes), the test rows
    untouched: the same test questions for a smaller training set."""
    if not 0 < frac <= 1:
        raise ActlabError(f"bad --train-frac {frac}: must be in (0, 1]")
    n = ds.x_train.shape[0]
    k = max(1, int(round(n * frac)))
    if k == n:
        return ds
    rng = np.random.default_rng([seed, 20251124])
    keep = (_stratified(ds.y_train, k, rng) if ds.task in SINGLE_LABEL
            else rng.permutation(n)[:k])
    keep = np.sort(keep)
    if ds.has_test:
        return ds._replace(x_train=ds.x_train[keep], y_train=ds.y_train[keep])
    return ds._replace(x_train=ds.x_train[keep], y_train=ds.y_train[keep], x_test=ds.x_train[keep],
                       y_test=ds.y_train[keep])


def standardize(ds: Dataset) -> tuple[Dataset, np.ndarray, np.ndarray]:
    """Inputs shifted and scaled to mean 0, std 1 with the training statistics
    (what a network with a default init expects); returns (dataset, mean, std).
    The dataset records them (``shift``, ``scale``) for rows that come later.

    Each column is first divided by its largest magnitude, so that values near
    the largest float (whose sum or square overflows) standardize as well as
    small ones; mean and std are in the data's own units.
    """
    top = np.abs(ds.x_train).max(0)
    top = np.where(top > 0, top, 1.0)
    x_train, x_test = ds.x_train / top, ds.x_test / top
    m, s = x_train.mean(0), x_train.std(0)  # in units of top
    s = np.where(s > 0, s, 1.0 / top)  # a constant column: std 1
    mean, std = m * top, s * top
    return ds._replace(x_train=(x_train - m) / s, x_test=(x_test - m) / s, shift=mean, scale=std), mean, std
