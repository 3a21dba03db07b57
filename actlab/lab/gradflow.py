"""Derivatives checked against finite differences, gradient flow through depth,
and what backpropagation costs.

Three experiments, each returning frozen data:

    tables = pointwise([get("sigmoid")], [0.0, 2.0, 40.0], dtype="float32")
    flows = gradient_flow([get("sigmoid"), get("relu")], depth=10, width=64)
    timing = backprop_cost(get("tanh"), widths=[4, 8, 16, 32])

``pointwise`` puts f'(x) from the registry beside a central finite difference
(f(x + h) - f(x - h)) / 2h whose step h suits the dtype. ``gradient_flow``
backpropagates once through a random MLP of L hidden layers and measures every
layer (Glorot & Bengio 2010; He et al. 2015). ``backprop_cost`` times reverse
mode, forward mode and finite differences as the parameter count P grows: about
N + P steps for backpropagation against N x P for the naive ways.

All activations of one call run in one jit-compiled program.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Mapping, Sequence
from typing import ClassVar, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from actlab.errors import ActlabError
from actlab.limits import check_memory, in_dtype
from actlab.blocks.activations import name_of
from actlab.blocks.model import Init, parse_init

__all__ = [
    "Point", "PointwiseTable", "pointwise", "fd_step",
    "LayerFlow", "Collapse", "GradFlow", "gradient_flow", "sample_network", "verdict",
    "CostRow", "CostResult", "backprop_cost", "COST_METHODS",
    "SATURATION", "VANISHING", "EXPLODING",
]

# |f'(z)| below this counts as saturated.
SATURATION = 1e-3
# First/last gradient-norm ratios outside [VANISHING, EXPLODING] get a verdict.
VANISHING = 1e-2
EXPLODING = 1e2

_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


def _dtype(name) -> jnp.dtype:
    name = jnp.dtype(name).name
    if name not in _FLOAT_DTYPES:
        raise ActlabError(f"bad dtype {name!r}; choose from: {', '.join(_FLOAT_DTYPES)}")
    return jnp.dtype(name)



# --- pointwise: f'(x) against a finite difference -----------------------------------


class Point(NamedTuple):
    """One row of the pointwise table; every number is a Python float.

    ``x`` is the requested point rounded to the dtype. ``finite_difference`` is
    (f(x + h) - f(x - h)) / 2h with f evaluated in the dtype. ``tolerance`` is
    the error the finite difference itself is expected to carry (rounding of f
    over 2h plus the truncation error, estimated from a second step 2h); the two
    agree when they differ by less than that. At a kink the one-sided slopes
    differ and f'(x) is a convention: ``note`` says "kink".
    """

    x: float
    value: float
    derivative: float
    finite_difference: float
    step: float
    abs_error: float
    rel_error: float
    tolerance: float
    agree: bool
    left_slope: float
    right_slope: float
    note: str


@dataclasses.dataclass(frozen=True)
class PointwiseTable:
    """f, f' and a finite difference of one activation at the requested points."""

    activation: str
    params: Mapping[str, float]
    formula: str
    dtype: str
    eps: float
    step_rule: str
    points: tuple[Point, ...]


STEP_RULE = "h = eps^(1/3) * max(1, |x|), rounded so that x + h - x == h"


def fd_step(x, dtype):
    """The central-difference step for points ``x`` in ``dtype``.

    The error of a central difference is about h^2 |f'''| / 6 (truncation) plus
    eps |f| / h (rounding); h ~ eps^(1/3) balances the two. The step is rounded so
    that x + h and x - h are exact in the dtype and the difference divides by the
    step actually taken.
    """
    dtype = _dtype(dtype)
    x = jnp.asarray(x, dtype)
    eps = float(jnp.finfo(dtype).eps)
    h = (eps ** (1 / 3) * jnp.maximum(1, jnp.abs(x))).astype(dtype)
    return (x + h) - x


@functools.lru_cache(maxsize=64)
def _pointwise_program(acts: tuple, dtype_name: str):
    dtype = jnp.dtype(dtype_name)
    eps = float(jnp.finfo(dtype).eps)
    f64 = jnp.float64

    def one(act, x, h):
        g = act.fn
        y, dy = jax.jvp(g, (x,), (jnp.ones_like(x),))  # elementwise: dy = f'(x)
        fp, fm = g(x + h), g(x - h)
        fp2, fm2 = g(x + 2 * h), g(x - 2 * h)
        y64, h64 = y.astype(f64), h.astype(f64)
        # Differences in float64: for the narrower dtypes the only error left is
        # the dtype's rounding of f itself.
        d1 = (fp.astype(f64) - fm.astype(f64)) / (2 * h64)
        d2 = (fp2.astype(f64) - fm2.astype(f64)) / (4 * h64)
        right = (fp.astype(f64) - y64) / h64
        left = (y64 - fm.astype(f64)) / h64
        right2 = (fp2.astype(f64) - y64) / (2 * h64)
        left2 = (y64 - fm2.astype(f64)) / (2 * h64)
        # Rounding: each f carries a few ulps; truncation: d2 - d1 ~ 3 h^2 f''' / 6.
        scale = jnp.maximum(jnp.maximum(jnp.abs(fp), jnp.abs(fm)), jnp.abs(y)).astype(f64)
        rounding = 4 * eps * scale / (2 * h64)
        truncation = jnp.abs(d2 - d1) / 3
        tol = 2 * (rounding + truncation) + 4 * eps * jnp.abs(dy.astype(f64))
        return dict(value=y64, derivative=dy.astype(f64), fd=d1, tol=tol, left=left,
                    right=right, jump=right - left, jump2=right2 - left2)

    return jax.jit(lambda x, h: tuple(one(act, x, h) for act in acts))


def pointwise(acts: Sequence, xs: Sequence[float], *, dtype="float32",
              step: float | None = None) -> tuple[PointwiseTable, ...]:
    """f(x), f'(x) and a central finite difference for each activation.

    Args:
      acts: ``Activation`` objects (from the registry).
      xs: the points.
      dtype: the floating-point type f is evaluated in.
      step: a fixed step h instead of the dtype's rule (rounded the same way),
        to watch truncation (h too large) and rounding (h too small) take over.

    Returns:
      One ``PointwiseTable`` per activation, in order.
    """
    dtype = _dtype(dtype)
    acts = tuple(acts)
    if not acts:
        raise ActlabError("no activation given")
    if len(xs) == 0:
        raise ActlabError("no points given")
    xs64 = np.asarray(xs, np.float64)
    if not np.all(np.isfinite(xs64)):
        bad = next(v for v in xs64 if not np.isfinite(v))
        raise ActlabError(f"bad point {bad}: a derivative table needs finite numbers")
    largest = float(jnp.finfo(dtype).max)
    # x +- 2h must stay finite too: the step is about eps^(1/3) |x|.
    reach = np.abs(xs64) * (1 + 2.5 * float(jnp.finfo(dtype).eps) ** (1 / 3))
    if np.any(reach > largest):
        bad = next(v for v, r in zip(xs64, reach) if r > largest)
        raise ActlabError(f"bad point {bad:g}: x and its finite-difference steps must fit in "
                          f"{dtype.name} (largest {largest:g})")
    x = jnp.asarray(xs64, dtype)
    rule = STEP_RULE
    if step is None:
        h = fd_step(x, dtype)
    else:
        if not (math.isfinite(step) and step > 0):
            raise ActlabError(f"bad step {step!r}: expected a positive number")
        h = (x + jnp.asarray(step, dtype)) - x
        lost = np.asarray(h == 0)
        if lost.any():
            bad = float(xs64[lost][0])
            raise ActlabError(f"bad step {step:g}: at x = {bad:g} it is lost in {dtype.name} rounding "
                              f"(the spacing there is {float(jnp.finfo(dtype).eps) * max(abs(bad), 1):.3g})")
        if not bool(jnp.all(jnp.isfinite(x + 2 * h))):
            raise ActlabError(f"bad step {step:g}: x + 2h overflows {dtype.name}")
        rule = f"h = {step:g} as given, rounded so that x + h - x == h"
    out = jax.device_get(_pointwise_program(acts, dtype.name)(x, h))
    xs_d = np.asarray(x.astype(jnp.float64))
    hs = np.asarray(h.astype(jnp.float64))
    tables = []
    for act, o in zip(acts, out):
        points = []
        for i in range(len(xs_d)):
            d, fd, tol = float(o["derivative"][i]), float(o["fd"][i]), float(o["tol"][i])
            err = abs(fd - d)
            rel = err / abs(d) if d != 0 else (0.0 if err == 0 else math.inf)
            agree = bool(err <= tol) if math.isfinite(err) else (fd == d)
            jump, jump2 = float(o["jump"][i]), float(o["jump2"][i])
            # A kink: the one-sided slopes differ by a jump that does not shrink
            # with the step (for a smooth f the gap is h f''(x), halving with h).
            kink = abs(jump) > tol and abs(jump2 - jump) < 0.25 * abs(jump)
            if kink:
                note = "kink: f' here is a convention"
            elif not agree:
                note = "MISMATCH"
            elif abs(d) < tol and d != 0:
                note = "below FD resolution"
            else:
                note = ""
            points.append(Point(
                x=float(xs_d[i]), value=float(o["value"][i]), derivative=d, finite_difference=fd,
                step=float(hs[i]), abs_error=err, rel_error=rel, tolerance=tol, agree=agree,
                left_slope=float(o["left"][i]), right_slope=float(o["right"][i]), note=note,
            ))
        tables.append(PointwiseTable(
            activation=name_of(act), params=dict(act.params), formula=getattr(act, "formula", ""),
            dtype=dtype.name, eps=float(jnp.finfo(dtype).eps), step_rule=rule,
            points=tuple(points)))
    return tuple(tables)


# --- gradient flow through depth ----------------------------------------------------------


class LayerFlow(NamedTuple):
    """What one hidden layer sees in one backward pass (layer 1 nearest the input).

    grad_norm: ||dL/dW_l||, Frobenius norm of the weight gradient.
    bias_grad_norm: ||dL/db_l||.
    signal_norm: ||dL/dz_l||, the backpropagated signal at the pre-activations
      (Frobenius over batch x units).
    mean_abs_derivative: mean of |f'(z)| over batch and units: the local gain.
    saturated: fraction of (example, unit) pairs with |f'(z)| < 1e-3.
    dead: fraction of units with f'(z) = 0 for every example of the batch:
      they pass no gradient at all (ReLU units stuck on the flat side).
    sparsity: fraction of activations f(z) that are exactly 0.
    activation_mean: mean of the layer's outputs f(z) over batch and units.
    activation_std: standard deviation of the layer's outputs f(z).
    """

    layer: int
    grad_norm: float
    bias_grad_norm: float
    signal_norm: float
    mean_abs_derivative: float
    saturated: float
    dead: float
    sparsity: float
    activation_mean: float
    activation_std: float


class Collapse(NamedTuple):
    """A network of affine activations against its layers composed into one map.

    max_abs_error: max over the batch of |deep(x) - (x W + b)|, W = W_1 ... W_{L+1}.
    output_scale: max |deep(x)|.
    max_rel_error: max_abs_error / output_scale.
    eps_units: max_rel_error in units of the dtype's machine epsilon.
    """

    max_abs_error: float
    output_scale: float
    max_rel_error: float
    eps_units: float


@dataclasses.dataclass(frozen=True)
class GradFlow:
    """One activation's gradient flow through a random MLP.

    ratio is grad_norm(layer 1) / grad_norm(layer L); factor_per_layer its
    (L - 1)-th root; signal_ratio the same for the backpropagated signal.
    """

    activation: str
    params: Mapping[str, float]
    init: str
    depth: int
    width: int
    batch: int
    dtype: str
    seed: int
    bias_std: float
    loss: float
    layers: tuple[LayerFlow, ...]
    output_grad_norm: float
    ratio: float
    factor_per_layer: float
    signal_ratio: float
    verdict: str
    collapse: Collapse | None

    # The verdict's thresholds, for the views; class constants, so not in a result's JSON.
    VANISHING: ClassVar[float] = VANISHING
    EXPLODING: ClassVar[float] = EXPLODING
    SATURATION: ClassVar[float] = SATURATION


def verdict(ratio: float, signal_ratio: float = 1.0, *, finite: bool = True) -> str:
    """"vanishing", "exploding" or "healthy" from the first/last ratios.

    The weight-gradient ratio decides; the backpropagated signal also counts,
    since with a large init ReLU layers grow forward and backward alike and the
    weight gradients keep their ratio while every number blows up. "overflow"
    when the numbers left the dtype's range (``finite`` False, or a ratio inf
    or nan); "dead" when no gradient reaches the last hidden layer at all.
    """
    if not finite or math.isinf(ratio) or math.isinf(signal_ratio):
        return "overflow"
    if math.isnan(ratio) or math.isnan(signal_ratio):
        return "dead"  # 0 / 0: no gradient anywhere
    if ratio < VANISHING or signal_ratio < VANISHING:
        return "vanishing"
    if ratio > EXPLODING or signal_ratio > EXPLODING:
        return "exploding"
    return "healthy"


def _init_name(init: Init) -> str:
    return f"normal:{init.fixed_std:g}" if init.fixed_std is not None else init.name


def _affine_form(act) -> tuple[float, float] | None:
    """(s, c) when f(z) = s z + c exactly (linear, leaky_relu with alpha 1...), else None."""
    probes = jnp.asarray([-3.0, -1.0, -0.25, 0.0, 0.5, 1.0, 2.0, 7.0], jnp.float64)
    y = np.asarray(act(probes), np.float64)
    if not np.all(np.isfinite(y)):
        return None
    c = float(y[3])
    s = float(y[5] - c)
    if np.max(np.abs(y - (s * np.asarray(probes) + c))) > 1e-12 * (1 + np.max(np.abs(y))):
        return None
    return s, c


class _Stack(NamedTuple):
    """The depth experiment's MLP with its L equal hidden layers stacked for lax.scan."""

    w: jax.Array       # (L, width, width)
    b: jax.Array       # (L, width)
    w_out: jax.Array   # (width, 1)
    b_out: jax.Array   # (1,)


class _Draws(NamedTuple):
    """Standard-normal draws of one experiment, shared by every activation."""

    net: _Stack        # unscaled: each activation scales them by its init
    x: jax.Array       # (batch, width) inputs
    t: jax.Array       # (batch, 1) targets


def _draw(key, depth: int, width: int, batch: int, dtype) -> _Draws:
    """N(0, 1) draws in ``dtype``, a pure function of ``key`` and the shapes.

    Drawn in float32 (float64 for float64) and rounded to the dtype as they are
    made, so nothing wider than the dtype is kept and float16/bfloat16 draws
    keep the normal's tails (a uniform in bfloat16 has 8 bits). The hidden
    weights are blocks of whole rows, about 64K numbers each with a key of its
    own, all drawn at once (``vmap``): XLA computes them in one loop that
    writes each number where it belongs, with no temporaries (``--depth 200
    --width 1024``, 2 cores: 0.49 s, against 0.87 s one block at a time).
    """
    source = jnp.float64 if dtype == jnp.float64 else jnp.float32
    kw, kb, kw_out, kb_out, kx, kt = jax.random.split(key, 6)
    normal = lambda k, *shape: _standard_normal(k, shape, source).astype(dtype)  # noqa: E731
    rows = max(d for d in range(1, width + 1) if width % d == 0 and (d * width <= 1 << 16 or d == 1))
    blocks = jax.vmap(lambda k: normal(k, rows, width))(jax.random.split(kw, depth * width // rows))
    net = _Stack(blocks.reshape(depth, width, width), normal(kb, depth, width), normal(kw_out, width, 1),
                 normal(kb_out, 1))
    return _Draws(net, normal(kx, batch, width), normal(kt, batch, 1))


def _standard_normal(key, shape: tuple, dtype):
    """``jax.random.normal(key, shape, dtype)`` (float32 or float64), the same
    numbers bit for bit, with threefry's 20 rounds written out. On a CPU jax
    runs them as a loop of 5 steps (it compiles faster), and XLA splits each
    step across threads: drawing the 210M weights of ``--depth 200 --width 1024``
    took 1.53 s that way and 0.85 s this way (2 cores). The counters, the
    bits and their conversion are jax's (threefry2x32 on the element index,
    the two words xor-ed, or joined for float64; a uniform in (-1, 1), then
    sqrt(2) erfinv). Salmon et al. 2011 (Random123) define threefry."""
    dtype, size = jnp.dtype(dtype), math.prod(shape)
    if size >= 2**32:  # counters past one 32-bit word: jax's own way
        return jax.random.normal(key, shape, dtype)
    k0, k1 = jax.random.key_data(key)
    ks = (k0, k1, k0 ^ k1 ^ np.uint32(0x1BD11BDA))
    x0, x1 = jnp.zeros(shape, jnp.uint32) + ks[0], jax.lax.iota(jnp.uint32, size).reshape(shape) + ks[1]
    for i in range(5):
        for r in ((13, 15, 26, 6), (17, 29, 16, 24))[i % 2]:
            x0 = x0 + x1
            x1 = x0 ^ ((x1 << np.uint32(r)) | (x1 >> np.uint32(32 - r)))
        x0, x1 = x0 + ks[(i + 1) % 3], x1 + ks[(i + 2) % 3] + np.uint32(i + 1)
    if dtype == jnp.float32:
        bits, width = x0 ^ x1, 32
    else:
        bits, width = (x0.astype(jnp.uint64) << np.uint64(32)) | x1.astype(jnp.uint64), 64
    one = np.array(1, dtype)
    mantissa = jax.lax.bitcast_convert_type((bits >> (width - jnp.finfo(dtype).nmant)) | one.view(bits.dtype), dtype)
    low = np.nextafter(-one, np.array(0, dtype))
    uniform = jax.lax.max(low, (mantissa - one) * (one - low) + low)
    return np.array(np.sqrt(2), dtype) * jax.lax.erf_inv(uniform)


class _Scales(NamedTuple):
    """One activation's standard deviations, applied to the shared draws: W ~
    N(0, hidden^2) (the last layer N(0, output^2)) as its init says, b ~ N(0, bias^2).
    The comparison between activations changes only what it claims to change."""

    hidden: jax.Array
    output: jax.Array
    bias: jax.Array


def _scales(init: Init, width: int, bias_std: float, dtype) -> _Scales:
    return _Scales(*(jnp.asarray(v, dtype) for v in (init.std(width, width), init.std(width, 1), bias_std)))


@functools.lru_cache(maxsize=16)
def _draw_program(depth: int, width: int, batch: int, dtype_name: str):
    return jax.jit(lambda key: _draw(key, depth, width, batch, jnp.dtype(dtype_name)))


def sample_network(*, seed: int, depth: int, width: int, batch: int, init: Init,
                   bias_std: float = 0.0, dtype="float32"):
    """The network, inputs and targets ``gradient_flow`` uses for one activation
    (the experiment scales after each product, (a W_raw) std, which may round
    differently from a (std W_raw) in the last bit).

    Returns:
      (params, x, targets): params a list of L + 1 (W, b) pairs as in
      ``actlab.blocks.model`` (W of shape (fan_in, fan_out), the last layer linear);
      x of shape (batch, width); targets of shape (batch, 1).
    """
    dtype = _dtype(dtype)
    draws = _draw_program(depth, width, batch, dtype.name)(jax.random.key(seed))
    std, net = _scales(init, width, bias_std, dtype), draws.net
    params = [(std.hidden * net.w[i], std.bias * net.b[i]) for i in range(depth)]
    return params + [(std.output * net.w_out, std.bias * net.b_out)], draws.x, draws.t


def _layer_stats(out, da) -> dict:
    """What one layer's forward pass shows, from f(z) and f'(z) of the batch (see LayerFlow)."""
    f64 = jnp.float64
    return dict(mean_abs_derivative=jnp.mean(jnp.abs(da.astype(f64))),
                saturated=jnp.mean(jnp.abs(da) < SATURATION),
                dead=jnp.mean(jnp.all(da == 0, axis=0)),
                sparsity=jnp.mean(out == 0),
                activation_mean=jnp.mean(out.astype(f64)),
                activation_std=jnp.std(out.astype(f64)))


def _flow_one(act, affine, net: _Stack, std: _Scales, x, t):
    g = act.fn
    f64 = jnp.float64
    b_out = std.bias * net.b_out

    def loss_fn(shifts, w_out):
        # shifts are zeros added to each z_l: d loss / d shift_l is the
        # backpropagated signal dL/dz_l, from the same single backward pass.
        # Scaled after the product: the shared draws stay the only weights in memory.
        def layer(a, wbs):
            w, b, s = wbs
            z = (a @ w) * std.hidden + std.bias * b + s
            out, da = jax.jvp(g, (z,), (jnp.ones_like(z),))  # elementwise: da = f'(z)
            return out, (a, _layer_stats(out, da))

        a, (inputs, stats) = jax.lax.scan(layer, x, (net.w, net.b, shifts))
        y = a @ w_out + b_out
        return 0.5 * jnp.mean(jnp.square(y - t)), (y, inputs, stats)

    shifts = jnp.zeros((net.w.shape[0],) + x.shape, x.dtype)
    # Differentiated by the signals and the output weights only: dL/dW_l = a_{l-1}^T dL/dz_l
    # is formed one layer at a time below, so no stack of L weight gradients is ever held.
    (loss, (y, inputs, stats)), (signals, g_out) = jax.value_and_grad(
        loss_fn, argnums=(0, 1), has_aux=True)(shifts, std.output * net.w_out)
    norm = lambda v: jnp.sqrt(jnp.sum(jnp.square(v.astype(f64))))  # noqa: E731
    stats.update(
        grad_norm=jax.lax.map(lambda pair: norm(pair[0].T @ pair[1]), (inputs, signals)),
        bias_grad_norm=jax.vmap(norm)(jnp.sum(signals, axis=1)),  # dL/db_l: dL/dz_l summed over the batch
        signal_norm=jax.vmap(norm)(signals),
        loss=loss.astype(f64),
        output_grad_norm=norm(g_out),
    )
    if affine is not None:
        # f(z) = s z + c makes every layer affine: a -> (a W + b) s + c. Fold them
        # into one map x u + beta from the output side (y = a_l u_l + beta_l), with
        # matrix-vector products only, and compare it with the deep network.
        s, c = affine

        def fold(ub, layer):
            u, beta = ub
            w, b = layer
            return (s * std.hidden * (w @ u), (s * std.bias * b + c) @ u + beta), None

        (u, beta), _ = jax.lax.scan(fold, (std.output * net.w_out, b_out), (net.w, net.b), reverse=True)
        y_affine = x @ u + beta
        stats["collapse_abs"] = jnp.max(jnp.abs(y.astype(f64) - y_affine.astype(f64)))
        stats["collapse_scale"] = jnp.max(jnp.abs(y.astype(f64)))
    return stats


@functools.lru_cache(maxsize=32)
def _flow_program(acts: tuple, affines: tuple, depth: int, width: int, batch: int, dtype_name: str):
    """Draws the network once and runs every activation on it, in one program;
    ``scales`` holds each activation's ``_Scales``."""
    dtype = jnp.dtype(dtype_name)

    def run(key, scales):
        draws = _draw(key, depth, width, batch, dtype)
        return tuple(_flow_one(act, affine, draws.net, std, draws.x, draws.t)
                     for act, affine, std in zip(acts, affines, scales))

    return jax.jit(run)


def _check_size(what: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ActlabError(f"bad {what} {value!r}: expected a whole number >= 1")
    return int(value)


def gradient_flow(acts: Sequence, *, depth: int, width: int = 64, batch: int = 128,
                  init: str | Init = "auto", bias_std: float = 0.0, seed: int = 0,
                  dtype="float32") -> tuple[GradFlow, ...]:
    """Backpropagates once through a random MLP per activation and measures each layer.

    The network has ``depth`` hidden layers of ``width`` units on inputs of
    ``width`` features, and one linear output; the loss is
    0.5 * mean((y - t)^2) against random targets t. Inputs and targets are
    N(0, 1). Every activation gets the same random draws, scaled by its init.

    Args:
      acts: ``Activation`` objects.
      depth: L, hidden layers (>= 1).
      width: units per hidden layer (>= 1).
      batch: examples (>= 1).
      init: "auto" (He for the ReLU family, Glorot otherwise), "he", "glorot",
        "lecun", "normal:STD", or an ``Init``.
      bias_std: biases ~ N(0, bias_std^2); 0 (the default) starts them at 0.
      seed: PRNG seed.
      dtype: floating-point type of the network.

    Returns:
      One ``GradFlow`` per activation, in order.

    References:
      Glorot & Bengio 2010, Understanding the difficulty of training deep
      feedforward neural networks. He et al. 2015, Delving deep into rectifiers.
    """
    dtype = _dtype(dtype)
    depth, width, batch = _check_size("depth", depth), _check_size("width", width), _check_size("batch", batch)
    if not (math.isfinite(bias_std) and bias_std >= 0):
        raise ActlabError(f"bad bias std {bias_std!r}: expected a number >= 0")
    in_dtype(bias_std, dtype.name, "--bias-std", std=True)
    acts = tuple(acts)
    if not acts:
        raise ActlabError("no activation given")
    inits = tuple(init if isinstance(init, Init) else parse_init(init, a, dtype) for a in acts)
    affines = tuple(_affine_form(a) for a in acts)
    # The draws in the dtype, shared; per activation six values per unit and
    # example (its layers' inputs, signals and the backward pass's own) and one
    # layer's weight gradient at a time (measured: 1.43x the hidden weights for
    # relu at --depth 200 --width 1024 --batch 128).
    item = dtype.itemsize
    weights = depth * width * (width + 1)
    check_memory(item * (weights + len(acts) * (6 * depth * batch * width + width * width)),
                 f"a network of {depth} layers of {width} units on a batch of {batch}, for {len(acts)} "
                 f"activation{'s' * (len(acts) > 1)}",
                 "use a smaller --width, --depth or --batch", device=jax.devices()[0])
    scales = tuple(_scales(i, width, bias_std, dtype) for i in inits)
    program = _flow_program(acts, affines, depth, width, batch, dtype.name)
    out = jax.device_get(program(jax.random.key(seed), scales))
    eps = float(jnp.finfo(dtype).eps)
    results = []
    for act, init_, o in zip(acts, inits, out):
        layers = tuple(
            LayerFlow(layer=i + 1, **{k: float(o[k][i]) for k in LayerFlow._fields if k != "layer"})
            for i in range(depth)
        )
        first, last = layers[0], layers[-1]
        ratio = _ratio(first.grad_norm, last.grad_norm)
        signal_ratio = _ratio(first.signal_norm, last.signal_norm)
        factor = ratio ** (1 / (depth - 1)) if depth > 1 and ratio > 0 and math.isfinite(ratio) else ratio
        collapse = None
        if "collapse_abs" in o:
            abs_err, scale = float(o["collapse_abs"]), float(o["collapse_scale"])
            rel = abs_err / scale if scale > 0 else (0.0 if abs_err == 0 else math.inf)
            collapse = Collapse(abs_err, scale, rel, rel / eps)
        results.append(GradFlow(
            activation=name_of(act), params=dict(act.params), init=_init_name(init_), depth=depth,
            width=width, batch=batch, dtype=dtype.name, seed=seed, bias_std=float(bias_std),
            loss=float(o["loss"]), layers=layers,
            output_grad_norm=float(o["output_grad_norm"]), ratio=ratio, factor_per_layer=factor,
            signal_ratio=signal_ratio, collapse=collapse,
            verdict=verdict(ratio, signal_ratio, finite=all(
                math.isfinite(v) for layer in layers for v in (layer.grad_norm, layer.signal_norm))),
        ))
    return tuple(results)


def _ratio(a: float, b: float) -> float:
    if b == 0:
        return math.nan if a == 0 else math.inf
    return a / b


# --- what backpropagation costs -------------------------------------------------------------


class CostRow(NamedTuple):
    """Seconds for one full gradient of a network with ``n_params`` parameters.

    reverse_s: ``jax.grad``, backpropagation: one forward and one backward pass.
    forward_s: forward mode as the course notes count it: one ``jax.jvp`` per
      parameter, one after the other, each pushing a one-hot tangent through
      the network (``jax.jacfwd`` would push all P at once as a P x P identity,
      the same arithmetic with P times the memory).
    finite_diff_s: central differences, two forward passes per parameter, one
      parameter after the other: the naive way.
    loss_s: one forward pass (the loss alone), the unit N of the other costs.
    *_error: max |g - g_reverse| / max |g_reverse|: all three compute the same
      gradient (finite differences to about eps^(2/3)).
    A method skipped as too slow for this size has nan seconds and error.
    """

    width: int
    n_params: int
    loss_s: float
    reverse_s: float
    forward_s: float
    finite_diff_s: float
    forward_error: float
    finite_diff_error: float


@dataclasses.dataclass(frozen=True)
class CostResult:
    """Timings for growing P, and the fitted growth exponent of each method
    (the slope of log time against log P over the three largest sizes measured:
    about 1 for reverse mode, about 2 for the per-parameter methods, less where
    fixed costs per step still weigh)."""

    activation: str
    depth: int
    batch: int
    n_in: int
    dtype: str
    repeats: int
    rows: tuple[CostRow, ...]
    exponents: Mapping[str, float]
    skipped: tuple[str, ...]


COST_METHODS = ("loss", "reverse", "forward", "finite_diff")


def _repeat(fn):
    """``fn`` called k times in one compiled loop, each call on the previous
    result, so the per-call dispatch cost (tens of microseconds on a CPU, more
    than a small network's whole gradient) is paid once and the time divided by
    k is the work itself. Returns the first call's value."""

    def run(theta, k):
        def body(_, carry):
            th, _ = carry
            out = fn(th)
            # A real dependency on the result, too small to change theta by one
            # ulp: every call sees the same theta and returns the same value.
            return th - 1e-30 * jnp.tanh(jnp.sum(out)) * th, out

        out0 = jax.eval_shape(fn, theta)
        _, out = jax.lax.fori_loop(0, k, body, (theta, jnp.zeros(out0.shape, out0.dtype)))
        return out

    return jax.jit(run)


def _time_compiled(compiled, theta, *, repeats: int, target_s: float = 0.02) -> tuple[float, object]:
    """Seconds per call of a ``_repeat`` program, and its value.

    The loop count k grows (x4) until one measurement takes ``target_s``, as
    ``timeit`` does; then the fastest of ``repeats`` measurements is kept: the
    one least disturbed by other work on the machine.
    """
    value = jax.block_until_ready(compiled(theta, np.int32(1)))  # warm-up, and the value
    start = time.perf_counter()
    jax.block_until_ready(compiled(theta, np.int32(1)))
    elapsed, k = time.perf_counter() - start, 1
    # A call slower than the target counts as a measurement; faster ones loop.
    while elapsed < target_s and k < 1_000_000:
        k = k * 4 if k > 1 or elapsed < target_s / 4 else k * 2
        start = time.perf_counter()
        jax.block_until_ready(compiled(theta, np.int32(k)))
        elapsed = time.perf_counter() - start
    times = [elapsed / k]
    for _ in range(repeats - 1):
        start = time.perf_counter()
        jax.block_until_ready(compiled(theta, np.int32(k)))
        times.append((time.perf_counter() - start) / k)
    return float(np.min(times)), value


def _n_params(width: int, depth: int, n_in: int) -> int:
    sizes = [n_in] + [width] * depth + [1]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def _check_cost_memory(widths, depth, batch, n_in, dtype) -> None:
    """Every size's parameters live at once (float64 draws and the dtype's
    copy, with its finite-difference steps); the one being timed has a few
    copies more (its gradient, a tangent, a nudged copy) and six values per
    unit and example."""
    item = dtype.itemsize
    sizes = [_n_params(w, depth, n_in) for w in widths]
    p = max(sizes)
    need = (8 + 2 * item) * sum(sizes) + 6 * item * p + 6 * item * batch * max(widths) * depth
    check_memory(need, f"--cost up to width {max(widths)} ({p:,} parameters)", "use smaller --widths",
                 device=jax.devices()[0])


def backprop_cost(act, *, widths: Sequence[int] = (8, 16, 32, 64), depth: int = 2,
                  batch: int = 16, n_in: int = 8, repeats: int = 3, seed: int = 0,
                  dtype="float32", budget_s: float = 5.0, progress=None) -> CostResult:
    """Times one full gradient three ways for MLPs of growing parameter count P.

    Backpropagation (reverse mode) costs a small multiple of one forward pass,
    about N + P steps for N nodes; forward mode and finite differences need one
    pass per parameter, about N x P. So the time of reverse mode grows like P
    and the other two like P^2, and their ratio to reverse mode grows like P.
    Each time is the fastest of ``repeats`` measurements of many calls in one
    compiled loop, divided by the number of calls.

    Args:
      act: the hidden activation.
      widths: hidden widths to try; P grows roughly as depth x width^2.
      depth: hidden layers.
      batch: examples in the loss.
      n_in: input features.
      repeats: timed measurements per method and size (the fastest is kept).
      seed: PRNG seed.
      dtype: floating-point type.
      budget_s: forward mode and finite differences are skipped for a size
        where they are predicted (from the size before, as P^2) to take longer
        than this per gradient, or where P > 100000.
      progress: optional callable(str) told what is being done.
    """
    dtype = _dtype(dtype)
    depth, batch, n_in, repeats = (_check_size(w, v) for w, v in
                                   (("depth", depth), ("batch", batch), ("inputs", n_in), ("repeats", repeats)))
    widths = [_check_size("width", w) for w in widths]
    if not widths:
        raise ActlabError("no widths given")
    _check_cost_memory(widths, depth, batch, n_in, dtype)
    # numpy draws the networks: jax's random ops would compile for every new
    # shape, which costs more than the experiment.
    rng = np.random.default_rng(seed)
    x = jnp.asarray(rng.standard_normal((batch, n_in)), dtype)
    t = jnp.asarray(rng.standard_normal((batch, 1)), dtype)
    nets = [_cost_network(act, [n_in] + [width] * depth + [1], x, t, rng) for width in widths]
    if progress:
        progress(f"compiling {len(nets) * len(COST_METHODS)} programs")
    compiled = _compile_side_by_side(nets)
    rows, skipped, previous = [], [], None
    for width, (theta, _), futures in zip(widths, nets, compiled):
        if progress:
            progress(f"timing width {width} (P = {theta.size})")
        row, why = _time_methods(width, theta, futures, previous, repeats=repeats, budget_s=budget_s)
        rows.append(row)
        skipped += why
        previous = row
    return CostResult(name_of(act), depth, batch, n_in, dtype.name, repeats, tuple(rows), _exponents(rows),
                      tuple(skipped))


def _cost_network(act, sizes, x, t, rng):
    """(theta, the four methods' lowered programs) for an MLP of these widths:
    theta holds every weight and bias in one vector, so that each method
    differentiates one function of P numbers."""
    dtype = x.dtype
    init = parse_init("auto", act)
    g = act.fn
    shapes, pieces = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        shapes += [(fan_in, fan_out), (fan_out,)]
        pieces += [init.std(fan_in, fan_out) * rng.standard_normal(fan_in * fan_out), np.zeros(fan_out)]
    theta_np = np.concatenate(pieces).astype(dtype)
    theta = jnp.asarray(theta_np)

    def loss(theta):
        flat, offset = [], 0
        for shape in shapes:
            n = math.prod(shape)
            flat.append(theta[offset:offset + n].reshape(shape))
            offset += n
        a = x
        for w, b in zip(flat[:-2:2], flat[1:-2:2]):
            a = g(a @ w + b)
        return 0.5 * jnp.mean(jnp.square(a @ flat[-2] + flat[-1] - t))

    eps = float(jnp.finfo(dtype).eps)
    h_np = (eps ** (1 / 3) * np.maximum(1, np.abs(theta_np))).astype(dtype)
    h = jnp.asarray((theta_np + h_np) - theta_np)

    def finite_diff(theta):
        # The naive way: nudge one parameter at a time, two forward passes each.
        def one(i):
            e = jnp.zeros_like(theta).at[i].set(h[i])
            return (loss(theta + e) - loss(theta - e)) / (2 * h[i])

        return jax.lax.map(one, jnp.arange(theta.size))

    def forward(theta):
        # Forward mode, one parameter at a time: a JVP with the tangent e_i.
        def one(i):
            return jax.jvp(loss, (theta,), (jnp.zeros_like(theta).at[i].set(1),))[1]

        return jax.lax.map(one, jnp.arange(theta.size))

    fns = dict(loss=loss, reverse=jax.grad(loss), forward=forward, finite_diff=finite_diff)
    return theta, {m: _repeat(f).lower(theta, np.int32(1)) for m, f in fns.items()}


def _compile_side_by_side(nets):
    """Futures of every compiled program; XLA compiles outside the GIL, so they
    compile side by side."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        return [{m: pool.submit(lowered.compile) for m, lowered in lows.items()} for _, lows in nets]


def _time_methods(width, theta, futures, previous, *, repeats, budget_s):
    """One ``CostRow``, and the methods skipped at this size with the reason."""
    n_params = int(theta.size)
    seconds, values, skipped = {}, {}, []
    for m in COST_METHODS:
        reason = _skip_reason(m, n_params, previous, budget_s)
        if reason:
            seconds[m] = math.nan
            skipped.append(f"{m} at P = {n_params} ({reason})")
        else:
            seconds[m], values[m] = _time_compiled(futures[m].result(), theta, repeats=repeats)
    g_rev = np.asarray(values["reverse"], np.float64)
    scale = max(float(np.max(np.abs(g_rev))), np.finfo(np.float64).tiny)
    err = {m: (float(np.max(np.abs(np.asarray(values[m], np.float64) - g_rev))) / scale
               if m in values else math.nan) for m in ("forward", "finite_diff")}
    return CostRow(width, n_params, seconds["loss"], seconds["reverse"], seconds["forward"],
                   seconds["finite_diff"], err["forward"], err["finite_diff"]), skipped


def _skip_reason(method, n_params, previous, budget_s) -> str | None:
    """Why a per-parameter method is not timed at this size: P > 100000, skipped
    at a smaller P already, or predicted (as P^2 from the size before) to take
    longer than ``budget_s`` per gradient."""
    if method not in ("forward", "finite_diff"):
        return None
    if n_params > 100_000:
        return "P > 100000"
    if previous is None:
        return None
    before = getattr(previous, f"{method}_s")
    if not math.isfinite(before):
        return "skipped at a smaller P"
    predicted = before * (n_params / previous.n_params) ** 2
    return f"predicted {predicted:.3g} s > {budget_s:g} s" if predicted > budget_s else None


def _exponents(rows) -> dict[str, float]:
    """The slope of log time against log P per method, fitted on the three largest
    sizes: at the smallest, fixed costs per step dominate."""
    exponents = {}
    for m in COST_METHODS:
        pts = [(r.n_params, getattr(r, f"{m}_s")) for r in rows if math.isfinite(getattr(r, f"{m}_s"))][-3:]
        if len({p for p, _ in pts}) >= 2:
            exponents[m] = float(np.polyfit(np.log([p for p, _ in pts]), np.log([s for _, s in pts]), 1)[0])
    return exponents
