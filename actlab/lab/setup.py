"""What ``train`` and ``sweep`` share: the defaults that go with a dataset and
the training configuration built by the task rules.

    ds, warnings = data.load(data.Request(name="moons", seed=0))
    config, warnings = make_config(ds, activation=act, optimizer="adam")

A seed of ``sweep`` replays in ``train`` because both configure here.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from actlab.blocks import model
from actlab.blocks.data import DATASETS, Dataset
from actlab.errors import ActlabError
from actlab.lab.heads import choose_head
from actlab.lab.train import TrainConfig

CSV_HIDDEN, CSV_STEPS = (16, 16), 1000  # the defaults for a CSV file


class Defaults(NamedTuple):
    hidden: tuple[int, ...]
    steps: int


def defaults(ds: Dataset) -> Defaults:
    """The network and step count a dataset trains well with (``DATASETS``; for a CSV 16,16 and 1000)."""
    spec = DATASETS.get(ds.name)
    return Defaults(spec.hidden, spec.steps) if spec else Defaults(CSV_HIDDEN, CSV_STEPS)


def make_config(ds: Dataset, *, activation: Any, optimizer: str, hidden=None, steps: int | None = None,
                batch: int | None = None, l2: float = 0.0, l1: float = 0.0, init: str = "auto",
                dtype: str = "float32", output: str | None = None, loss: str | None = None,
                features=None) -> tuple[TrainConfig, list[str]]:
    """The training configuration for ``ds``: the head by the task rules (unless
    overridden), the dataset's default widths and steps where none are given,
    and a mini-batch only when it is smaller than the training set.

    ``features``: None, or the network's inputs as formulas of the data's
    columns (``actlab.catalog.features``), which then set the input width.

    Returns:
      (config, warnings): one warning per choice that goes against the rules.
    """
    for name, value in (("--l2", l2), ("--l1", l1)):
        if not (math.isfinite(value) and value >= 0):
            raise ActlabError(f"bad {name} {value}: must be a finite number >= 0")
    default = defaults(ds)
    hidden = default.hidden if hidden is None else tuple(hidden)
    head, warnings = choose_head(ds.task, ds.n_outputs, output=output, loss=loss)
    n_train = ds.x_train.shape[0]
    config = TrainConfig(
        task=ds.task, sizes=(ds.n_features if features is None else features.size, *hidden, head.n_outputs),
        activation=activation,
        optimizer=optimizer, output=head.output, loss=head.loss,
        steps=default.steps if steps is None else steps,
        batch=batch if batch and batch < n_train else None, l2=l2, l1=l1,
        init=model.parse_init(init, activation), dtype=dtype, features=features)
    return config, warnings
