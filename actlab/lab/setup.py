"""What ``train`` and ``sweep`` share: the defaults that go with a dataset and
the training configuration built by the task rules.

    ds, warnings = data.load(data.Request(name="moons", seed=0))
    config, warnings = make_config(ds, activation=act, optimizer="adam")
    config, warnings = make_config(digits, activation=act, optimizer="adam", epochs=20, batch=32)

A seed of ``sweep`` replays in ``train`` because both configure here.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from actlab.blocks import model
from actlab.blocks.data import CLASSIFICATION, DATASETS, Dataset
from actlab.errors import ActlabError
from actlab.limits import DTYPE_MAX
from actlab.lab.heads import choose_head
from actlab.lab.train import TrainConfig, steps_per_epoch

CSV_HIDDEN, CSV_STEPS = (16, 16), 1000  # the defaults for a CSV file
CONV_CHANNELS = (8, 16)  # --conv without channels


class Defaults(NamedTuple):
    hidden: tuple[int, ...]
    steps: int
    batch: int | None = None
    epochs: int | None = None


def defaults(ds: Dataset) -> Defaults:
    """The network and schedule a dataset trains well with (``DATASETS``; for a
    CSV 16,16 and 1000 full-batch steps)."""
    spec = DATASETS.get(ds.name)
    if spec is None:
        return Defaults(CSV_HIDDEN, CSV_STEPS)
    return Defaults(spec.hidden, spec.steps, spec.batch, spec.epochs)


def make_config(ds: Dataset, *, activation: Any, optimizer: str, hidden=None, steps: int | None = None,
                epochs: int | None = None, batch: int | None = None, l2: float = 0.0, l1: float = 0.0,
                init: str = "auto", dtype: str = "float32", output: str | None = None,
                loss: str | None = None, conv: tuple[int, ...] | None = None,
                features=None) -> tuple[TrainConfig, list[str]]:
    """The training configuration for ``ds``: the head by the task rules (unless
    overridden), the dataset's default widths and schedule where none are
    given. ``epochs`` counts passes over the training rows in batches of
    ``batch`` (the full batch without one): n_train // batch steps each.

    Args:
      conv: channels of 3x3 convolutional layers in front (image data only);
        () for the default ``CONV_CHANNELS``. With them the dense hidden
        layers default to none.
      features: None, or the network's inputs as formulas of the data's
        columns (``actlab.catalog.features``), which then set the input width.

    Returns:
      (config, warnings): one warning per choice that goes against the rules.
    """
    for name, value in (("--l2", l2), ("--l1", l1)):
        if not (math.isfinite(value) and value >= 0):
            raise ActlabError(f"bad {name} {value}: must be a finite number >= 0")
    if conv is not None and features is not None:
        raise ActlabError("--features and --conv do not go together: convolutions read the image's "
                          "pixels as they are")
    check_data_fits(ds, dtype)
    if steps is not None and epochs is not None:
        raise ActlabError(f"--epochs {epochs} and --steps {steps} both set the length of training; give one")
    n_train = ds.x_train.shape[0]
    if batch is not None and batch > n_train:
        raise ActlabError(f"bad --batch {batch}: the training set has {n_train} rows; give at most {n_train}")
    default = defaults(ds)
    batch = default.batch if batch is None else batch
    if steps is None and epochs is None:  # the dataset's own length of training
        steps, epochs = (None, default.epochs) if default.epochs else (default.steps, None)
    head, warnings = choose_head(ds.task, ds.n_outputs, output=output, loss=loss)
    net = None
    if conv is not None:
        if ds.image is None:
            raise ActlabError(f"--conv takes image data (digits); {ds.name} has rows of "
                              f"{ds.n_features} numbers, not images")
        net = model.Conv(ds.image, tuple(conv) or CONV_CHANNELS)
        hidden = () if hidden is None else tuple(hidden)
    hidden = default.hidden if hidden is None else tuple(hidden)
    batch = batch if batch and batch < n_train else None
    if epochs is not None:
        steps = epochs * steps_per_epoch(n_train, batch)
    config = TrainConfig(
        task=ds.task, sizes=(net.features if net else features.size if features else ds.n_features,
                             *hidden, head.n_outputs),
        activation=activation, optimizer=optimizer, output=head.output, loss=head.loss, steps=steps,
        batch=batch, l2=l2, l1=l1, init=model.parse_init(init, activation, dtype), dtype=dtype, conv=net,
        features=features)
    return config, warnings


def check_data_fits(ds: Dataset, dtype: str) -> None:
    """The data as the network sees it must be finite in ``dtype``: the inputs
    within its range, and a regression target small enough that the mean
    squared error (a sum of n squares of up to twice the target) is too."""
    largest = DTYPE_MAX[dtype]
    top = max(float(np.abs(x).max(initial=0.0)) for x in (ds.x_train, ds.x_test))
    if not top <= largest:
        raise ActlabError(f"the inputs reach {top:.4g}, beyond the range of {dtype} (largest {largest:.4g}); "
                          "rescale them (a smaller --noise; --data without --no-standardize) or use --dtype float64")
    if ds.task in CLASSIFICATION:
        return
    top = max(float(np.abs(y).max(initial=0.0)) for y in (ds.y_train, ds.y_test))
    limit = math.sqrt(largest / (4 * len(ds.y_train)))
    if not top <= limit:
        raise ActlabError(f"the target reaches {top:.4g}: its squared error overflows {dtype} on "
                          f"{len(ds.y_train)} rows (|target| must stay below {limit:.4g}); rescale the target "
                          "or use --dtype float64")
