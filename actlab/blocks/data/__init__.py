"""Datasets: what each set is, the task rules, and (loaded on first use) the
generated sets and CSV files.

    ds = make_dataset("moons", seed=0)          # -> Dataset (numpy arrays)
    ds = load_bundled("digits", seed=0)         # a real set from scikit-learn's wheel
    ds = load_csv("houses.csv", ["price"])      # task inferred from the target
    ds, warnings = load(Request(path="houses.csv", target=("price",)))   # any of them, as asked

The tables (``specs``: ``TASKS``, ``RULES``, ``DATASETS``, ``BUNDLED``) are
plain Python, so the command line reads names and defaults without numpy;
``make_dataset``, ``load_bundled``, ``load_csv`` and ``standardize`` come from
``sets``, ``bundled`` and ``csvfile`` when first asked for.

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
(accuracy is measured on the four points themselves). The real sets (digits,
iris, wine, breast-cancer, diabetes) are read from the copies scikit-learn
ships, scaled (pixels to [0, 1], other columns standardized) and split with
each class keeping its share.
"""

from __future__ import annotations

import dataclasses
import importlib

from actlab.blocks.data.specs import (  # noqa: F401  (the package's names)
    BUNDLED, CLASSIFICATION, DATASETS, HIDDEN_ADVICE, LOGIC_GATES, RULES, SINGLE_LABEL, TASK_ALIASES, TASKS, Dataset, Rule,
    Spec, names, normalize_task,
)
from actlab.errors import ActlabError, unknown
from actlab.limits import check_memory


@dataclasses.dataclass(frozen=True)
class Request:
    """A dataset as asked for: a generated set by name, or a CSV file.

    Attributes:
      name: a dataset of ``DATASETS`` (generated or real), or None with ``path``.
      path: a CSV file with a header row, or None with ``name``.
      target: the CSV's target column(s).
      task: override the task inferred from a CSV's target (for a named set it
        may only repeat the set's own task).
      standardize: scale a CSV's inputs to mean 0, std 1 by the training rows.
      samples, noise, classes: the generated set's size, noise and classes.
      test_frac: the fraction held out for testing.
      train_frac: the fraction of the training rows kept (the test rows stay).
      digits: for ``digits``, the digits to tell apart (two or more, increasing).
      seed: the seed of the points and of the split.
    """

    name: str | None = None
    path: str | None = None
    target: tuple[str, ...] = ()
    task: str | None = None
    standardize: bool = True
    samples: int | None = None
    noise: float | None = None
    classes: int = 3
    test_frac: float = 0.25
    train_frac: float = 1.0
    digits: tuple[int, ...] | None = None
    seed: int = 0

    def __post_init__(self):
        if (self.name is None) == (self.path is None):
            raise ActlabError("give a DATASET name or --data FILE.csv (one of the two)")
        if self.path is not None and not self.target:
            raise ActlabError("--data needs --target COLUMN[,COLUMN...]")
        if self.path is None and (self.target or not self.standardize):
            raise ActlabError("--target and --no-standardize go with --data FILE.csv")
        if self.name is not None and self.name not in DATASETS:
            raise unknown("dataset", self.name, DATASETS)
        if self.digits is not None:
            if self.name != "digits":
                raise ActlabError(f"--digits goes with the digits set, not {self.name or self.path}")
            bad = [d for d in self.digits if not 0 <= d <= 9]
            if bad or len(set(self.digits)) < 2:
                raise ActlabError(f"bad --digits {','.join(map(str, self.digits))}: give two or more "
                                  "different digits from 0 to 9, e.g. 0,1 or 3,5,8")
            object.__setattr__(self, "digits", tuple(sorted(set(self.digits))))
        if not 0 < self.train_frac <= 1:
            raise ActlabError(f"bad --train-frac {self.train_frac}: must be in (0, 1]")


def load(request: Request) -> tuple[Dataset, list[str]]:
    """The dataset of a request, and warnings about options that do not apply."""
    from actlab.blocks.data.bundled import load_bundled
    from actlab.blocks.data.csvfile import load_csv
    from actlab.blocks.data.sets import make_dataset, standardize, subsample

    warnings = []
    if request.path is not None:
        ds = load_csv(request.path, list(request.target), task=request.task, seed=request.seed,
                      test_frac=request.test_frac)
        if request.standardize:
            ds, _, _ = standardize(ds)
    elif request.name in BUNDLED:
        ds = load_bundled(request.name, seed=request.seed, test_frac=request.test_frac,
                          digits=request.digits)
        if request.samples is not None or request.noise is not None:
            warnings.append(f"{request.name} is a fixed set of {DATASETS[request.name].samples} rows: "
                            "--samples and --noise do not apply")
    else:
        if request.name in DATASETS and request.name not in LOGIC_GATES:
            n = DATASETS[request.name].samples if request.samples is None else request.samples
            # the points, their labels, the noise drawn and the split's copies, in float64
            check_memory(16 * 8 * n, f"--samples {n}", "use a smaller --samples")
        ds = make_dataset(request.name, seed=request.seed, samples=request.samples,
                          noise=request.noise, classes=request.classes, test_frac=request.test_frac)
        if request.name in LOGIC_GATES and (request.samples is not None or request.noise is not None):
            warnings.append(f"{request.name} is its four points: --samples and --noise do not apply "
                            "(try xor-noisy)")
    if request.task is not None and request.path is None and normalize_task(request.task) != ds.task:
        raise ActlabError(f"--task {request.task} does not fit the {request.name} set (its task is "
                          f"{ds.task}); --task is for --data")
    if request.train_frac < 1:
        ds = subsample(ds, request.train_frac, seed=request.seed)
    return ds, warnings


# Loaded on first use: numpy stays off the --help path.
_LAZY = {"make_dataset": "sets", "split": "sets", "standardize": "sets", "subsample": "sets",
         "load_bundled": "bundled", "load_csv": "csvfile", "read_table": "csvfile", "infer_task": "csvfile",
         "fmt_value": "csvfile"}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
