"""A multilayer perceptron as a pytree of (W, b) pairs, its init schemes, and apply.

    params = init_mlp(key=key, sizes=[2, 8, 1], init="he", dtype=jnp.float32)
    logits = apply(params, x, act)            # act: an Activation (or any jnp function)

Layer l computes z_l = a_{l-1} W_l + b_l, a_l = g(z_l); the last layer stays
linear (logits): output activations belong to the loss (from_logits).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from actlab.errors import ActlabError

INITS = ("auto", "he", "glorot", "lecun", "normal:STD")


class Init(NamedTuple):
    """A weight init: W ~ N(0, std^2) with std = gain / sqrt(fan) (or a fixed std).

    He et al. 2015: std = sqrt(2 / fan_in). Glorot & Bengio 2010: std = sqrt(2 /
    (fan_in + fan_out)). LeCun 1998: std = sqrt(1 / fan_in).
    """

    name: str
    fixed_std: float | None = None

    def std(self, fan_in: int, fan_out: int) -> float:
        if self.fixed_std is not None:
            return self.fixed_std
        if self.name == "he":
            return math.sqrt(2.0 / fan_in)
        if self.name == "glorot":
            return math.sqrt(2.0 / (fan_in + fan_out))
        return math.sqrt(1.0 / fan_in)  # lecun


def parse_init(text: str, activation=None) -> Init:
    """``"auto" | "he" | "glorot" | "lecun" | "normal:STD"`` -> ``Init``.

    ``auto`` takes the activation's own init fact (``Activation.init``: He for
    ReLU-like units, LeCun for selu, Glorot otherwise; estimated for formulas
    and plugins); Glorot for a plain function.
    """
    text = text.strip().lower()
    if text == "auto":
        return Init(getattr(activation, "init", None) or "glorot")
    if text in ("he", "glorot", "lecun"):
        return Init(text)
    if text.startswith("normal:"):
        try:
            std = float(text.split(":", 1)[1])
        except ValueError:
            std = float("nan")
        if not (math.isfinite(std) and std > 0):
            raise ActlabError(f"bad init {text!r}: normal:STD needs a positive number, e.g. normal:1")
        return Init("normal", std)
    raise ActlabError(f"unknown init {text!r}; choose from: {', '.join(INITS)}")


def init_mlp(*, key, sizes, init: Init = Init("glorot"), dtype=jnp.float32):
    """Random MLP parameters.

    Args:
      key: a jax PRNG key (keyword-only, explicit).
      sizes: layer widths, input first: [n_in, h_1, ..., n_out].
      init: the weight init; biases start at 0.
      dtype: parameter dtype.

    Returns:
      A list of (W, b) pairs, W of shape (fan_in, fan_out).
    """
    if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
        raise ActlabError(f"bad layer sizes {list(sizes)}: every width must be >= 1")
    params = []
    for k, (fan_in, fan_out) in zip(jax.random.split(key, len(sizes) - 1), zip(sizes[:-1], sizes[1:])):
        w = init.std(fan_in, fan_out) * jax.random.normal(k, (fan_in, fan_out), dtype)
        params.append((w, jnp.zeros((fan_out,), dtype)))
    return params


def apply(params, x, act):
    """The network's output (logits): hidden layers use ``act``, the last is linear.

    Args:
      params: list of (W, b) from ``init_mlp``.
      x: inputs, shape (batch, n_in).
      act: an Activation or any elementwise jnp function.
    """
    g = getattr(act, "fn", act)
    a = x
    for w, b in params[:-1]:
        a = g(a @ w + b)
    w, b = params[-1]
    return a @ w + b
