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
    -log_softmax(x)_y = (m - x_y) + log1p(s_y),  s_y = sum_{j != y} exp(x_j - m) + (exp(x_y - m) - 1)

Both terms of each line are >= 0, so nothing cancels: ``m - x_y`` is one
rounding, and ``log1p(s)`` keeps a tiny ``s`` that ``log(1 + s)`` would round
away. Each ``exp(x_j - m)`` is taken with the rounding error of ``x_j - m``
put back (Knuth's two-sum: ``x - m`` for logits -12.31385 and 20.22045 has
more digits than a float32 holds, and ``exp`` of the rounded difference is off
by 2e-6), and in units of 2^64 (2^512 in float64) so that terms below the
smallest normal number are summed, not flushed to 0 as XLA does on CPU. For
logits [30, 0, -2, 1] and label 0 the loss is 3.6e-13; ``jax.nn.log_softmax``,
optax and torch give 0 in float32. For [-1e4, -1e4 - 3, -1e4 + 1.5] the loss is
1.7104547; ``x - logsumexp(x)`` subtracts two numbers near -1e4 and keeps three
digits (optax: 1.7109375).

Promises, in every float dtype (float16 and bfloat16 compute in float32 and
round once at the end; integer inputs are promoted as jax.nn does):

- finite logits give finite values and finite gradients, at any magnitude;
  values are within 1e-6 (float32) and 1e-13 (float64) of the exact ones;
- ``-inf`` entries (masks) get probability 0 and gradient 0, and so do the
  entries a ``where=`` mask leaves out;
- a row that is all ``-inf`` has ``logsumexp = -inf``, softmax 0 and gradient
  0 (``jax.nn.logsumexp`` gives NaN gradients there, jax-ml/jax#6811); its
  cross-entropy is 0 with gradient 0, so a fully masked (padded) example drops
  out of a sum;
- NaN in, NaN out;
- ``+inf`` logits: ``logsumexp`` gives the limit ``+inf`` (as jax, scipy and
  torch); everything else is NaN on such a row, since ``inf - inf`` has no
  value (with two ``+inf`` entries softmax has no limit either).

Gradients have their own formulas (``jax.custom_jvp``): ``softmax - onehot``
for the cross-entropy, with ``p_y - 1`` computed as ``-s_y / (1 + s_y)`` when
the label holds the max so that it keeps its digits, and ``sigmoid(x) - y`` as
``(1 - y) - sigmoid(-x)`` for large ``x``. Gradients with respect to float
targets are exact too: ``-log_softmax(x)`` for the softmax cross-entropy (0 on
masked classes, which are outside the distribution) and ``-x`` for the binary
one. All functions work under ``jax.jit``, ``jax.grad`` and ``jax.vmap``.

The ``naive_*`` twins compute probabilities first and the log after, in the
input's own dtype. They exist only to be compared with (``actlab stability``).
"""

from __future__ import annotations

import functools
import math
import operator

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero

from actlab.blocks.arrays import compute_dtype, real_array
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


def _axes(axis, ndim: int, what: str) -> tuple[int, ...]:
    """``axis`` (an int, a tuple of ints, or None for all) as non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    try:
        axes = [operator.index(a) for a in (axis if isinstance(axis, (tuple, list)) else (axis,))]
    except TypeError:
        raise ActlabError(f"{what}: axis must be an int, a tuple of ints or None, got {axis!r}") from None
    for a in axes:
        if not -ndim <= a < ndim:
            raise ActlabError(f"{what}: axis {a} is out of range for an array of {ndim} dimensions")
    normalized = tuple(a % ndim for a in axes)  # in the given order: a flat class index follows it
    if len(set(normalized)) != len(normalized):
        raise ActlabError(f"{what}: axis {axis!r} repeats an axis")
    return normalized


def _to_last(x, axes):
    """Moves ``axes`` to the end and flattens them into one; returns (array, undo),
    where undo turns an array of the result's shape back into ``x``'s layout."""
    rest = [a for a in range(x.ndim) if a not in axes]
    perm = rest + list(axes)
    moved = jnp.transpose(x, perm) if perm != list(range(x.ndim)) else x
    flat = moved.reshape(moved.shape[: len(rest)] + (math.prod(x.shape[a] for a in axes),))
    inverse = np.argsort(perm)

    def undo(y):
        y = y.reshape(moved.shape)
        return jnp.transpose(y, inverse) if perm != list(range(x.ndim)) else y

    return flat, undo


def _masked(x, where):
    """``x`` with -inf wherever ``where`` is False (such entries behave as -inf ones)."""
    return x if where is None else jnp.where(jnp.asarray(where, bool), x, -jnp.inf)


# (half scale, reach) per compute dtype: terms are exp(x - m) * half^2, exact for
# x - m >= -reach / 2 and normal numbers down to exp(-131) (float32), exp(-1063) (float64).
_SCALE = {jnp.dtype(jnp.float32): (2.0**32, 256.0), jnp.dtype(jnp.float64): (2.0**256, 2048.0)}


def _exp_terms(x, m):
    """exp(x - m) * scale for x <= m (m finite), with every digit: (terms, scale).

    ``x - m`` is rounded; Knuth's two-sum gives its exact error ``err``, and
    exp(x - m) = exp(d) (1 + err) to second order. The exp is taken as the
    square of exp(d / 2) * sqrt(scale), so that at the max it is exactly scale
    and a term far below 1 stays a normal number. Only arithmetic, min and max
    here: XLA keeps them in one vectorised pass.
    """
    half, reach = _SCALE[jnp.dtype(x.dtype)]
    # a finite copy of x for the two-sum (the far terms are 0 anyway); the exp
    # takes x itself, since m - reach rounds to m for a large max
    x_f = jnp.maximum(x, m - reach)
    d_f = x_f - m
    b = d_f - x_f
    err = (x_f - (d_f - b)) + (-m - b)  # x_f - m = d_f + err exactly
    h = jnp.exp(0.5 * (x - m)) * half  # x - m: -inf stays -inf, so its term is 0
    e = h * h
    return e + e * err, half * half


def _row_max(x, keepdims: bool = True):
    """(m, m_c): the max over the last axis, and m floored to the lowest finite
    number, so that x - m_c is -inf, not NaN, on an all -inf row."""
    m = jnp.max(x, axis=-1, keepdims=keepdims, initial=-jnp.inf)
    return m, jnp.maximum(m, float(jnp.finfo(x.dtype).min))


def _stats(x):
    """Shift statistics of x along the last axis, with keepdims.

    Returns (m, m_c, e, s): m = max(x); m_c = m floored to a finite number (so
    that -inf - m_c is -inf, also in an all -inf row); e = exp(x - m_c) as a
    fraction; s = sum(exp(x - m_c)) - 1 computed without that subtraction:
    (k - 1) + the sum over the entries below the max, k being the number of
    entries equal to the max (s = 0 for an all -inf row). Then
    logsumexp = m + log1p(s), log_softmax = (x - m_c) - log1p(s) and
    softmax = e / (1 + s).
    """
    m, m_c = _row_max(x)
    e, scale = _exp_terms(x, m_c)
    tie = jnp.floor(e * (1 / scale))  # 1 at an entry equal to the max, else 0 (NaN stays NaN)
    below = jnp.sum(e - tie * scale, axis=-1, keepdims=True) * (1 / scale)
    s = (jnp.sum(tie, axis=-1, keepdims=True) - 1) + below
    return m, m_c, e * (1 / scale), jnp.maximum(s, 0)  # k = 0 only in an all -inf (or empty) row


# --- logsumexp, log_softmax, softmax ------------------------------------------------------


@jax.custom_jvp
def _logsumexp_last(x):
    m, _, _, s = _stats(x)
    # +inf has no finite shift; the sum is +inf all the same (a NaN row stays NaN)
    return jnp.where(m == jnp.inf, m, m + jnp.log1p(s))[..., 0]


@_logsumexp_last.defjvp
def _logsumexp_last_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    m, _, e, s = _stats(x)
    p = e / (1 + s)  # 0 on -inf entries and on all -inf rows: their tangent is 0
    return jnp.where(m == jnp.inf, m, m + jnp.log1p(s))[..., 0], jnp.sum(p * t, axis=-1)


@jax.custom_jvp
def _log_softmax_last(x):
    _, m_c, _, s = _stats(x)
    return (x - m_c) - jnp.log1p(s)  # an all -inf row stays -inf: probability 0 everywhere


@_log_softmax_last.defjvp
def _log_softmax_last_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    m, m_c, e, s = _stats(x)
    p = e / (1 + s)
    live = (m != -jnp.inf).astype(x.dtype)  # an all -inf row is constant: tangent 0 (a factor, not a select)
    return (x - m_c) - jnp.log1p(s), (t - jnp.sum(p * t, axis=-1, keepdims=True)) * live


@jax.custom_jvp
def _softmax_last(x):
    # A probability needs no exact s: exp(x - m) / sum, with the max's exp(0) = 1
    # in the sum, so that it is >= 1 unless the row is all -inf (then 0 / 1).
    e = jnp.exp(x - _row_max(x)[1])
    return e / jnp.maximum(jnp.sum(e, axis=-1, keepdims=True), 1)


@_softmax_last.defjvp
def _softmax_last_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    p = _softmax_last(x)
    return p, p * (t - jnp.sum(p * t, axis=-1, keepdims=True))


def logsumexp(x, axis=None, *, keepdims=False, where=None):
    """log(sum(exp(x))) over ``axis``, exact to a few ulps at any scale.

    As ``jax.nn.logsumexp`` and ``scipy.special.logsumexp``: by default it
    reduces over every axis.

    Args:
      x: real array; ``-inf`` entries are allowed (masks). Integers are
        promoted to a float dtype as jax.nn does.
      axis: an int, a tuple of ints, or None for all axes.
      keepdims: keep the reduced axes, with size 1.
      where: boolean mask broadcastable to ``x``; False entries are left out
        (as if they were -inf).

    Returns:
      ``x`` reduced over ``axis``, same float dtype. An all ``-inf`` (or empty)
      selection gives ``-inf`` with gradient 0; any ``+inf`` gives ``+inf``
      (the limit; its gradient is NaN), any NaN gives NaN. The gradient is
      ``softmax(x)``.
    """
    x = real_array(x, "logsumexp")
    return _logsumexp(x, where, axes=_axes(axis, x.ndim, "logsumexp"), keepdims=keepdims)


# Each public function checks its arguments in Python, then runs one compiled
# program (an eager call is then one dispatch; under a user's jit it inlines).
@functools.partial(jax.jit, static_argnames=("axes", "keepdims"))
def _logsumexp(x, where, *, axes, keepdims):
    flat, _ = _to_last(_masked(x, where), axes)
    out = _logsumexp_last(flat.astype(compute_dtype(x.dtype))).astype(x.dtype)
    if keepdims:
        out = out.reshape(tuple(1 if a in axes else n for a, n in enumerate(x.shape)))
    return out


def log_softmax(logits, axis=-1, where=None):
    """log(softmax(logits)) over ``axis``, computed as (x - m) - log1p(s).

    Args:
      logits: real array.
      axis: the class axis, or a tuple of axes (one distribution over all
        of them), or None for all axes.
      where: boolean mask broadcastable to ``logits``; False entries are left
        out of the normalisation and come out as ``-inf``, as in jax.nn.

    Returns:
      Same shape and float dtype as ``logits``; ``-inf`` where a logit is
      ``-inf`` or masked.
    """
    logits = real_array(logits, "log_softmax")
    return _log_softmax(logits, where, axes=_axes(axis, logits.ndim, "log_softmax"))


@functools.partial(jax.jit, static_argnames=("axes",))
def _log_softmax(x, where, *, axes):
    flat, undo = _to_last(_masked(x, where), axes)
    out = undo(_log_softmax_last(flat.astype(compute_dtype(x.dtype))).astype(x.dtype))
    return out if where is None else jnp.where(where, out, -jnp.inf)


def softmax(logits, axis=-1, where=None, *, temperature=1.0):
    """exp(x / T) / sum(exp(x / T)) over ``axis``.

    A low temperature ``T`` sharpens the distribution (towards one-hot at the
    max), a high one flattens it (towards uniform). The max is shifted out
    before dividing by ``T``, so a tiny ``T`` cannot overflow: the limit is
    one-hot at the max (shared by ties).

    Args:
      logits: real array.
      axis: the class axis, or a tuple of axes, or None for all axes.
      where: boolean mask broadcastable to ``logits``; False entries are left
        out and get probability 0, as in jax.nn.
      temperature: T > 0.

    Returns:
      Probabilities, same shape and float dtype as ``logits``; 0 for ``-inf``
      and masked entries and on all ``-inf`` rows.
    """
    logits = real_array(logits, "softmax")
    if isinstance(temperature, (int, float)) and not (math.isfinite(temperature) and temperature > 0):
        raise ActlabError(f"bad temperature {temperature!r}: expected a finite number > 0")
    plain = isinstance(temperature, (int, float)) and temperature == 1
    return _softmax(logits, where, None if plain else temperature, axes=_axes(axis, logits.ndim, "softmax"))


@functools.partial(jax.jit, static_argnames=("axes",))
def _softmax(x, where, temperature, *, axes):
    flat, undo = _to_last(_masked(x, where), axes)
    z = flat.astype(compute_dtype(x.dtype))
    if temperature is not None:
        shift = jax.lax.stop_gradient(_row_max(z)[1])
        z = (z - shift) / jnp.asarray(temperature, z.dtype)  # <= 0: overflows only to -inf
    return undo(_softmax_last(z).astype(x.dtype))


# --- softmax cross-entropy ----------------------------------------------------------------


def _label_parts(x, labels):
    """Per row of x (rows, classes), for integer labels: (loss, w, denominator).

    v = the scaled terms exp(x_j - m) with 1 taken off the label's, so that
    s_y = sum(v) / scale keeps every digit of a tiny loss. The gradient
    softmax - onehot is w / denominator: w = v with s_y (scaled) also taken
    off the label's, denominator = scale (1 + s_y); at the label that is
    ((e_y - 1) - s_y) / (1 + s_y), which keeps its digits where p_y - 1 would
    cancel to 0.
    """
    rows, classes = x.shape
    valid = (labels >= 0) & (labels < classes)
    y = jnp.clip(labels, 0, classes - 1)
    index = jnp.arange(rows)
    m, m_c = _row_max(x, keepdims=False)
    e, scale = _exp_terms(x, m_c[:, None])
    v = e.at[index, y].add(-scale)
    s_scaled = jnp.sum(v, axis=-1)
    x_y = x[index, y]
    has_finite = m != -jnp.inf  # an all -inf row has no distribution: it drops out (NaN stays)
    loss = jnp.where(has_finite, (m_c - x_y) + jnp.log1p(s_scaled * (1 / scale)), 0)
    denominator = jnp.where(has_finite, scale + s_scaled, jnp.inf)  # inf: gradient 0
    nan = jnp.asarray(jnp.nan, x.dtype)
    w = v.at[index, y].add(-s_scaled)
    return jnp.where(valid, loss, nan), w, jnp.where(valid, denominator, nan)


@jax.custom_jvp
def _xent_labels(x, labels):
    return _label_parts(x, labels)[0]


@_xent_labels.defjvp
def _xent_labels_jvp(primals, tangents):
    x, labels = primals
    t, _ = tangents  # integer labels have no tangent
    loss, w, denominator = _label_parts(x, labels)
    # the scatters stay on w, so the transpose is one fused pass: ct * w / denominator
    return loss, jnp.sum(w / denominator[:, None] * t, axis=-1)


def _check_labels(labels, classes: int) -> None:
    """Refuses labels outside [0, classes) when they are concrete (under jit a
    check cannot raise: such a label gives NaN there)."""
    if isinstance(labels, jax.core.Tracer) or labels.size == 0:
        return
    values = np.asarray(labels)
    bad = values[(values < 0) | (values >= classes)]
    if bad.size:
        raise ActlabError(f"softmax_cross_entropy: label {int(bad.flat[0])} is outside [0, {classes}) "
                          f"for {classes} classes")


def softmax_cross_entropy(logits, labels, *, axis=-1, where=None, label_smoothing=0.0):
    """Cross-entropy -sum_j q_j log softmax(logits)_j, from logits.

    Args:
      logits: real array; ``axis`` holds the classes.
      labels: either integer class indices, shaped as ``logits`` without the
        class axis, or float targets q (one-hot or probabilities) shaped as
        ``logits``. With a tuple ``axis``, an integer label is a flat index
        into those axes (as in optax).
      axis: the class axis (an int), or a tuple of axes.
      where: boolean mask, shaped as ``logits`` or as the labels (one flag per
        example); False classes are left out of the distribution and of the
        sum, as in optax. An example with no class left has loss 0.
      label_smoothing: eps in [0, 1]: the target becomes (1 - eps) q + eps u,
        u uniform over the classes that are not masked (-inf or ``where``);
        eps = 1 is the uniform target.

    Returns:
      The per-example loss, in the float dtype of ``logits``. Its gradient
      with respect to the logits is sum(q) softmax(logits) - q
      (``softmax - onehot`` for integer labels), finite at any scale; with
      respect to float targets it is -log softmax(logits), 0 on masked classes.
      A label outside [0, classes) is refused when the labels are concrete; under
      ``jax.jit`` it gives NaN (loss and gradient).
    """
    logits = real_array(logits, "softmax_cross_entropy")
    labels = jnp.asarray(labels)
    if logits.ndim == 0:
        raise ActlabError("softmax_cross_entropy: logits need a class axis, got a scalar")
    if isinstance(label_smoothing, (int, float)) and not 0 <= label_smoothing <= 1:
        raise ActlabError(f"bad label_smoothing {label_smoothing!r}: expected a number in [0, 1]")
    axes = _axes(axis, logits.ndim, "softmax_cross_entropy")
    batch_shape = tuple(n for a, n in enumerate(logits.shape) if a not in axes)
    classes = math.prod(logits.shape[a] for a in axes)
    if jnp.issubdtype(labels.dtype, jnp.integer) and labels.shape == batch_shape:
        _check_labels(labels, classes)
    elif not (jnp.issubdtype(labels.dtype, jnp.floating) and labels.shape == logits.shape):
        raise ActlabError(
            f"softmax_cross_entropy: labels of shape {labels.shape} and dtype {labels.dtype} do not fit "
            f"logits of shape {logits.shape}: give integer labels of shape {batch_shape} "
            f"or float targets of shape {logits.shape}"
        )
    smooth = not (isinstance(label_smoothing, (int, float)) and label_smoothing == 0)
    return _softmax_cross_entropy(logits, labels, where, label_smoothing if smooth else None, axes=axes)


@functools.partial(jax.jit, static_argnames=("axes",))
def _softmax_cross_entropy(logits, labels, where, eps, *, axes):
    if where is not None:
        where = jnp.asarray(where, bool)
        if where.ndim == logits.ndim - len(axes):  # one flag per example
            where = jnp.expand_dims(where, axes)
    x, _ = _to_last(_masked(logits, where), axes)
    x = x.astype(compute_dtype(logits.dtype))
    classes = x.shape[-1]
    if jnp.issubdtype(labels.dtype, jnp.integer):
        if eps is None:
            flat = _xent_labels(x.reshape(-1, classes), labels.reshape(-1))
            return flat.reshape(labels.shape).astype(logits.dtype)
        q = jax.nn.one_hot(labels, classes, dtype=x.dtype)
    else:
        q, _ = _to_last(labels if where is None else jnp.where(where, labels, 0), axes)  # masked classes leave the sum
        q = q.astype(x.dtype)
    return _xent_targets(x, q, eps).astype(logits.dtype)


def _xent_targets(x, q, eps):
    """sum_j q_j (-log softmax(x)_j) over the last axis, 0 * inf = 0 for a
    masked class the target leaves out; eps smooths q over the unmasked classes."""
    log_p = _log_softmax_last(x)
    masked = log_p == -jnp.inf  # -inf logits (and masks), and every class of an all -inf row
    if eps is not None:
        unmasked = (~masked).astype(x.dtype)
        uniform = unmasked / jnp.maximum(jnp.sum(unmasked, axis=-1, keepdims=True), 1)
        q = (1 - eps) * q + eps * uniform
    # the label gradient is -log_p, and 0 on a masked class (outside the
    # distribution; where(), not 0 * inf, so that no NaN reaches the gradient)
    neg_log_p = jnp.where(masked, jnp.zeros_like(log_p), -log_p)
    impossible = jnp.where(masked & (q > 0), jnp.inf, 0).astype(x.dtype)  # target mass on a masked class
    loss = jnp.sum(q * neg_log_p + impossible, axis=-1)
    empty_row = jnp.all(masked, axis=-1)  # a padded example drops out
    return jnp.where(empty_row, jnp.zeros_like(loss), loss)


# --- sigmoid binary cross-entropy ------------------------------------------------------------


@jax.custom_jvp
def _binary_xent(x, y):
    # (1 - y) x + log1p(exp(-x)) for x >= 0, -y x + log1p(exp(x)) for x < 0;
    # where() keeps 0 * inf out: x = +inf, y = 1 is the limit 0
    one_minus_y = 1 - y
    positive = jnp.where(one_minus_y == 0, jnp.zeros_like(x), one_minus_y * x)
    negative = jnp.where(y == 0, jnp.zeros_like(x), -y * x)
    return jnp.where(x >= 0, positive, negative) + jnp.log1p(jnp.exp(-jnp.abs(x)))


def _binary_xent_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    loss = _binary_xent(x, y)
    out = jnp.zeros_like(loss)
    if not isinstance(tx, SymbolicZero):
        e = jnp.exp(-jnp.abs(x))
        sig_neg_abs = e / (1 + e)  # sigmoid(-|x|), never overflows
        # sigmoid(x) - y, as (1 - y) - sigmoid(-x) for x >= 0: both tails keep their digits
        out = out + jnp.where(x >= 0, (1 - y) - sig_neg_abs, sig_neg_abs - y) * tx
    if not isinstance(ty, SymbolicZero):
        out = out - x * ty  # d loss / d y = -x, also where the value's where() picks 0
    return loss, out


_binary_xent.defjvp(_binary_xent_jvp, symbolic_zeros=True)


def sigmoid_binary_cross_entropy(logits, labels):
    """Binary cross-entropy of sigmoid(logits) against targets, elementwise.

    loss = -y log sigmoid(x) - (1 - y) log(1 - sigmoid(x)), computed as
    ``(1 - y) * x + log1p(exp(-x))`` for x >= 0 and ``-y * x + log1p(exp(x))``
    for x < 0: two terms >= 0 for y in [0, 1], so nothing cancels and the
    result is finite for logits of any size. Infinite logits give the limits:
    x = +inf with y = 1 gives 0 (y < 1 gives inf); x = -inf with y = 0 gives 0.
    One sigmoid per output, so multi-label targets work as they are.

    Args:
      logits: real array, any shape.
      labels: targets in [0, 1] (floats, or 0/1 integers), broadcastable to
        ``logits``.

    Returns:
      The loss, shape of ``logits`` broadcast with ``labels``, in the float
      dtype of ``logits``. Its gradient is sigmoid(x) - y, accurate in both
      tails, and -x with respect to the labels.
    """
    logits = real_array(logits, "sigmoid_binary_cross_entropy")
    return _sigmoid_binary_cross_entropy(logits, jnp.asarray(labels))


@jax.jit
def _sigmoid_binary_cross_entropy(logits, labels):
    x = logits.astype(compute_dtype(logits.dtype))
    x, y = jnp.broadcast_arrays(x, labels.astype(x.dtype))
    return _binary_xent(x, y).astype(logits.dtype)


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
    logits = real_array(logits, "naive_softmax_cross_entropy")
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
    logits = real_array(logits, "naive_sigmoid_binary_cross_entropy")
    y = jnp.asarray(labels).astype(logits.dtype)
    p = 1 / (1 + jnp.exp(-logits))
    return -(y * jnp.log(p) + (1 - y) * jnp.log(1 - p))
