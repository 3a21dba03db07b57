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
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from actlab.errors import ActlabError, unknown

__all__ = ["Activation", "names", "known", "get", "register", "ROLES"]

# Typical uses, by the usual rules: hidden ReLU; output sigmoid for binary and
# multi-label, linear for regression, ReLU for non-negative regression.
ROLES = ("hidden", "binary", "multi-label", "multi-class", "regression", "non-negative regression")


@dataclasses.dataclass(frozen=True, eq=False)
class Activation:
    """An elementwise activation with its derivative and its facts.

    Attributes:
      name: registry name.
      formula: the formula as text, in x and the parameter names.
      output_range: (lo, hi) of f over the reals (inf where unbounded).
      open_ends: whether lo and hi are only approached, never attained.
      params: parameter values, e.g. {"alpha": 0.01}.
      zero_centred: whether f is odd (outputs symmetric about 0).
      monotonic: whether f is non-decreasing.
      saturates: where f' goes to 0: "both", "negative", "positive" or "none".
      max_slope: the largest |f'| and where, as text.
      uses: typical roles, from ``ROLES``.
      note: one line on why one would pick it.
      source: "built-in", "plugin:PACKAGE" or "expression".
    """

    name: str
    formula: str
    value_and_derivative_fn: Callable = dataclasses.field(repr=False)
    output_range: tuple[float, float] = (-math.inf, math.inf)
    open_ends: tuple[bool, bool] = (True, True)
    params: Mapping[str, float] = dataclasses.field(default_factory=dict)
    zero_centred: bool = False
    monotonic: bool = True
    saturates: str = "none"
    max_slope: str = ""
    uses: tuple[str, ...] = ("hidden",)
    note: str = ""
    source: str = "built-in"

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
            x = jnp.asarray(x)
            if not jnp.issubdtype(x.dtype, jnp.floating):
                raise ActlabError(f"{self.name}: expected a float array, got dtype {x.dtype}")
            wide = jnp.float32 if jnp.finfo(x.dtype).bits < 32 else x.dtype
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
        return self._jit_value_and_derivative(x)


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
class _Spec:
    name: str
    formula: str
    value_and_derivative_fn: Callable
    output_range: Any  # (lo, hi), or a function of the parameters giving it
    defaults: Mapping[str, float] = dataclasses.field(default_factory=dict)
    open_ends: tuple[bool, bool] = (False, False)  # for finite ends; infinite ones are open
    zero_centred: bool = False
    monotonic: bool = True
    saturates: str = "none"
    max_slope: str = ""
    uses: tuple[str, ...] = ("hidden",)
    note: str = ""
    source: str = "built-in"
    check: Callable | None = None  # params -> error text or None


_REGISTRY: dict[str, _Spec] = {}
inf = math.inf


def register(
    name: str,
    formula: str,
    value_and_derivative_fn: Callable,
    output_range=(-inf, inf),
    *,
    defaults: Mapping[str, float] | None = None,
    open_ends: tuple[bool, bool] = (False, False),
    source: str = "built-in",
    check: Callable | None = None,
    **facts,
) -> None:
    """Adds an activation to the registry (plugins call this too).

    Args:
      name: the registry name; must be new.
      formula: the formula as text.
      value_and_derivative_fn: ``(x, **params) -> (f(x), f'(x))``, elementwise.
      output_range: (lo, hi), or a function of the parameters returning it.
      defaults: parameter names and default values.
      open_ends: whether finite ends of the range are only approached (sigmoid's 0 and 1).
      source: where the declaration came from.
      check: optional ``params -> message or None`` to refuse bad values.
      **facts: zero_centred, monotonic, saturates, max_slope, uses, note.
    """
    if name in _REGISTRY:
        raise ActlabError(f"activation {name!r} is already registered")
    _REGISTRY[name] = _Spec(name, formula, value_and_derivative_fn, output_range,
                            dict(defaults or {}), open_ends=tuple(open_ends), source=source, check=check, **facts)


def names() -> list[str]:
    """Every registered activation name, sorted (installed plugins included)."""
    _load_plugins()
    return sorted(_REGISTRY)


def known(name: str) -> bool:
    """Whether ``name`` is registered; plugins are looked for only when it is
    no built-in (finding entry points costs about 0.1 s)."""
    if name not in _REGISTRY:
        _load_plugins()
    return name in _REGISTRY


_plugins_loaded = False


def _load_plugins() -> None:
    """Registers the activations of installed plugin packages, once per process."""
    global _plugins_loaded
    if not _plugins_loaded:
        _plugins_loaded = True
        from actlab.catalog import plugins  # lazy: scanning installed packages costs time

        plugins.load()


def get(name: str, **params: float) -> Activation:
    """The activation ``name`` with ``params`` overriding its defaults.

    Raises:
      ActlabError (a ValueError): unknown name, unknown parameter or bad value.
    """
    if not known(name):
        raise unknown("activation", name, _REGISTRY)
    spec = _REGISTRY[name]
    for key, value in params.items():
        if key not in spec.defaults:
            allowed = ", ".join(spec.defaults) or "none"
            raise ActlabError(f"{name} has no parameter {key!r}; its parameters: {allowed}")
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ActlabError(f"{name}: parameter {key}={value!r} must be a finite number")
    merged = {**spec.defaults, **{k: float(v) for k, v in params.items()}}
    problem = spec.check(merged) if spec.check else None
    if problem:
        raise ActlabError(f"{name}: {problem}")
    return _build(name, tuple(sorted(merged.items())))


@functools.lru_cache(maxsize=None)
def _build(name: str, items: tuple) -> Activation:
    # Cached so one (name, params) is one object and compiles once.
    spec = _REGISTRY[name]
    params = dict(items)
    lo, hi = spec.output_range(**params) if callable(spec.output_range) else spec.output_range
    return Activation(
        name=name, formula=spec.formula, value_and_derivative_fn=spec.value_and_derivative_fn,
        output_range=(float(lo), float(hi)),
        open_ends=(spec.open_ends[0] or math.isinf(lo), spec.open_ends[1] or math.isinf(hi)),
        params=params, zero_centred=spec.zero_centred,
        monotonic=spec.monotonic, saturates=spec.saturates, max_slope=spec.max_slope,
        uses=spec.uses, note=spec.note, source=spec.source,
    )


_TINY = float(jnp.finfo(jnp.float32).tiny)  # parameters are used in float32 or wider
_HALF_MAX = float(jnp.finfo(jnp.float16).max)  # and f, f' must fit float16 too


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
         uses=("regression",), note='"no activation": any depth of it is one affine map')
register("sigmoid", "1 / (1 + exp(-x))", _sigmoid, (0, 1), open_ends=(True, True), saturates="both",
         max_slope="0.25 at x = 0", uses=("binary", "multi-label"),
         note="a probability; not zero-centred; vanishing gradients when stacked")
register("tanh", "(e^x - e^-x) / (e^x + e^-x)", _tanh, (-1, 1), open_ends=(True, True), zero_centred=True,
         saturates="both", max_slope="1 at x = 0", uses=("hidden",),
         note="zero-centred sigmoid: 2 sigmoid(2x) - 1; still saturates")
register("relu", "max(0, x)", _relu, (0, inf), saturates="negative",
         max_slope="1 for x > 0", uses=("hidden", "non-negative regression"),
         note="the default hidden activation; units can die (f' = 0 for x < 0)")
register("leaky_relu", "x if x > 0 else alpha * x", _leaky_relu,
         lambda alpha: (-inf if alpha > 0 else (0 if alpha == 0 else inf), inf),
         defaults={"alpha": 0.01}, max_slope="max(1, |alpha|)", note="ReLU without dead units",
         check=_within("alpha", 0, 1, "the slope of the negative side; steeper overflows float16"))
register("elu", "x if x > 0 else alpha * (exp(x) - 1)", _elu, lambda alpha: (-alpha, inf), open_ends=(True, True),
         defaults={"alpha": 1.0}, saturates="negative", max_slope="max(1, alpha) (x -> 0)",
         note="smooth negative side pushes mean activations toward 0 (Clevert et al. 2015)",
         check=_within("alpha", 0, _HALF_MAX, "f reaches -alpha, which must fit float16", lo_open=True))
register("selu", "scale * (x if x > 0 else alpha * (exp(x) - 1)), alpha = 1.67326, scale = 1.05070",
         _selu, (-_SELU_SCALE * _SELU_ALPHA, inf), open_ends=(True, True), saturates="negative",
         max_slope="1.7581 (x -> 0-)", note="self-normalising with LeCun init (Klambauer et al. 2017)")
register("celu", "x if x > 0 else alpha * (exp(x / alpha) - 1)", _celu, lambda alpha: (-alpha, inf), open_ends=(True, True),
         defaults={"alpha": 1.0}, saturates="negative", max_slope="1 (x >= 0)",
         note="ELU made continuously differentiable for any alpha (Barron 2017)",
         check=_within("alpha", _TINY, _HALF_MAX, "x / alpha needs a normal float32 alpha; f reaches -alpha"))
register("gelu", "x * Phi(x), Phi the standard normal CDF", _gelu, (-0.16997120, inf),
         monotonic=False, saturates="negative", max_slope="1.1289 at x = 1.4142",
         note="smooth ReLU used by Transformers (Hendrycks & Gimpel 2016)")
register("gelu_tanh", "0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))", _gelu_tanh,
         (-0.17004076, inf), monotonic=False, saturates="negative",
         max_slope="1.1290 at x = 1.4185", note="the tanh approximation of GELU (GPT-2, BERT)")
register("silu", "x * sigmoid(x)", _silu, (-0.27846454, inf), monotonic=False,
         saturates="negative", max_slope="1.0998 at x = 2.3994",
         note="swish with beta = 1 (Elfwing et al. 2017)")
register("swish", "x * sigmoid(beta * x)", _swish,
         lambda beta: ((-0.27846454 / beta, inf) if beta > 0 else (-inf, inf)),
         defaults={"beta": 1.0}, monotonic=False, saturates="negative",
         max_slope="1.0998 at x = 2.3994 / beta", note="self-gated (Ramachandran et al. 2017)",
         check=_within("beta", _TINY, float(jnp.finfo(jnp.float32).max), "a normal float32 number > 0"))
register("softplus", "log(1 + exp(x))", _softplus, (0, inf), open_ends=(True, True), saturates="negative",
         max_slope="1 (x -> inf)", uses=("hidden", "non-negative regression"),
         note="smooth ReLU; its derivative is sigmoid")
register("softsign", "x / (1 + |x|)", _softsign, (-1, 1), open_ends=(True, True), zero_centred=True, saturates="both",
         max_slope="1 at x = 0", note="like tanh with polynomial, slower saturation")
register("mish", "x * tanh(softplus(x))", _mish, (-0.30884342, inf), monotonic=False,
         saturates="negative", max_slope="1.0885 at x = 1.4906", note="smooth self-gated (Misra 2019)")
register("relu6", "min(max(0, x), 6)", _relu6, (0, 6), saturates="both",
         max_slope="1 on (0, 6)", note="bounded ReLU for low-precision inference (MobileNet)")
register("hard_sigmoid", "relu6(x + 3) / 6", _hard_sigmoid, (0, 1), saturates="both",
         max_slope="1/6 on (-3, 3)", note="piecewise-linear sigmoid, cheap on mobile")
register("hard_tanh", "max(-1, min(1, x))", _hard_tanh, (-1, 1), zero_centred=True,
         saturates="both", max_slope="1 on (-1, 1)", note="piecewise-linear tanh")
