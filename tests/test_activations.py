"""The registry against independent references: mpmath at 50 digits for values
and derivatives, jax.nn where it is right, plus kinks, dtypes and shapes."""

import math

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest

from actlab.blocks import activations
from actlab.errors import ActlabError

MP_DPS = 50  # mpmath digits of this module's references (conftest sets them per test)
mp.mp.dps = MP_DPS

SELU_ALPHA = mp.mpf("1.6732632423543772848170429916717")
SELU_SCALE = mp.mpf("1.0507009873554804934193349852946")


def _sig(x):
    return 1 / (1 + mp.exp(-x))


def _ncdf(x):
    # beyond |x| = 1e6 erfc is 0 or 2 at any precision (and mpmath's series check overflows)
    z = -x / mp.sqrt(2)
    return mp.mpf(0) if z > 1e6 else mp.mpf(1) if z < -1e6 else mp.erfc(z) / 2


def _gelu_tanh(x):
    u = mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3)
    return x * mp.exp(u) / (mp.exp(u) + mp.exp(-u))


# Textbook definitions, written independently of actlab's stable forms.
REFERENCE = {
    "linear": lambda x: x,
    "sigmoid": _sig,
    "tanh": mp.tanh,
    "relu": lambda x: max(x, 0),
    "leaky_relu": lambda x, alpha=0.01: x if x > 0 else alpha * x,
    "elu": lambda x, alpha=1: x if x > 0 else alpha * mp.expm1(x),  # expm1: exp(x) - 1 at 50 digits is 0 at x = -1e-308
    "selu": lambda x: SELU_SCALE * (x if x > 0 else SELU_ALPHA * mp.expm1(x)),
    "celu": lambda x, alpha=1: x if x > 0 else alpha * mp.expm1(x / alpha),
    "gelu": lambda x: x * _ncdf(x),
    # x/2 (1 + tanh u) with 1 + tanh u = 2 e^u / (e^u + e^-u): the same number
    # without the cancellation that even 50 digits cannot hold at x = -40.
    "gelu_tanh": lambda x: _gelu_tanh(x),
    "silu": lambda x: x * _sig(x),
    "swish": lambda x, beta=1: x * _sig(beta * x),
    "softplus": lambda x: mp.log(1 + mp.exp(x)),
    "softsign": lambda x: x / (1 + abs(x)),
    "mish": lambda x: x * mp.tanh(mp.log(1 + mp.exp(x))),
    "relu6": lambda x: min(max(x, 0), 6),
    "hard_sigmoid": lambda x: min(max(x + 3, 0), 6) / 6,
    "hard_tanh": lambda x: min(max(x, -1), 1),
}
KINKS = {"relu": [0], "leaky_relu": [0], "elu": [0], "selu": [0], "celu": [0],
         "relu6": [0, 6], "hard_sigmoid": [-3, 3], "hard_tanh": [-1, 1]}
DTYPES = [np.float32, np.float64]
# Points across [-40, 40], tails and the usual places included.
POINTS = sorted(set(np.r_[np.linspace(-40, 40, 33), [-17.5, -8.25, -2.5, -0.75, -0.1, 0.3, 1.4, 2.4, 9.5, 17.5]]))


def test_registry_has_every_required_activation():
    required = {"linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "celu", "gelu",
                "gelu_tanh", "silu", "swish", "softplus", "softsign", "mish", "relu6",
                "hard_sigmoid", "hard_tanh"}
    built_in = {n for n in activations.names() if activations.get(n).source == "built-in"}
    assert required <= built_in
    assert set(REFERENCE) == built_in  # a new built-in needs its independent reference here


def _ref(name, x, order=0):
    f = REFERENCE[name]
    x = mp.mpf(float(x))
    return f(x) if order == 0 else mp.diff(f, x, order)


def _near_kink(name, x):
    return any(abs(x - k) < 1e-6 for k in KINKS.get(name, []))


def _check(got, ref, slope, x, dtype, ulps=8):
    """|got - ref| within `ulps` ulps of ref plus the input's own conditioning
    (|x f'(x)| eps): the error an exact evaluation at x(1 +- eps) would make.
    Results below the smallest normal may flush to zero (XLA on CPU does)."""
    info = np.finfo(dtype)
    ref, slope = float(ref), float(slope)
    if abs(ref) < info.tiny and abs(got) <= info.tiny:
        return True
    tol = ulps * float(info.eps) * (abs(ref) + abs(float(x) * slope))
    return abs(got - ref) <= tol


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_value_and_derivative_match_mpmath_across_the_range(name, dtype):
    act = activations.get(name)
    xs = np.array([x for x in POINTS if not _near_kink(name, x)], dtype=dtype)
    y, dy = (np.asarray(v) for v in act.value_and_derivative(jnp.asarray(xs)))
    bad = []
    for x, yi, dyi in zip(xs, y, dy):
        f, f1 = _ref(name, x), _ref(name, x, 1)
        f2 = _ref(name, x, 2)
        if not _check(float(yi), f, f1, x, dtype):
            bad.append(f"f({x})={yi} ref {mp.nstr(f, 8)}")
        if not _check(float(dyi), f1, f2, x, dtype):
            bad.append(f"f'({x})={dyi} ref {mp.nstr(f1, 8)}")
    assert not bad, bad


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_call_and_derivative_agree_with_the_fused_pass(name):
    act = activations.get(name)
    x = jnp.linspace(-6, 6, 101, dtype=jnp.float32)
    y, dy = act.value_and_derivative(x)
    # Separate programs may fuse differently: equal to a few ulps.
    np.testing.assert_allclose(act(x), y, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(act.derivative(x), dy, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_jax_grad_uses_the_accurate_derivative(name):
    # jax.grad of act.fn must equal the declared derivative, e.g. in a network.
    act = activations.get(name)
    x = jnp.asarray(np.array([-30.0, -3.3, -0.5, 0.7, 2.2, 30.0]), jnp.float64)
    g = jax.vmap(jax.grad(act.fn))(x)
    np.testing.assert_allclose(g, act.derivative(x), rtol=1e-15)


def test_known_library_failures_are_fixed():
    # Cases where autodiff of the textbook form (and jax.nn) gives 0.
    x32 = lambda v: jnp.asarray(v, jnp.float32)
    assert np.isclose(float(activations.get("sigmoid").derivative(x32(40.0))), 4.248354e-18, rtol=1e-5)
    assert np.isclose(float(activations.get("tanh").derivative(x32(10.0))), 8.244614e-09, rtol=1e-5)
    assert np.isclose(float(activations.get("elu").derivative(x32(-17.5))), 2.5138869e-08, rtol=1e-5)
    assert np.isclose(float(activations.get("gelu_tanh")(x32(-8.25))), float(_ref("gelu_tanh", np.float32(-8.25))), rtol=1e-4)


@pytest.mark.parametrize("name", sorted(REFERENCE))
@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64],
                         ids=["float16", "bfloat16", "float32", "float64"])
def test_dtype_and_shape_are_preserved(name, dtype):
    act = activations.get(name)
    x = jnp.linspace(-4, 4, 24).reshape(2, 3, 4).astype(dtype)
    y, dy = act.value_and_derivative(x)
    assert y.dtype == dtype and dy.dtype == dtype
    assert y.shape == x.shape and dy.shape == x.shape
    ref = np.array([float(_ref(name, v)) for v in np.asarray(x, np.float64).ravel()])
    np.testing.assert_allclose(np.asarray(y, np.float64).ravel(), ref,
                               rtol=float(jnp.finfo(dtype).eps) * 2, atol=float(jnp.finfo(dtype).eps))


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_empty_and_nan_inputs(name):
    act = activations.get(name)
    assert act(jnp.zeros((0, 3), jnp.float32)).shape == (0, 3)
    y, dy = act.value_and_derivative(jnp.asarray([np.nan], jnp.float32))
    assert np.isnan(y[0]) and np.isnan(dy[0])  # no slope at no number (jax and torch give 0, 1 or alpha)


# Derivatives in closed form (textbook, not actlab's stable forms), for inputs
# where a finite difference cannot be taken (x near the largest float); kinks
# take the conventions pinned in test_kink_conventions.
def _gelu_tanh_derivative(x):
    u2 = 2 * mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3)
    du2 = 2 * mp.sqrt(2 / mp.pi) * (1 + 3 * mp.mpf("0.044715") * x**2)
    return _sig(u2) + x * _sig(u2) * _sig(-u2) * du2


def _softplus(x):
    return mp.log1p(mp.exp(x))


DERIVATIVE = {
    "linear": lambda x: mp.mpf(1),
    "sigmoid": lambda x: _sig(x) * _sig(-x),
    "tanh": lambda x: mp.sech(x) ** 2,
    "relu": lambda x: mp.mpf(x > 0),
    "leaky_relu": lambda x: mp.mpf(1) if x > 0 else mp.mpf("0.01"),
    "elu": lambda x: mp.mpf(1) if x > 0 else mp.exp(x),
    "selu": lambda x: SELU_SCALE if x > 0 else SELU_SCALE * SELU_ALPHA * mp.exp(x),
    "celu": lambda x: mp.mpf(1) if x > 0 else mp.exp(x),
    "gelu": lambda x: _ncdf(x) + x * mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi),
    "gelu_tanh": _gelu_tanh_derivative,
    "silu": lambda x: _sig(x) * (1 + x * _sig(-x)),
    "swish": lambda x: _sig(x) * (1 + x * _sig(-x)),
    "softplus": _sig,
    "softsign": lambda x: 1 / (1 + abs(x)) ** 2,
    "mish": lambda x: mp.tanh(_softplus(x)) + x * mp.sech(_softplus(x)) ** 2 * _sig(x),
    "relu6": lambda x: mp.mpf(0 < x < 6),
    "hard_sigmoid": lambda x: mp.mpf(1) / 6 if -3 < x < 3 else mp.mpf(0),
    "hard_tanh": lambda x: mp.mpf(-1 < x < 1),
}
ALL_DTYPES = [jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64]


def extreme_points(dtype):
    """+-max, +-smallest normal, two subnormals each side, +-0, the places
    where x^3 or x^2 overflow float32 (when the dtype has them), and +-inf."""
    info = jnp.finfo(dtype)
    big, tiny, sub = float(info.max), float(info.tiny), float(info.smallest_subnormal)
    mid = float(jnp.asarray(tiny / 3, dtype))
    xs = [big, tiny, sub, mid, 0.0, 4e19, 1e20, 3e38, math.inf]
    return [v for x in xs for v in (x, -x) if abs(v) <= big or math.isinf(v)]


def _right_at_extreme(got, x, ref_of, dtype):
    """got is ref_of(x) within 8 ulps, or, below the smallest normal, 0 or a
    subnormal (XLA flushes them on CPU, inputs included: a subnormal x may act
    as 0); a true value beyond the largest float is an overflow to inf. At
    x = +-inf the reference is the limit, ref_of(+-1e400)."""
    info = jnp.finfo(dtype)
    tiny, big = float(info.tiny), float(info.max)
    at = mp.mpf(x) if math.isfinite(x) else math.copysign(1, x) * mp.mpf("1e400")
    candidates = [ref_of(at)] + ([ref_of(mp.mpf(0))] if 0 < abs(x) < tiny else [])
    for ref in candidates:
        if abs(ref) > big:
            if got == (math.inf if ref > 0 else -math.inf):
                return True
        elif abs(ref) < tiny and abs(got) <= tiny:
            return True
        elif math.isfinite(got) and abs(mp.mpf(got) - ref) <= 8 * float(info.eps) * abs(ref):
            return True
    return False


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: jnp.dtype(d).name)
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_value_and_derivative_at_the_extremes_of_every_dtype_and_the_limits_at_inf(name, dtype):
    act = activations.get(name)
    xs = extreme_points(dtype)
    y, dy = act.value_and_derivative(jnp.asarray(xs, dtype))
    bad = []
    for x, yi, dyi in zip(xs, np.asarray(y.astype(jnp.float64)), np.asarray(dy.astype(jnp.float64))):
        if not _right_at_extreme(float(yi), x, REFERENCE[name], dtype):
            bad.append(f"f({x:g}) = {yi}")
        if not _right_at_extreme(float(dyi), x, DERIVATIVE[name], dtype):
            bad.append(f"f'({x:g}) = {dyi}")
    assert not bad, bad


def test_gelu_tanh_derivative_is_finite_where_x_cubed_overflows():
    # 0 * inf was NaN here (float32 and bfloat16 from 4e19, float64 from 2.9e154)
    act = activations.get("gelu_tanh")
    for dtype, x in [(jnp.float32, 1e20), (jnp.bfloat16, 1e20), (jnp.float64, 1e200)]:
        xs = jnp.asarray([x, -x], dtype)
        np.testing.assert_array_equal(np.asarray(act.derivative(xs), np.float64), [1.0, 0.0])
        np.testing.assert_array_equal(np.asarray(jax.vmap(jax.grad(act.fn))(xs), np.float64), [1.0, 0.0])


@pytest.mark.parametrize("name, params, allowed", [
    ("celu", {"alpha": 1e-40}, r"\[1.17549e-38, 65504\]"),  # alpha flushes to 0 in float32: 0 / 0 at x = 0
    ("elu", {"alpha": 1e300}, r"> 0 and at most 65504"),  # alpha is inf in float32: inf * 0
    ("leaky_relu", {"alpha": 1e300}, r"\[0, 1\]"),
    ("leaky_relu", {"alpha": 2.0}, r"\[0, 1\]"),  # alpha * x overflows float16
    ("swish", {"beta": 1e-40}, r"\[1.17549e-38, 3.40282e\+38\]"),
])
def test_parameters_that_cannot_stay_finite_are_refused_with_their_range(name, params, allowed):
    with pytest.raises(ActlabError, match=rf"^{name}: .*{allowed}") as info:
        activations.get(name, **params)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name, params", [
    ("celu", {"alpha": float(jnp.finfo(jnp.float32).tiny)}), ("celu", {"alpha": 65504.0}),
    ("elu", {"alpha": 65504.0}), ("leaky_relu", {"alpha": 1.0}), ("leaky_relu", {"alpha": 0.0}),
    ("swish", {"beta": 2.0}), ("swish", {"beta": float(jnp.finfo(jnp.float32).max)}),
    ("swish", {"beta": float(jnp.finfo(jnp.float32).tiny)}),
])
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: jnp.dtype(d).name)
def test_parameters_at_the_ends_of_their_range_keep_f_and_f_prime_finite(name, params, dtype):
    act = activations.get(name, **params)
    xs = jnp.asarray([v for v in extreme_points(dtype) if math.isfinite(v)] + [1.0, -1.0, 3.0, -3.0], dtype)
    y, dy = act.value_and_derivative(xs)
    assert np.all(np.isfinite(np.asarray(y, np.float64))) and np.all(np.isfinite(np.asarray(dy, np.float64)))


def test_swish_beta_2_at_3e38_is_the_limit_not_nan():
    y, dy = activations.get("swish", beta=2.0).value_and_derivative(jnp.asarray([3e38, -3e38], jnp.float32))
    np.testing.assert_array_equal(np.asarray(y), np.asarray([3e38, -0.0], np.float32))
    np.testing.assert_array_equal(np.asarray(dy), [1.0, 0.0])


def test_kink_conventions():
    at = lambda name, v, **p: float(activations.get(name, **p).derivative(jnp.asarray(v, jnp.float32)))
    assert at("relu", 0.0) == 0.0  # as in jax, PyTorch and TensorFlow
    assert float(jax.grad(jax.nn.relu)(0.0)) == 0.0
    assert at("leaky_relu", 0.0, alpha=0.1) == pytest.approx(0.1)
    assert at("relu6", 0.0) == 0.0 and at("relu6", 6.0) == 0.0 and at("relu6", 3.0) == 1.0
    assert at("hard_tanh", 1.0) == 0.0 and at("hard_tanh", -1.0) == 0.0
    assert at("hard_sigmoid", 3.0) == 0.0 and at("hard_sigmoid", 0.0) == pytest.approx(1 / 6)


def test_parameters_change_the_function():
    x = jnp.asarray([-2.0, 3.0], jnp.float64)
    np.testing.assert_allclose(activations.get("leaky_relu", alpha=0.2)(x), [-0.4, 3.0])
    np.testing.assert_allclose(activations.get("elu", alpha=2.0)(x), [2 * math.expm1(-2), 3.0])
    np.testing.assert_allclose(activations.get("swish", beta=2.0)(x),
                               [-2 / (1 + math.exp(4)), 3 / (1 + math.exp(-6))])
    assert activations.get("leaky_relu", alpha=0.2).params == {"alpha": 0.2}
    assert activations.get("elu", alpha=2.0).output_range == (-2.0, math.inf)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "gelu", "silu", "softplus", "elu", "selu", "celu"])
def test_agrees_with_jax_nn_in_the_body(name):
    ref = {"relu": jax.nn.relu, "sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh,
           "gelu": lambda x: jax.nn.gelu(x, approximate=False), "silu": jax.nn.silu,
           "softplus": jax.nn.softplus, "elu": jax.nn.elu, "selu": jax.nn.selu, "celu": jax.nn.celu}[name]
    x = jnp.linspace(-5, 5, 1001, dtype=jnp.float64)
    np.testing.assert_allclose(activations.get(name)(x), ref(x), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(activations.get(name).derivative(x), jax.vmap(jax.grad(ref))(x),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_declared_output_range_holds(name):
    act = activations.get(name)
    y = np.asarray(act(jnp.linspace(-50, 50, 20001, dtype=jnp.float64)))
    lo, hi = act.output_range
    assert y.min() >= lo - 1e-6 and y.max() <= hi + 1e-6
    if not act.monotonic:  # the minimum is attained, and it is the declared one
        assert y.min() <= lo + 1e-3 * abs(lo)


def test_facts_follow_the_usual_rules():
    get = activations.get
    assert "hidden" in get("relu").uses and "non-negative-regression" in get("relu").uses
    from actlab.blocks.data import TASKS

    assert {u for name in activations.names() for u in get(name).uses} <= {"hidden", *TASKS}
    assert "binary" in get("sigmoid").uses and "multi-label" in get("sigmoid").uses
    assert "regression" in get("linear").uses
    assert get("tanh").zero_centred and not get("sigmoid").zero_centred
    assert not get("gelu").monotonic and get("relu").monotonic
    assert get("sigmoid").saturates == "both" and get("relu").saturates == "negative"


@pytest.mark.parametrize("call", [
    lambda: activations.get("rleu"),
    lambda: activations.get("leaky_relu", beta=1.0),
    lambda: activations.get("elu", alpha=float("nan")),
    lambda: activations.get("swish", beta=-1.0),
])
def test_bad_names_and_params_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ActlabError, match="did you mean 'relu'"):
        activations.get("rleu")


def test_linear_hands_back_its_input_and_a_slope_of_one():
    # jax arrays are immutable: f(x) = x needs no copy of x (jax.nn's jitted identity makes one)
    x = jnp.asarray([-3.5, 0.0, 2.0, float("inf"), float("nan")], jnp.float32)
    value, slope = activations.get("linear").value_and_derivative(x)
    assert value is x
    np.testing.assert_array_equal(slope, [1, 1, 1, 1, np.nan])
    value, slope = activations.get("linear").value_and_derivative(np.arange(3, dtype=np.int32))
    assert value.dtype == jax.nn.softplus(np.arange(3, dtype=np.int32)).dtype  # promoted as jax.nn promotes
    np.testing.assert_array_equal(value, [0, 1, 2])
