"""Optimizers by name, from optax.

    opt = make_optimizer("adam", lr)     # an optax.GradientTransformation

``lr`` may be a traced jax scalar: the optimizer can be built inside a jitted
or vmapped function, so one compiled program trains with many learning rates.
Its state's structure does not depend on the value of ``lr``.

The table imports nothing heavy (optax is imported when an optimizer is made),
so the command line lists the names without jax.
"""

from __future__ import annotations

import math

from actlab.errors import ActlabError, unknown

# name -> (builder of optax and lr, default learning rate, one line on what it does)
OPTIMIZERS = {
    "sgd": (lambda optax, lr: optax.sgd(lr), 0.1, "plain gradient descent: w -= lr * g"),
    "momentum": (lambda optax, lr: optax.sgd(lr, momentum=0.9), 0.05, "heavy-ball momentum 0.9"),
    "nesterov": (lambda optax, lr: optax.sgd(lr, momentum=0.9, nesterov=True), 0.05, "Nesterov momentum 0.9"),
    "rmsprop": (lambda optax, lr: optax.rmsprop(lr), 0.01, "divides by a running RMS of the gradient"),
    "adagrad": (lambda optax, lr: optax.adagrad(lr), 0.1, "divides by the root of all past squared gradients"),
    "adam": (lambda optax, lr: optax.adam(lr), 0.01, "momentum + per-parameter RMS scaling (Kingma & Ba 2015)"),
    "adamw": (lambda optax, lr: optax.adamw(lr, weight_decay=1e-4), 0.01, "Adam with decoupled weight decay 1e-4"),
    "nadam": (lambda optax, lr: optax.nadam(lr), 0.01, "Adam with Nesterov momentum"),
    "amsgrad": (lambda optax, lr: optax.amsgrad(lr), 0.01, "Adam with a non-decreasing second moment"),
    "adamax": (lambda optax, lr: optax.adamax(lr), 0.01, "Adam with an infinity-norm second moment"),
    "adabelief": (lambda optax, lr: optax.adabelief(lr), 0.01, "Adam scaled by the belief in the gradient"),
    "radam": (lambda optax, lr: optax.radam(lr), 0.01, "Adam with a rectified warm-up of the variance"),
    "lion": (lambda optax, lr: optax.lion(lr), 0.001, "sign of an interpolated momentum (Chen et al. 2023)"),
}


def names() -> list[str]:
    return list(OPTIMIZERS)


def check_name(name: str) -> str:
    if name not in OPTIMIZERS:
        raise unknown("optimizer", name, OPTIMIZERS)
    return name


def default_lr(name: str) -> float:
    """The learning rate used when none is given: a value that works on the toy sets."""
    return OPTIMIZERS[check_name(name)][1]


def check_lr(lr: float) -> float:
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ActlabError(f"bad learning rate {lr!r}: must be a finite number > 0")
    return float(lr)


def make_optimizer(name: str, lr, *, l2: float = 0.0, l1: float = 0.0):
    """The optax optimizer ``name`` with learning rate ``lr``.

    Args:
      name: one of ``names()``.
      lr: learning rate, a float or a jax scalar (may be traced).
      l2: coefficient of an L2 penalty (l2 / 2) * ||W||^2 on the weight
        matrices (not the biases), added as l2 * W to the gradient before the
        optimizer sees it (coupled, as if it were part of the loss).
      l1: coefficient of an L1 penalty l1 * sum |W| on the weight matrices,
        added the same way as its subgradient l1 * sign(W) (0 at W = 0).

    Returns:
      an ``optax.GradientTransformation``.
    """
    import jax
    import jax.numpy as jnp
    import optax

    build = OPTIMIZERS[check_name(name)][0]
    opt = build(optax, lr)
    weights_only = lambda params: jax.tree.map(lambda a: a.ndim > 1, params)  # noqa: E731
    if l1:
        add_l1 = lambda g, params: jax.tree.map(lambda gi, p: gi + l1 * jnp.sign(p), g, params)  # noqa: E731
        opt = optax.chain(optax.masked(optax.stateless(add_l1), weights_only), opt)
    if l2:
        opt = optax.chain(optax.add_decayed_weights(l2, mask=weights_only), opt)
    return opt
