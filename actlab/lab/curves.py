"""Sampled curves of activations and the facts read off them (for ``plot``).

    curve = sample(get("sigmoid"), lo=-5, hi=5, points=201, dtype="float32")
    curve.facts.max_slope, curve.facts.saturated   # 0.25 at 0; [(-5, -4.9), ...]
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

SATURATION = 1e-3  # |f'| below this counts as saturated


class Facts(NamedTuple):
    """What a learner reads off the curve on [lo, hi].

    max_slope_at is (a, b): the interval where |f'| reaches its maximum (a == b
    for a single point). saturated lists the intervals where |f'| < 1e-3.
    """

    output_range: tuple[float, float]
    open_ends: tuple[bool, bool]
    value_at_0: float
    derivative_at_0: float
    max_slope: float
    max_slope_at: tuple[float, float]
    saturated: list[tuple[float, float]]


class Curve(NamedTuple):
    name: str
    formula: str
    params: dict
    x: np.ndarray
    y: np.ndarray
    dy: np.ndarray
    facts: Facts
    sampled: bool  # the activation's declared facts (its output range) were estimated by sampling


def sample(act, *, lo: float, hi: float, points: int, dtype="float32") -> Curve:
    """f and f' on ``points`` evenly spaced x in [lo, hi], in ``dtype``."""
    # lo (1 - t) + hi t hits 0 exactly on symmetric ranges (linspace may not) and
    # never overflows (hi - lo does past half the largest float); 0 itself rides
    # along at the end for f(0) and f'(0): one compiled call in all.
    t = np.arange(points) / (points - 1)
    grid = lo * (1 - t) + hi * t
    x = np.append(grid, 0.0).astype(jnp.dtype(dtype))
    x, y, dy = (np.asarray(v, np.float64) for v in (x, *act.value_and_derivative(x)))
    (x, y, dy), (y0, dy0) = (x[:-1], y[:-1], dy[:-1]), (y[-1], dy[-1])
    slope = np.abs(dy)
    top = np.nanmax(slope) if slope.size and not np.all(np.isnan(slope)) else np.nan
    at = np.flatnonzero(np.isclose(slope, top, rtol=1e-6, atol=0)) if np.isfinite(top) else np.array([], int)
    facts = Facts(
        output_range=tuple(act.output_range),
        open_ends=tuple(act.open_ends),
        value_at_0=float(y0),
        derivative_at_0=float(dy0),
        max_slope=float(top),
        max_slope_at=(float(x[at[0]]), float(x[at[-1]])) if at.size else (float("nan"), float("nan")),
        saturated=_flat_stretches(x, slope < SATURATION),
    )
    return Curve(act.name, act.formula, dict(act.params), x, y, dy, facts, act.sampled)


def _flat_stretches(x, mask) -> list[tuple[float, float]]:
    """The [x_first, x_last] of each run of True in mask that is a stretch, not
    a point: it reaches an end of the range or spans 1% of it. A stationary
    point (gelu's minimum, f' = 0 at x = -0.75) is not saturation."""
    half_span = x[-1] / 2 - x[0] / 2  # halves: the span of [-1e308, 1e308] overflows
    return [(a, b) for a, b in _runs(x, mask)
            if a == x[0] or b == x[-1] or b / 2 - a / 2 >= 0.01 * half_span]


def _runs(x, mask) -> list[tuple[float, float]]:
    """The [x_first, x_last] of each run of True in mask."""
    runs, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        if start is not None and (not m or i == len(mask) - 1):
            end = i if m else i - 1
            runs.append((float(x[start]), float(x[end])))
            start = None
    return runs
