"""The activation registry: every activation declared once.

Each entry gives the function and its derivative as one elementwise formula
``value_and_derivative(x, **params) -> (f(x), f'(x))``, written in a stable form
that stays accurate in the tails (the textbook forms lose every digit there:
``sigmoid'(40)`` as ``s * (1 - s)`` is 0, its true value is 4.25e-18), plus the
facts a learner asks about. ``list``, ``plot``, ``grad``, ``train`` and the
tests all read this one table.

    >>> act = get("leaky_relu", alpha=0.1)
    >>> y, dy = act.value_and_derivative(jnp.linspace(-3, 3, 7))

The function is a ``jax.custom_jvp`` whose tangent is the declared derivative,
so ``jax.grad`` through a network uses the accurate formula too.

The registry is passive: it holds what is registered and nothing else. Plugins
and formulas are resolved by ``actlab.catalog``, which registers plugins here.
Reading the table (``actlab list``) does not import jax; the formulas reach it
on their first call.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import math
from collections.abc import Callable, Mapping

from actlab.blocks.data import TASKS
from actlab.errors import ActlabError, unknown

__all__ = ["Activation", "names", "known", "get", "register", "unregister", "ROLES", "INITS",
           "SATURATES"]

# Typical uses: a hidden layer, or the output layer of a task (by the usual
# rules: sigmoid for binary and multi-label, linear for regression, ReLU for
# non-negative regression).
ROLES = ("hidden", *TASKS)
# Weight inits by the activation's family (actlab.blocks.model): He et al. 2015
# for ReLU-like units, Glorot & Bengio 2010 for the rest, LeCun for SELU.
INITS = ("he", "glorot", "lecun")
SATURATES = ("both", "negative", "positive", "none")


class _Deferred:
    """A module imported on first use, so the registry is read without jax."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self._name), attr)


jax, jnp, lax = _Deferred("jax"), _Deferred("jax.numpy"), _Deferred("jax.lax")


@dataclasses.dataclass(frozen=True, eq=False)
class Activation:
    """An elementwise activation with its derivative and its facts.

    Attributes:
      name: registry name.
      formula: the formula as text, in x and the parameter names.
      value_and_derivative_fn: ``(x, **params) -> (f(x), f'(x))``, elementwise.
      params: parameter values, e.g. {"alpha": 0.01}.
      source: "built-in", "plugin:PACKAGE" or "expression".
      output_range: (lo, hi) of f over the reals (inf where unbounded).
      open_ends: whether lo and hi are only approached, never attained.
      zero_centred: whether f is odd (outputs symmetric about 0).
      monotonic: whether f is non-decreasing.
      saturates: where f' goes to 0, one of ``SATURATES``.
      max_slope: the largest |f'| and where, as text.
      uses: typical roles, from ``ROLES``.
      note: one line on why one would pick it.
      init: the weight init of its family, one of ``INITS``; None until known.
      sampled: whether the facts were estimated by sampling (formulas, function
        plugins) rather than declared.
    """

    name: str
    formula: str
    value_and_derivative_fn: Callable = dataclasses.field(repr=False)
    params: Mapping[str, float] = dataclasses.field(default_factory=dict)
    source: str = "built-in"
    # The facts: every view and the JSON read them from these fields.
    output_range: tuple[float, float] = (-math.inf, math.inf)
    open_ends: tuple[bool, bool] = (True, True)
    zero_centred: bool = False
    monotonic: bool = True
    saturates: str = "none"
    max_slope: str = ""
    uses: tuple[str, ...] = ("hidden",)
    note: str = ""
    init: str | None = None
    sampled: bool = False

    def __post_init__(self):
        problem = _fact_problem(self)
        if problem:
            raise ActlabError(f"activation {self.name!r}: {problem}")

    @functools.cached_property
    def fn(self) -> Callable:
        """f as a ``custom_jvp`` function whose derivative is the declared one."""
        vd = self._vd

        @jax.custom_jvp
        def f(x):
            return vd(x)[0]

        @f.defjvp
        def f_jvp(primals, tangents):
            (x,), (t,) = primals, tangents
            y, dy = vd(x)
            return y, dy * t

        return f

    @functools.cached_property
    def _vd(self) -> Callable:
        """(f, f') on any float dtype; float16/bfloat16 compute in float32."""
        params = dict(self.params)
        vd = self.value_and_derivative_fn

        def fused(x):
            from actlab.blocks.arrays import compute_dtype, real_array

            x = real_array(x, self.name)
            wide = compute_dtype(x.dtype)
            y, dy = vd(x.astype(wide), **params)
            return (jnp.broadcast_to(y, x.shape).astype(x.dtype),
                    jnp.broadcast_to(dy, x.shape).astype(x.dtype))

        return fused

    @functools.cached_property
    def _jit_value(self):
        return jax.jit(self.fn)

    @functools.cached_property
    def _jit_derivative(self):
        return jax.jit(lambda x: self._vd(x)[1])

    @functools.cached_property
    def _jit_value_and_derivative(self):
        def both(x):
            # XLA:CPU will not fuse an expensive intermediate (exp, erfc) that f and
            # f' share into both of their loops: it writes it to memory and reads it
            # back, a pass over the array each time. From two copies of x (the
            # barrier stops common-subexpression elimination) f and f' each become
            # one loop that reads x once: recomputing is cheaper than memory traffic.
            x_f, x_df = lax.optimization_barrier((x, x))
            return self._vd(x_f)[0], self._vd(x_df)[1]

        return jax.jit(both)

    def __call__(self, x):
        """f(x), elementwise; any shape; the dtype of x is kept."""
        return self._jit_value(x)

    def derivative(self, x):
        """f'(x), elementwise; same shape and dtype as x."""
        return self._jit_derivative(x)

    def value_and_derivative(self, x):
        """(f(x), f'(x)) in one fused pass."""
        if self._is_identity:  # f(x) = x: x itself (jax arrays are immutable), not a copy
            from actlab.blocks.arrays import real_array

            x = real_array(x, self.name)
            return x, self._jit_derivative(x)
        return self._jit_value_and_derivative(x)

    @functools.cached_property
    def _is_identity(self) -> bool:
        """Whether f hands back its input unchanged (linear), as traced."""
        jaxpr = jax.make_jaxpr(lambda x: self._vd(x)[0])(jnp.zeros(2, jnp.float32)).jaxpr
        return jaxpr.outvars[0] is jaxpr.invars[0]

    def facts(self) -> dict:
        """The facts by name (``output_range`` ... ``sampled``), as declared or estimated."""
        return {name: getattr(self, name) for name in FACTS}


_FIELDS = [f.name for f in dataclasses.fields(Activation)]
FACTS = tuple(_FIELDS[_FIELDS.index("output_range"):])  # the fields after the source


def _fact_problem(act: Activation) -> str | None:
    """What is wrong with a declaration's facts, or None: a bad one is refused
    when it is registered, not when a view reads it."""
    def pair(v, kind):
        return isinstance(v, tuple) and len(v) == 2 and all(isinstance(e, kind) for e in v)

    if not (isinstance(act.name, str) and act.name):
        return "the name must be a non-empty string"
    if not isinstance(act.formula, str):
        return "formula must be a string"
    if not callable(act.value_and_derivative_fn):
        return "value_and_derivative_fn must be a function"
    if not pair(act.output_range, (int, float)) or any(isinstance(v, bool) for v in act.output_range):
        return f"output_range must be a pair of numbers, got {act.output_range!r}"
    if not pair(act.open_ends, bool):
        return f"open_ends must be a pair of booleans, got {act.open_ends!r}"
    for key in ("zero_centred", "monotonic", "sampled"):
        if not isinstance(getattr(act, key), bool):
            return f"{key} must be True or False, got {getattr(act, key)!r}"
    if act.saturates not in SATURATES:
        return f"saturates must be one of {', '.join(SATURATES)}, got {act.saturates!r}"
    for key in ("max_slope", "note", "source"):
        if not isinstance(getattr(act, key), str):
            return f"{key} must be a string, got {type(getattr(act, key)).__name__}"
    if not (isinstance(act.uses, tuple) and all(u in ROLES for u in act.uses)):
        return f"uses must be a tuple of {', '.join(ROLES)}, got {act.uses!r}"
    if act.init is not None and act.init not in INITS:
        return f"init must be one of {', '.join(INITS)}, got {act.init!r}"
    if not (isinstance(act.params, Mapping) and all(
            isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
            for k, v in act.params.items())):
        return f"params must map names to numbers, got {act.params!r}"
    return None

# --- the formulas ------------------------------------------------------------------
# Each takes x (float32 or wider) and the parameters, returns (f, f').


def _sigmoid_pair(x):
    """(sigmoid(x), sigmoid(-x)), each accurate (1 - sigmoid(x) would cancel),
    from one exp and one divide."""
    e = jnp.exp(-jnp.abs(x))  # in (0, 1]: never overflows
    big = 1 / (1 + e)
    small = e * big
    pos = x >= 0
    return jnp.where(pos, big, small), jnp.where(pos, small, big)


def _tame(x, reach, both=False):
    """x clipped at -reach (and at +reach with both), for a product whose other
    factor is exactly 0 out there in every dtype: the product keeps its value
    (0, or x) and x = -inf (+inf) gives the limit, not inf * 0 = NaN."""
    return jnp.clip(x, -reach, reach) if both else jnp.maximum(x, -reach)


def _defined(x, d):
    """The derivative d, NaN where x is NaN: a slope at no number is no number
    (jax and torch give 0, 1 or alpha there, each its own way)."""
    return jnp.where(jnp.isnan(x), x, d)


def _linear(x):
    return x, _defined(x, jnp.ones_like(x))


def _sigmoid(x):
    # sigma'(x) = sigma(x) sigma(-x) = e / (1 + e)^2 with e = exp(-|x|); not
    # s * (1 - s), which is 0 for x > 17 in float32.
    e = jnp.exp(-jnp.abs(x))
    d = 1 + e
    return jnp.where(x >= 0, 1, e) / d, e / (d * d)


def _tanh(x):
    # 1 - tanh^2 cancels for |x| > 9 in float32; sech^2 = 4e / (1 + e)^2, e = exp(-2|x|).
    e = jnp.exp(-2 * jnp.abs(x))
    return jnp.tanh(x), 4 * e / jnp.square(1 + e)


def _relu(x):
    # relu'(0) = 0, as in jax, PyTorch and TensorFlow: the derivative at the kink
    # is the left one, so a unit exactly at 0 gets no gradient.
    return jnp.maximum(x, 0), _defined(x, jnp.where(x > 0, 1, 0).astype(x.dtype))


def _leaky_relu(x, alpha):
    # leaky_relu'(0) = alpha: the left derivative, the same convention as relu'(0) = 0.
    return jnp.where(x > 0, x, alpha * x), _defined(x, jnp.where(x > 0, 1, alpha).astype(x.dtype))


def _elu(x, alpha):
    # The negative side's derivative is alpha * exp(x), not alpha * expm1(x) + alpha,
    # which rounds to 0 below x = -17 in float32.
    neg = jnp.minimum(x, 0)
    return (jnp.where(x > 0, x, alpha * jnp.expm1(neg)),
            jnp.where(x > 0, 1, alpha * jnp.exp(neg)).astype(x.dtype))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _selu(x):
    y, dy = _elu(x, _SELU_ALPHA)
    return _SELU_SCALE * y, _SELU_SCALE * dy


def _celu(x, alpha):
    neg = jnp.minimum(x, 0) / alpha
    return (jnp.where(x > 0, x, alpha * jnp.expm1(neg)),
            jnp.where(x > 0, 1, jnp.exp(neg)).astype(x.dtype))


_SQRT_HALF = 0.70710678118654752440
_INV_SQRT_2PI = 0.39894228040143267794


def _gelu(x):
    # Phi(x) = erfc(-x / sqrt 2) / 2 keeps relative accuracy in the left tail,
    # where 1 + erf(x / sqrt 2) would cancel to 0. Phi and phi are exactly 0
    # past x = -40 in every dtype: x clipped there (_tame) gives f and f' their
    # limits at -inf and +inf, not inf * 0.
    cdf = 0.5 * lax.erfc(-x * _SQRT_HALF)
    pdf = _INV_SQRT_2PI * jnp.exp(-0.5 * x * x)
    return _tame(x, 40) * cdf, cdf + _tame(x, 40, both=True) * pdf


_SQRT_2_OVER_PI = 0.79788456080286535588


def _gelu_tanh(x):
    # 0.5 * (1 + tanh(u)) = sigmoid(2u): the sigmoid form keeps the left tail
    # (0.5 * (1 + tanh(u)) is 0 below x = -8 in float32; the true value is not).
    u2 = 2 * _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
    s, s_neg = _sigmoid_pair(u2)
    # sigmoid'(u2) is exactly 0 past |x| = 30 (u2 > 1900) in every dtype, and so
    # is s below -30: x clipped there keeps 0 * inf out where x^2 overflows.
    x_c = _tame(x, 30, both=True)
    du2 = 2 * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x_c * x_c)
    return _tame(x, 30) * s, s + x_c * s * s_neg * du2


def _swish(x, beta):
    # f' = s + beta x s s_neg, multiplied in an order whose every product is
    # finite: x s s_neg <= |x| / 4, where beta * x alone overflows at 3e38. s
    # s_neg (and s below) is exactly 0 past |beta x| = 800: x clipped there.
    s, s_neg = _sigmoid_pair(beta * x)
    reach = min(800 / beta, float(jnp.finfo(x.dtype).max))
    return _tame(x, reach) * s, s + (_tame(x, reach, both=True) * s * s_neg) * beta


def _silu(x):
    return _swish(x, 1.0)


def _softplus(x):
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow, no cancellation.
    s, _ = _sigmoid_pair(x)
    return jnp.maximum(x, 0) + jnp.log1p(jnp.exp(-jnp.abs(x))), s


def _softsign(x):
    # past |x| = 2^60 the value is +-1 in every dtype: x clipped there, not inf / inf
    d = 1 + jnp.abs(x)
    x_c = _tame(x, 2.0**60, both=True)
    return x_c / (1 + jnp.abs(x_c)), 1 / (d * d)


def _mish(x):
    # With e = exp(-|x|): for x <= 0 (n = e^x = e), tanh(softplus(x)) = n (n + 2) /
    # (n (n + 2) + 2); for x > 0 (m = e^-x = e), (1 + 2m) / (1 + 2m + 2m^2). sech^2 of
    # softplus, 1 - t^2, is written out the same way, so neither side cancels.
    e = jnp.exp(-jnp.abs(x))
    pos = x > 0
    num = jnp.where(pos, 1 + 2 * e, e * (e + 2))
    den = jnp.where(pos, 1 + 2 * e + 2 * e * e, e * (e + 2) + 2)
    t = num / den
    sech2 = 4 * jnp.square((1 + e) / den) * jnp.where(pos, e * e, 1)
    s = jnp.where(x >= 0, 1, e) / (1 + e)
    # sech2 s (and t below) is exactly 0 past |x| = 800: x clipped there
    return _tame(x, 800) * t, t + _tame(x, 800, both=True) * sech2 * s


def _relu6(x):
    # The derivative is 1 on the open interval (0, 6), 0 at both kinks (as relu'(0) = 0).
    return jnp.clip(x, 0, 6), _defined(x, jnp.where((x > 0) & (x < 6), 1, 0).astype(x.dtype))


def _hard_sigmoid(x):
    # relu6(x + 3) / 6; slope 1/6 on the open interval (-3, 3).
    return jnp.clip(x + 3, 0, 6) / 6, _defined(x, jnp.where((x > -3) & (x < 3), 1 / 6, 0).astype(x.dtype))


def _hard_tanh(x):
    return jnp.clip(x, -1, 1), _defined(x, jnp.where((x > -1) & (x < 1), 1, 0).astype(x.dtype))

# --- the registry ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Entry:
    """A registered activation at its default parameters, and how to vary them."""

    default: Activation
    output_range: Callable | None  # params -> (lo, hi), when the range depends on them
    open_ends: tuple[bool, bool]  # as declared, for the finite ends
    check: Callable | None  # params -> error text or None


_REGISTRY: dict[str, _Entry] = {}
_BUILT: dict[tuple, Activation] = {}  # one object per (name, params): it compiles once
inf = math.inf


def register(
    name: str | Activation,
    formula: str | None = None,
    value_and_derivative_fn: Callable | None = None,
    output_range=(-inf, inf),
    *,
    defaults: Mapping[str, float] | None = None,
    open_ends: tuple[bool, bool] = (False, False),
    source: str = "built-in",
    check: Callable | None = None,
    **facts,
) -> Activation:
    """Adds an activation to the registry (plugins are registered through this too).

    Args:
      name: the registry name; must be new. Or an ``Activation``, registered as it is.
      formula: the formula as text.
      value_and_derivative_fn: ``(x, **params) -> (f(x), f'(x))``, elementwise.
      output_range: (lo, hi), or a function of the parameters returning it.
      defaults: parameter names and default values.
      open_ends: whether finite ends of the range are only approached (sigmoid's 0 and 1).
      source: where the declaration came from.
      check: optional ``params -> message or None`` to refuse bad values.
      **facts: the other facts of ``Activation`` (zero_centred, monotonic,
        saturates, max_slope, uses, note, init, sampled).

    Returns:
      The activation at its default parameters.

    Raises:
      ActlabError: a taken name, or a declaration whose facts are invalid (the
        range function is called with the defaults here, so it fails now, not later).
    """
    if isinstance(name, Activation):
        act, range_fn, check = name, None, None
        defaults, open_ends = act.params, act.open_ends
    else:
        range_fn = output_range if callable(output_range) else None
        defaults = {k: float(v) for k, v in (defaults or {}).items()}
        if "uses" in facts:
            facts["uses"] = tuple(facts["uses"])
        act = Activation(name=name, formula=formula, value_and_derivative_fn=value_and_derivative_fn,
                         params=defaults, source=source, **facts)
        act = _with_range(act, range_fn(**defaults) if range_fn else output_range, tuple(open_ends))
    if act.name in _REGISTRY:
        raise ActlabError(f"activation {act.name!r} is already registered")
    _REGISTRY[act.name] = _Entry(act, range_fn, tuple(open_ends), check)
    return act


def _with_range(act: Activation, output_range, open_ends) -> Activation:
    """``act`` with this range (checked as every fact is); infinite ends are
    open whatever was declared."""
    act = dataclasses.replace(act, output_range=tuple(output_range), open_ends=tuple(open_ends))
    lo, hi = act.output_range
    return dataclasses.replace(act, output_range=(float(lo), float(hi)),
                               open_ends=(act.open_ends[0] or math.isinf(lo), act.open_ends[1] or math.isinf(hi)))


def unregister(name: str) -> None:
    """Removes ``name`` (a plugin's tests use this to leave the registry as it was)."""
    _REGISTRY.pop(name, None)
    for key in [k for k in _BUILT if k[0] == name]:
        del _BUILT[key]


def names() -> list[str]:
    """Every registered activation name, sorted."""
    return sorted(_REGISTRY)


def name_of(act) -> str:
    """The name of an activation, or of a plain function passed in its place."""
    return getattr(act, "name", str(act))


def known(name: str) -> bool:
    """Whether ``name`` is registered."""
    return name in _REGISTRY


def get(name: str, **params: float) -> Activation:
    """The activation ``name`` with ``params`` overriding its defaults.

    Raises:
      ActlabError (a ValueError): unknown name, unknown parameter or bad value.
    """
    entry = _REGISTRY.get(name)
    if entry is None:
        raise unknown("activation", name, _REGISTRY)
    defaults = entry.default.params
    for key, value in params.items():
        if key not in defaults:
            allowed = ", ".join(defaults) or "none"
            raise ActlabError(f"{name} has no parameter {key!r}; its parameters: {allowed}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ActlabError(f"{name}: parameter {key}={value!r} must be a finite number")
    merged = {**defaults, **{k: float(v) for k, v in params.items()}}
    key = (name, tuple(sorted(merged.items())))
    if key not in _BUILT:
        problem = entry.check(merged) if entry.check else None
        if problem:
            raise ActlabError(f"{name}: {problem}")
        act = dataclasses.replace(entry.default, params=merged)
        if entry.output_range is not None:
            act = _with_range(act, entry.output_range(**merged), entry.open_ends)
        _BUILT[key] = act
    return _BUILT[key]


# float32's smallest normal number and largest number (parameters are used in
# float32 or wider), float16's largest (f and f' must fit it too)
_TINY, _SINGLE_MAX, _HALF_MAX = 2.0**-126, (2 - 2.0**-23) * 2.0**127, 65504.0


def _within(key, lo, hi, why, lo_open=False):
    """A check: params[key] in [lo, hi] ((lo, hi] with lo_open), or the message saying so."""
    allowed = f"> {lo:g} and at most {hi:g}" if lo_open else f"in [{lo:g}, {hi:g}]"

    def check(p):
        v = p[key]
        if (v <= lo if lo_open else v < lo) or v > hi:
            return f"{key} must be {allowed} ({why}), got {v:g}"
        return None
    return check


# Minimum values of the smooth non-monotonic ones: gelu(-0.7518), silu(-1.2785),
# mish(-1.1924), found by solving f'(x) = 0.
register("linear", "x", _linear, zero_centred=True, max_slope="1 everywhere",
         uses=("regression",), note='"no activation": any depth of it is one affine map', init="glorot")
register("sigmoid", "1 / (1 + exp(-x))", _sigmoid, (0, 1), open_ends=(True, True), saturates="both",
         max_slope="0.25 at x = 0", uses=("binary", "multi-label"),
         note="a probability; not zero-centred; vanishing gradients when stacked", init="glorot")
register("tanh", "(e^x - e^-x) / (e^x + e^-x)", _tanh, (-1, 1), open_ends=(True, True), zero_centred=True,
         saturates="both", max_slope="1 at x = 0", uses=("hidden",),
         note="zero-centred sigmoid: 2 sigmoid(2x) - 1; still saturates", init="glorot")
register("relu", "max(0, x)", _relu, (0, inf), saturates="negative",
         max_slope="1 for x > 0", uses=("hidden", "non-negative-regression"),
         note="the default hidden activation; units can die (f' = 0 for x < 0)", init="he")
register("leaky_relu", "x if x > 0 else alpha * x", _leaky_relu,
         lambda alpha: (-inf if alpha > 0 else (0 if alpha == 0 else inf), inf),
         defaults={"alpha": 0.01}, max_slope="max(1, |alpha|)", note="ReLU without dead units", init="he",
         check=_within("alpha", 0, 1, "the slope of the negative side; steeper overflows float16"))
register("elu", "x if x > 0 else alpha * (exp(x) - 1)", _elu, lambda alpha: (-alpha, inf), open_ends=(True, True),
         defaults={"alpha": 1.0}, saturates="negative", max_slope="max(1, alpha) (x -> 0)",
         note="smooth negative side pushes mean activations toward 0 (Clevert et al. 2015)",
         check=_within("alpha", 0, _HALF_MAX, "f reaches -alpha, which must fit float16", lo_open=True), init="he")
register("selu", "scale * (x if x > 0 else alpha * (exp(x) - 1)), alpha = 1.67326, scale = 1.05070",
         _selu, (-_SELU_SCALE * _SELU_ALPHA, inf), open_ends=(True, True), saturates="negative",
         max_slope="1.7581 (x -> 0-)", note="self-normalising with LeCun init (Klambauer et al. 2017)", init="lecun")
register("celu", "x if x > 0 else alpha * (exp(x / alpha) - 1)", _celu, lambda alpha: (-alpha, inf), open_ends=(True, True),
         defaults={"alpha": 1.0}, saturates="negative", max_slope="1 (x >= 0)",
         note="ELU made continuously differentiable for any alpha (Barron 2017)",
         check=_within("alpha", _TINY, _HALF_MAX, "x / alpha needs a normal float32 alpha; f reaches -alpha"),
         init="he")
register("gelu", "x * Phi(x), Phi the standard normal CDF", _gelu, (-0.16997120, inf),
         monotonic=False, saturates="negative", max_slope="1.1289 at x = 1.4142",
         note="smooth ReLU used by Transformers (Hendrycks & Gimpel 2016)", init="he")
register("gelu_tanh", "0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))", _gelu_tanh,
         (-0.17004076, inf), monotonic=False, saturates="negative",
         max_slope="1.1290 at x = 1.4185", note="the tanh approximation of GELU (GPT-2, BERT)", init="he")
register("silu", "x * sigmoid(x)", _silu, (-0.27846454, inf), monotonic=False,
         saturates="negative", max_slope="1.0998 at x = 2.3994",
         note="swish with beta = 1 (Elfwing et al. 2017)", init="he")
register("swish", "x * sigmoid(beta * x)", _swish,
         lambda beta: ((-0.27846454 / beta, inf) if beta > 0 else (-inf, inf)),
         defaults={"beta": 1.0}, monotonic=False, saturates="negative",
         max_slope="1.0998 at x = 2.3994 / beta", note="self-gated (Ramachandran et al. 2017)",
         check=_within("beta", _TINY, _SINGLE_MAX, "a normal float32 number > 0"), init="he")
register("softplus", "log(1 + exp(x))", _softplus, (0, inf), open_ends=(True, True), saturates="negative",
         max_slope="1 (x -> inf)", uses=("hidden", "non-negative-regression"),
         note="smooth ReLU; its derivative is sigmoid", init="he")
register("softsign", "x / (1 + |x|)", _softsign, (-1, 1), open_ends=(True, True), zero_centred=True, saturates="both",
         max_slope="1 at x = 0", note="like tanh with polynomial, slower saturation", init="glorot")
register("mish", "x * tanh(softplus(x))", _mish, (-0.30884342, inf), monotonic=False,
         saturates="negative", max_slope="1.0885 at x = 1.4906", note="smooth self-gated (Misra 2019)", init="he")
register("relu6", "min(max(0, x), 6)", _relu6, (0, 6), saturates="both",
         max_slope="1 on (0, 6)", note="bounded ReLU for low-precision inference (MobileNet)", init="he")
register("hard_sigmoid", "relu6(x + 3) / 6", _hard_sigmoid, (0, 1), saturates="both",
         max_slope="1/6 on (-3, 3)", note="piecewise-linear sigmoid, cheap on mobile", init="glorot")
register("hard_tanh", "max(-1, min(1, x))", _hard_tanh, (-1, 1), zero_centred=True,
         saturates="both", max_slope="1 on (-1, 1)", note="piecewise-linear tanh", init="glorot")
