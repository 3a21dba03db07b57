"""Log-sum-exp, softmax and the cross-entropies, computed from logits.

The lesson of this module: never take probabilities first and the log after.
``log(softmax(x))`` overflows (``exp(1000) = inf``), underflows (a probability
of ``exp(-2000)`` is 0, its log ``-inf``) and rounds a confident prediction's
probability to exactly 1, so its small loss becomes 0. The fused forms below
work on the logits directly.

Every fused function here is more accurate than the usual
``m + log(sum(exp(x - m)))``. With ``m = max(x)`` and ``k`` entries equal to
``m``::

    logsumexp(x)      = m + log1p(s),          s = (k - 1) + sum_{x_j < m} exp(x_j - m)
    -log_softmax(x)_y = (m - x_y) + log1p(s)

Both terms of the second line are >= 0, so nothing cancels: ``m - x_y`` is one
exact (or once-rounded) subtraction, and ``log1p(s)`` keeps a tiny ``s`` that
``log(1 + s)`` would round away. For logits [30, 0, -2, 1] and label 0 the loss
is 3.6e-13; ``jax.nn.log_softmax``, optax and torch give 0 in float32. For
[-1e4, -1e4 - 3, -1e4 + 1.5] the loss is 1.7104547; ``x - logsumexp(x)``
subtracts two numbers near -1e4 and keeps three digits (optax: 1.7109375).

Promises, in every float dtype (float16 and bfloat16 compute in float32 and
round once at the end):

- finite logits give finite values and finite gradients, at any magnitude;
- ``-inf`` entries (masks) get probability 0 and gradient 0;
- a row that is all ``-inf`` has ``logsumexp = -inf``, softmax 0 and gradient
  0 (``jax.nn.logsumexp`` gives NaN gradients there, jax-ml/jax#6811); its
  cross-entropy is 0 with gradient 0, so a fully masked (padded) example drops
  out of a sum;
- NaN in, NaN out; an integer label outside ``[0, classes)`` gives NaN;
- ``+inf`` logits have no finite shift; they give NaN (undefined), never a
  silent number.

Gradients have their own formulas (``jax.custom_jvp``): ``softmax - onehot``
for the cross-entropy, with ``p_y - 1`` computed as ``-s / (1 + s)`` when the
label holds the max so that it keeps its digits, and ``sigmoid(x) - y`` as
``(1 - y) - sigmoid(-x)`` for large ``x``. All functions work under ``jax.jit``,
``jax.grad`` and ``jax.vmap``.

The ``naive_*`` twins compute probabilities first and the log after, in the
input's own dtype. They exist only to be compared with (``actlab stability``).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from actlab.errors import ActlabError

__all__ = [
    "logsumexp",
    "log_softmax",
    "softmax",
    "softmax_cross_entropy",
    "sigmoid_binary_cross_entropy",
    "naive_softmax_cross_entropy",
    "naive_sigmoid_binary_cross_entropy",
]


# --- helpers ------------------------------------------------------------------------


def _float_array(x, what: str):
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise ActlabError(f"{what}: expected a float array, got dtype {x.dtype}")
    return x


def _wide(dtype):
    """The dtype to compute in: float16/bfloat16 widen to float32."""
    return jnp.float32 if jnp.finfo(dtype).bits < 32 else dtype


def _to_last(x, axis):
    """Moves ``axis`` to the end (``None``: flattens); returns (array, undo)."""
    if axis is None:
        shape = x.shape
        return x.reshape(-1), (lambda y: y.reshape(shape) if y.ndim else y)
    axis = axis % x.ndim if x.ndim else axis
    if axis == x.ndim - 1 or x.ndim == 0:
        return x, (lambda y: y)
    return jnp.moveaxis(x, axis, -1), (lambda y: jnp.moveaxis(y, -1, axis))


def _stats(x):
    """Shift statistics of x along the last axis.

    Returns (m, d, e, s), row-wise with keepdims: m = max(x); d = x - m
    (-inf stays -inf, also in an all -inf row); e = exp(d); and
    s = sum(exp(x - m)) - 1 computed without that subtraction: (k - 1) + the
    sum over the entries below the max, k being the number of entries equal
    to the max (s = 0 for an all -inf row). Then logsumexp = m + log1p(s),
    log_softmax = d - log1p(s) and softmax = e / (1 + s).

    Only arithmetic, min and max here: XLA then fuses the whole function into
    one pass after the max (a compare-and-select splits it in several).
    """
    finfo = jnp.finfo(x.dtype)
    m = jnp.max(x, axis=-1, keepdims=True, initial=-jnp.inf)
    # floored so that -inf - m is -inf, not NaN, in an all -inf row (a max()
    # rather than a clip: XLA's CPU fusion takes the one, not the other)
    d = x - jnp.maximum(m, float(finfo.min))
    e = jnp.exp(d)
    # 1 where e == 1 (a max, or within half an ulp of one: its term is 1 either
    # way), else 0 (NaN stays NaN): floor, for e in [0, 1]. Read off e with no
    # constant and no select, so XLA keeps one fused, vectorised pass.
    tie = jnp.floor(e)
    s = (jnp.sum(tie, axis=-1, keepdims=True) - 1) + jnp.sum(e - tie, axis=-1, keepdims=True)
    return m, d, e, jnp.maximum(s, 0)  # k = 0 only in an all -inf (or empty) row


# Turns the smallest normal m + max (or positive number) into one far above 1.
_TIE_SCALE = {jnp.dtype(jnp.float32): 2.0**127, jnp.dtype(jnp.float64): 2.0**1023}


# --- logsumexp, log_softmax, softmax ------------------------------------------------------


@jax.custom_jvp
def _logsumexp_last(x):
    m, _, _, s = _stats(x)
    return (m + jnp.log1p(s))[..., 0]


@_logsumexp_last.defjvp
def _logsumexp_last_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    m, _, e, s = _stats(x)
    p = e / (1 + s)  # 0 on -inf entries and on all -inf rows: their tangent is 0
    return (m + jnp.log1p(s))[..., 0], jnp.sum(p * t, axis=-1)


@jax.custom_jvp
def _log_softmax_last(x):
    _, d, _, s = _stats(x)
    return d - jnp.log1p(s)  # an all -inf row stays -inf: probability 0 everywhere


@_log_softmax_last.defjvp
def _log_softmax_last_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    m, d, e, s = _stats(x)
    p = e / (1 + s)
    y = d - jnp.log1p(s)
    dy = t - jnp.sum(p * t, axis=-1, keepdims=True)
    return y, jnp.where(m == -jnp.inf, jnp.zeros_like(dy), dy)


@jax.custom_jvp
def _softmax_last(x):
    _, _, e, s = _stats(x)
    return e / (1 + s)


@_softmax_last.defjvp
def _softmax_last_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    _, _, e, s = _stats(x)
    p = e / (1 + s)
    return p, p * (t - jnp.sum(p * t, axis=-1, keepdims=True))


def logsumexp(x, axis=-1):
    """log(sum(exp(x))) along ``axis``, exact to a few ulps at any scale.

    Args:
      x: float array; ``-inf`` entries are allowed (masks).
      axis: the axis to reduce (``None``: all of them).

    Returns:
      ``x`` without ``axis``, same dtype. An all ``-inf`` row gives ``-inf``
      with gradient 0; the gradient is ``softmax(x)``.
    """
    x = _float_array(x, "logsumexp")
    dtype = x.dtype
    xl, _ = _to_last(x, axis)
    return _logsumexp_last(xl.astype(_wide(dtype))).astype(dtype)


def log_softmax(logits, axis=-1):
    """log(softmax(logits)) along ``axis``, computed as (x - m) - log1p(s).

    Args:
      logits: float array.
      axis: the class axis.

    Returns:
      Same shape and dtype as ``logits``; ``-inf`` where a logit is ``-inf``.
    """
    logits = _float_array(logits, "log_softmax")
    dtype = logits.dtype
    xl, undo = _to_last(logits, axis)
    return undo(_log_softmax_last(xl.astype(_wide(dtype))).astype(dtype))


def softmax(logits, axis=-1, temperature=1.0):
    """exp(x / T) / sum(exp(x / T)) along ``axis``.

    A low temperature ``T`` sharpens the distribution (towards one-hot at the
    max), a high one flattens it (towards uniform). Dividing by a small ``T``
    makes the logits larger, which is harmless here: the max is shifted out.

    Args:
      logits: float array.
      axis: the class axis.
      temperature: T > 0.

    Returns:
      Probabilities, same shape and dtype as ``logits``; 0 for ``-inf``
      entries and on all ``-inf`` rows.
    """
    logits = _float_array(logits, "softmax")
    if isinstance(temperature, (int, float)) and not (math.isfinite(temperature) and temperature > 0):
        raise ActlabError(f"bad temperature {temperature!r}: expected a finite number > 0")
    dtype = logits.dtype
    x = logits.astype(_wide(dtype))
    if not (isinstance(temperature, (int, float)) and temperature == 1):
        x = x / jnp.asarray(temperature, x.dtype)
    xl, undo = _to_last(x, axis)
    return undo(_softmax_last(xl).astype(dtype))


# --- softmax cross-entropy ----------------------------------------------------------------


@jax.custom_jvp
def _xent_int_last(x, labels):
    m, _, _, s = _stats(x)
    return _xent_int_loss(x, labels, m, s)


@_xent_int_last.defjvp
def _xent_int_last_jvp(primals, tangents):
    x, labels = primals
    t, _ = tangents  # integer labels have no tangent
    m, _, e, s = _stats(x)
    loss = _xent_int_loss(x, labels, m, s)
    grad = _xent_int_grad(x, labels, m, e, s)
    return loss, jnp.sum(grad * t, axis=-1)


def _label_value(x, labels):
    """(x_y with keepdims, whether the label is in [0, classes))."""
    classes = x.shape[-1]
    valid = (labels >= 0) & (labels < classes)
    x_y = jnp.take_along_axis(x, labels[..., None], axis=-1, mode="clip")
    return x_y, valid[..., None]


def _xent_int_loss(x, labels, m, s):
    """(m - x_y) + log1p(s) per row: two terms >= 0, no cancellation."""
    x_y, valid = _label_value(x, labels)
    # m - x_y, except 0 in an all -inf row (no distribution: the row drops out)
    # and inf for a masked label; in min/max arithmetic, because on CPU a
    # select here splits XLA's fused pass and doubles the time.
    big = float(jnp.finfo(x.dtype).max)
    m_c, x_c = jnp.maximum(m, -big), jnp.maximum(x_y, -big)
    has_finite = (m_c + big) * _TIE_SCALE[jnp.dtype(x.dtype)]  # 0 in an all -inf row, else inf
    gap = (m_c - x_c) + jnp.minimum(x_c - x_y, has_finite)  # x_c - x_y: inf for a masked label, else 0
    gap = jnp.where(valid, gap, jnp.nan)
    return (gap + jnp.log1p(s))[..., 0]  # log1p(s) is 0 in an all -inf row, NaN in a NaN row


def _xent_int_grad(x, labels, m, e, s):
    """softmax - onehot per row; 0 for -inf entries and all -inf rows.

    At the label, p_y - 1 = ((e_y - 1) - s) / (1 + s) with e_y = exp(x_y - m):
    for a confident label (x_y = m, e_y = 1) that is -s / (1 + s) with every
    digit, where p_y - 1 would cancel to 0; otherwise two terms of one sign.
    Elsewhere p = exp(x - m) / (1 + s).
    """
    big = float(jnp.finfo(x.dtype).max)
    has_finite = jnp.minimum(1, (jnp.maximum(m, -big) + big) * _TIE_SCALE[jnp.dtype(x.dtype)])  # 0 or 1
    x_y, valid = _label_value(x, labels)
    e_y = jnp.exp(x_y - jnp.maximum(m, -big))
    nan_if_invalid = jnp.where(valid, 0, jnp.nan).astype(x.dtype)  # per row, keepdims
    at_label = ((e_y - 1) - s) / (1 + s) * has_finite + nan_if_invalid
    p = e / (1 + s)
    onehot = (jnp.arange(x.shape[-1]) == labels[..., None]).astype(x.dtype)
    # arithmetic, not a select, so that XLA keeps one vectorised pass (with the
    # cotangent's multiply); exact: p * 1 + 0 * a = p and p * 0 + 1 * a = a
    return p * (1 - onehot) + onehot * at_label


def softmax_cross_entropy(logits, labels, *, label_smoothing=0.0):
    """Cross-entropy -sum_j q_j log softmax(logits)_j, from logits.

    Args:
      logits: float array (..., classes); the class axis is the last one.
      labels: either integer class indices of shape (...), or float target
        distributions q (one-hot or probabilities) with the shape of
        ``logits``.
      label_smoothing: eps in [0, 1): the target becomes
        (1 - eps) * q + eps / classes.

    Returns:
      The per-example loss, shape (...), in the dtype of ``logits``. Its
      gradient with respect to the logits is sum(q) * softmax(logits) - q
      (``softmax - onehot`` for integer labels), finite at any scale.
    """
    logits = _float_array(logits, "softmax_cross_entropy")
    labels = jnp.asarray(labels)
    if logits.ndim == 0:
        raise ActlabError("softmax_cross_entropy: logits need a class axis, got a scalar")
    if isinstance(label_smoothing, (int, float)) and not 0 <= label_smoothing < 1:
        raise ActlabError(f"bad label_smoothing {label_smoothing!r}: expected a number in [0, 1)")
    dtype = logits.dtype
    x = logits.astype(_wide(dtype))
    classes = x.shape[-1]
    if jnp.issubdtype(labels.dtype, jnp.integer) and labels.shape == x.shape[:-1]:
        if isinstance(label_smoothing, (int, float)) and label_smoothing == 0:
            return _xent_int_last(x, labels).astype(dtype)
        q = jax.nn.one_hot(labels, classes, dtype=x.dtype)
    elif jnp.issubdtype(labels.dtype, jnp.floating) and labels.shape == x.shape:
        q = labels.astype(x.dtype)
    else:
        raise ActlabError(
            f"softmax_cross_entropy: labels of shape {labels.shape} and dtype {labels.dtype} do not fit "
            f"logits of shape {logits.shape}: give integer labels of shape {logits.shape[:-1]} "
            f"or float targets of shape {logits.shape}"
        )
    if not (isinstance(label_smoothing, (int, float)) and label_smoothing == 0):
        q = (1 - label_smoothing) * q + label_smoothing / classes
    neg_log_p = -_log_softmax_last(x)
    # 0 * inf for a masked class that the target leaves out is 0, not NaN
    terms = jnp.where(q == 0, jnp.zeros_like(q), q * neg_log_p)
    loss = jnp.sum(terms, axis=-1)
    masked_row = jnp.max(x, axis=-1, initial=-jnp.inf) == -jnp.inf
    return jnp.where(masked_row, jnp.zeros_like(loss), loss).astype(dtype)


# --- sigmoid binary cross-entropy ------------------------------------------------------------


@jax.custom_jvp
def _log1p_exp_neg_abs(x):
    return jnp.log1p(jnp.exp(-jnp.abs(x)))


@_log1p_exp_neg_abs.defjvp
def _log1p_exp_neg_abs_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    e = jnp.exp(-jnp.abs(x))
    sig_neg_abs = e / (1 + e)  # sigmoid(-|x|), never overflows
    # the kink at 0 takes the right-hand slope, matching the x >= 0 branch of
    # the linear part, so that the sum has slope sigmoid(0) - y there
    slope = jnp.where(x >= 0, -sig_neg_abs, sig_neg_abs)
    return jnp.log1p(e), slope * t


def sigmoid_binary_cross_entropy(logits, labels):
    """Binary cross-entropy of sigmoid(logits) against targets, elementwise.

    loss = -y log sigmoid(x) - (1 - y) log(1 - sigmoid(x)), computed as
    ``(1 - y) * x + log1p(exp(-x))`` for x >= 0 and ``-y * x + log1p(exp(x))``
    for x < 0: two terms >= 0 for y in [0, 1], so nothing cancels and the
    result is finite for logits of any size. Infinite logits give the limits:
    x = +inf with y = 1 gives 0 (y < 1 gives inf); x = -inf with y = 0 gives 0.
    One sigmoid per output, so multi-label targets work as they are.

    Args:
      logits: float array, any shape.
      labels: targets in [0, 1] (floats, or 0/1 integers), broadcastable to
        ``logits``; treated as constants for the gradient at infinite logits.

    Returns:
      The loss, shape of ``logits`` broadcast with ``labels``, in the dtype of
      ``logits``. Its gradient is sigmoid(x) - y, accurate in both tails.
    """
    logits = _float_array(logits, "sigmoid_binary_cross_entropy")
    dtype = logits.dtype
    x = logits.astype(_wide(dtype))
    y = jnp.asarray(labels).astype(x.dtype)
    one_minus_y = 1 - y
    # where() keeps 0 * inf out: x = +inf, y = 1 is the limit 0
    positive = jnp.where(one_minus_y == 0, jnp.zeros_like(x * y), one_minus_y * x)
    negative = jnp.where(y == 0, jnp.zeros_like(x * y), -y * x)
    linear = jnp.where(x >= 0, positive, negative)
    return (linear + _log1p_exp_neg_abs(x)).astype(dtype)


# --- the naive twins (for comparison only) ---------------------------------------------------


def naive_softmax_cross_entropy(logits, labels):
    """-log(softmax(logits)[label]) the textbook way: exp, normalise, then log.

    No max shift, no widening: everything in the dtype of ``logits``. Breaks
    when exp overflows (logits above log(max float): 88.7 in float32), when a
    probability underflows to 0 (loss inf), and when a confident probability
    rounds to 1 (loss 0). For comparison only; use
    :func:`softmax_cross_entropy`.

    Args:
      logits: float array (..., classes).
      labels: integer labels (...) or float targets with the logits' shape.

    Returns:
      The per-example loss, shape (...), dtype of ``logits``.
    """
    logits = _float_array(logits, "naive_softmax_cross_entropy")
    labels = jnp.asarray(labels)
    e = jnp.exp(logits)
    probs = e / jnp.sum(e, axis=-1, keepdims=True)
    if jnp.issubdtype(labels.dtype, jnp.integer):
        p_y = jnp.take_along_axis(probs, labels[..., None], axis=-1, mode="fill", fill_value=jnp.nan)
        return -jnp.log(p_y)[..., 0]
    return -jnp.sum(labels.astype(logits.dtype) * jnp.log(probs), axis=-1)


def naive_sigmoid_binary_cross_entropy(logits, labels):
    """-(y log p + (1 - y) log(1 - p)) with p = 1 / (1 + exp(-x)) computed first.

    In the dtype of ``logits``. Once p rounds to 1 (x > 17 in float32) the
    ``log(1 - p)`` term is -inf, and 0 * -inf is NaN even when y = 1. For
    comparison only; use :func:`sigmoid_binary_cross_entropy`.
    """
    logits = _float_array(logits, "naive_sigmoid_binary_cross_entropy")
    y = jnp.asarray(labels).astype(logits.dtype)
    p = 1 / (1 + jnp.exp(-logits))
    return -(y * jnp.log(p) + (1 - y) * jnp.log(1 - p))
