"""The learning-rate range test (Smith 2015, "Cyclical Learning Rates for
Training Neural Networks", section 3.3): one short run whose learning rate
grows exponentially, step by step, from ``LR_MIN`` to ``LR_MAX``; the loss
against the rate shows where training starts, where it is fastest and where
it blows up.

    config, _ = setup.make_config(ds, activation=act, optimizer="adam", steps=300)
    found = find_lr(config, ds, seed=0)
    found.lrs, found.losses         # the loss after a step at each rate
    found.suggested_lr              # where the smoothed loss falls fastest, before it blows up

The run is one compiled program: the training steps of
``actlab.lab.train.make_run``, one at a time in a ``lax.scan`` over the
rates (an optimizer's state does not depend on its rate, so changing the
rate between steps is a schedule).
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from actlab.blocks.data import Dataset
from actlab.errors import ActlabError
from actlab.lab.train import TrainConfig, make_run, prepare_data

LR_MIN, LR_MAX = 1e-6, 10.0
DEFAULT_STEPS = 300
MIN_STEPS = 50  # about 7 steps per decade of the range
BLOW_UP = 4.0  # the test stops where the smoothed loss passes 4 times its lowest so far
WEAK = 0.5  # a test whose loss fell by less than half barely trained: its suggestion is weak


class LrFinder(NamedTuple):
    lrs: np.ndarray  # (steps - 1,) the rate of each step but the last
    losses: np.ndarray  # the training loss (of the batch) after a step at that rate
    smoothed: np.ndarray  # the losses smoothed (a centred running mean of log loss)
    suggested_lr: float  # two significant digits
    steepest: int  # index of the suggestion
    stop: int  # index where the loss blew up (len(lrs) if it never did)
    lowest: int  # index of the lowest smoothed loss before ``stop``
    fall: float  # 1 - lowest smoothed loss / first: how much the test trained
    weak: bool  # fall < WEAK: the rates barely trained the network, the suggestion says little


@functools.lru_cache(maxsize=16)
def _program(config: TrainConfig):
    r = make_run(config)

    def range_test(key, lrs, data):
        def one_step(state, lr):
            state, (loss, _) = r.steps(state, lr, data, None, length=1)  # None: every step counts
            return state, loss[0]

        _, losses = lax.scan(one_step, r.init(key, data), lrs)
        return losses

    return jax.jit(range_test)


def find_lr(config: TrainConfig, ds: Dataset, *, seed: int = 0, lr_min: float = LR_MIN,
            lr_max: float = LR_MAX) -> LrFinder:
    """Runs the range test over ``config.steps`` steps and suggests a rate.

    Args:
      config: the network, optimizer and batching to test (``steps``: the test's length).
      ds: the data; the test reads its training split.
      seed: initial weights and mini-batches, as ``actlab train --seed``.
      lr_min, lr_max: the ends of the exponential ramp.

    Raises:
      ActlabError: fewer than ``MIN_STEPS`` steps.
    """
    if config.steps < MIN_STEPS:
        raise ActlabError(f"bad --steps {config.steps}: the learning-rate range test needs at least "
                          f"{MIN_STEPS} steps (it sweeps {math.log10(lr_max / lr_min):.0f} decades)")
    lrs = lr_min * (lr_max / lr_min) ** (np.arange(config.steps) / (config.steps - 1))
    data = prepare_data(ds.x_train, ds.y_train, config)
    losses = np.asarray(_program(config)(jax.random.key(seed), jnp.asarray(lrs, config.param_dtype), data),
                        np.float64)
    # losses[t] is measured before update t: the loss after a step at lrs[t] is losses[t + 1].
    return suggest(lrs[:-1], losses[1:])


def suggest(lrs, losses) -> LrFinder:
    """Where ``losses`` (against exponentially growing ``lrs``) fall fastest
    before they blow up: the most negative slope of the smoothed loss against
    log lr, between the start and the lowest smoothed loss."""
    lrs, losses = np.asarray(lrs, np.float64), np.asarray(losses, np.float64)
    smoothed = _smooth(losses, window=max(3, len(losses) // 20))
    finite = np.isfinite(smoothed)
    best = np.minimum.accumulate(np.where(finite, smoothed, np.inf))  # the lowest so far
    blown = ~finite | (smoothed > BLOW_UP * best)
    stop = int(np.argmax(blown)) if blown.any() else len(smoothed)
    if stop < 2:
        raise ActlabError("the loss blew up at the smallest learning rate of the test: "
                          "check the data and the network")
    lowest = int(np.argmin(smoothed[:stop]))
    end = max(lowest, 1) + 1
    slope = np.gradient(smoothed[:end], np.log(lrs[:end]))
    steepest = int(np.argmin(slope))
    fall = float(1 - smoothed[lowest] / smoothed[0])
    return LrFinder(lrs, losses, smoothed, float(f"{lrs[steepest]:.2g}"), steepest, stop, lowest, fall,
                    fall < WEAK)


def _smooth(losses, window: int):
    """A centred running mean of log(loss) (no lag: the suggestion is not shifted
    toward larger rates); nan or inf stay where they are and spread to their window."""
    logs = np.log(np.where(losses > 0, losses, np.nan))
    kernel = np.ones(window) / window
    pad = window // 2
    padded = np.concatenate([np.full(pad, logs[0]), logs, np.full(window - 1 - pad, logs[-1])])
    return np.exp(np.convolve(padded, kernel, mode="valid"))
