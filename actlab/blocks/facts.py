"""The facts of a function, estimated by sampling (formulas and function plugins
have no declared ones).

    facts = estimate_facts(value_and_derivative)   # keyword arguments for Activation

f and f' are sampled on [-1e6, 1e6] (dense on [-10, 10]); what they show
there is reported, not proved, and the facts say so (``sampled=True``).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

_EDGE = 1e6


def _grid() -> np.ndarray:
    inner = np.linspace(-10.0, 10.0, 2001)
    outer = np.logspace(1, 6, 101)[1:]
    return np.concatenate([-outer[::-1], inner, outer])


def autodiff_pair(f):
    """``x -> (f(x), f'(x))`` by one forward-mode jvp: the derivative of a
    function that declares none (formulas, function plugins). At a NaN input
    the slope is NaN, as the built-ins give it (autodiff of ``where(x > 0, x,
    0)`` would say 0)."""
    def value_and_derivative(x):
        y, dy = jax.jvp(f, (x,), (jnp.ones_like(x),))
        return y, jnp.where(jnp.isnan(x), x, dy)

    return value_and_derivative


def estimate_facts(value_and_derivative) -> dict:
    """Output range, monotonicity, oddness, saturation and largest slope of f,
    estimated by sampling f and f' on [-1e6, 1e6] (dense on [-10, 10]).

    Args:
      value_and_derivative: ``x -> (f(x), f'(x))`` on float arrays.

    Returns:
      keyword arguments for ``Activation``: ``output_range``, ``open_ends``, ``monotonic``,
      ``zero_centred``, ``saturates``, ``max_slope``, ``init`` (``init_family``),
      ``sampled=True`` and a ``note`` saying that they are estimates. A side that
      still grows at |x| = 1e6 counts as unbounded.
    """
    dtype = jax.dtypes.canonicalize_dtype(jnp.float64)
    xs = _grid()
    y, dy = jax.jit(value_and_derivative)(jnp.asarray(xs, dtype))
    y = np.broadcast_to(np.asarray(y, np.float64), xs.shape)
    dy = np.broadcast_to(np.asarray(dy, np.float64), xs.shape)
    finite = np.isfinite(y)
    notes = ["facts estimated by sampling x in [-1e6, 1e6], not proved"]
    for values, what in ((y, "f"), (dy, "f'")):
        bad = xs[~np.isfinite(values)]
        if bad.size:
            notes.append(f"{what} is not finite at some x (e.g. x = {bad[np.argmin(np.abs(bad))]:g})")
    if not finite.any():
        return dict(output_range=(math.nan, math.nan), open_ends=(True, True), monotonic=False, zero_centred=False,
                    saturates="none", max_slope="unknown", init="glorot", sampled=True, note="; ".join(notes))
    yf = y[finite]
    tol = 1e-6 * (1 + np.abs(yf))
    lo, hi = float(yf.min()), float(yf.max())
    # Still moving at the ends of the grid: count that side as unbounded.
    for end, nxt in ((0, 1), (-1, -2)):
        if finite[end] and finite[nxt]:
            step = y[end] - y[nxt]
            if y[end] == lo and step < -1e-6 * (1 + abs(y[end])):
                lo = -math.inf
            if y[end] == hi and step > 1e-6 * (1 + abs(y[end])):
                hi = math.inf
    # An end is closed when f reaches it on [-10, 10] (relu's 0), open when it is
    # infinite or only reached far out, where rounding hits it (sigmoid's 0 at x < -745).
    near = finite & (np.abs(xs) <= 10)
    open_ends = (not (near & (y == lo)).any(), not (near & (y == hi)).any())
    monotonic = bool(finite.all() and np.all(np.diff(yf) >= -tol[1:]))
    zero_centred = bool(finite.all() and np.allclose(y[::-1], -y, rtol=1e-9, atol=1e-12))
    flat = [finite[i] and abs(dy[i]) < 1e-6 for i in (0, -1)]
    saturates = {(True, True): "both", (True, False): "negative",
                 (False, True): "positive", (False, False): "none"}[tuple(flat)]
    slopes = np.where(np.isfinite(dy), np.abs(dy), -1.0)
    i = int(np.argmax(slopes))
    max_slope = (f"~{slopes[i]:.4g} at x = {xs[i]:.4g} (sampled)" if slopes[i] >= 0 else "unknown")
    return dict(output_range=(lo, hi), open_ends=open_ends, monotonic=monotonic, zero_centred=zero_centred,
                saturates=saturates, max_slope=max_slope, init=init_family(dy[-1], dy[0]), sampled=True,
                note="; ".join(notes))


def init_family(slope_right: float, slope_left: float) -> str:
    """The weight init that keeps a layer's signal variance, from f' far out on
    either side: "he" for ReLU-like units (slope about 1 on one side, at most
    1/2 on the other: they pass about half the signal, He et al. 2015), else
    "glorot" (Glorot & Bengio 2010)."""
    def relu_like(through, blocked):
        return abs(through - 1) < 0.1 and abs(blocked) <= 0.5

    if not (math.isfinite(slope_right) and math.isfinite(slope_left)):
        return "glorot"
    return "he" if relu_like(slope_right, slope_left) or relu_like(slope_left, slope_right) else "glorot"


def estimate_init(value_and_derivative) -> str:
    """``init_family`` of a function from its slopes at x = +-1e6."""
    dtype = jax.dtypes.canonicalize_dtype(jnp.float64)
    _, dy = value_and_derivative(jnp.asarray([_EDGE, -_EDGE], dtype))
    dy = np.broadcast_to(np.asarray(dy, np.float64), (2,))
    return init_family(float(dy[0]), float(dy[1]))
