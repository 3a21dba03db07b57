"""An example actlab plugin: squareplus (a declaration) and snake (a plain
function).

squareplus(x) = (x + sqrt(x^2 + b)) / 2 (Barron 2021, arXiv:2112.11687) is a
smooth ReLU made of arithmetic and one square root.
"""

import math

import jax.numpy as jnp


def _squareplus(x, b):
    # r = sqrt(x^2 + b) via hypot: no overflow of x^2. For x < 0, x + r cancels;
    # (x + r)(r - x) = b gives the same value without it, and 1 + x / r likewise.
    r = jnp.hypot(x, math.sqrt(b))
    neg = x < 0
    value = jnp.where(neg, b / (2 * (r - x)), (x + r) / 2)
    slope = jnp.where(neg, b / (2 * r * (r - x)), (1 + x / r) / 2)
    return value, slope


def _positive_b(params):
    return "b must be > 0" if params["b"] <= 0 else None


# A declaration: the keyword arguments of actlab.activations.register.
SQUAREPLUS = dict(
    formula="(x + sqrt(x^2 + b)) / 2",
    value_and_derivative_fn=_squareplus,
    output_range=(0.0, math.inf),
    open_ends=(True, True),
    defaults={"b": 4.0},
    check=_positive_b,
    monotonic=True,
    saturates="negative",
    max_slope="1 (x -> inf)",
    note="smooth ReLU from arithmetic and a square root (Barron 2021)",
)


def snake(x):
    """x + sin(x)^2"""
    # Snake with a = 1 (Ziyin et al. 2020): a periodic ripple on the identity.
    # Only its value is written; actlab takes the derivative 1 + sin(2x) by autodiff.
    return x + jnp.square(jnp.sin(x))
