"""The peers' own test cases, run against actlab.

From jax (``tests/nn_test.py``), optax (``optax/losses/_classification_test.py``
and ``_smoothing_test.py``) and PyTorch (the reference numerics of its unary
activations: ``test_unary_ufuncs.py`` with the OpInfo numpy references and the
value sets of ``opinfo/core.py``). Their inputs, expected values and
tolerances are carried over as facts, in float32 and float64. The references
are the peers' own: their numpy/scipy formulas, their published numbers,
jax's numerical gradient check, optax itself where optax is right; never
actlab. Where actlab follows a different convention on purpose, the test pins
actlab's choice next to the peers' answers, and README ("Coming from jax.nn,
optax or torch") gives the reason.
"""

import math
import warnings

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import optax
import pytest
import scipy.special
import scipy.stats
from jax.test_util import check_grads

from actlab.blocks import activations, losses

MP_DPS = 50  # mpmath digits of this module's references (conftest sets them per test)
mpmath.mp.dps = MP_DPS

DTYPES = [jnp.float32, jnp.float64]
ids = lambda d: jnp.dtype(d).name  # noqa: E731


def act(name, **params):
    """An actlab activation as a plain function (its accurate derivative under jax transforms)."""
    return activations.get(name, **params).fn


# --- jax: tests/nn_test.py ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=ids)
@pytest.mark.parametrize("name, x, order, eps", [
    ("softplus", 1e-8, 4, None),  # testSoftplusGrad
    ("softplus", 0.0, 1, None),  # testSoftplusGradZero
    ("softplus", -math.inf, 1, None),  # testSoftplusGradNegInf
    ("softplus", math.nan, 1, None),  # testSoftplusGradNan
    ("mish", 1e-8, 4, None),  # testMishGrad
    ("mish", 0.0, 1, None),  # testMishGradZero
    ("mish", -math.inf, 1, None),  # testMishGradNegInf
    ("mish", math.nan, 1, None),  # testMishGradNan
    ("relu", 1.0, 3, None),  # testReluGrad
    ("relu", -1.0, 3, None),
    ("relu6", 1.0, 3, None),  # testRelu6Grad
    ("relu6", -1.0, 3, None),
    ("elu", 1e4, 4, 1.0),  # testEluGrad
])
def test_jax_gradient_checks(name, x, order, eps, dtype):
    # jax runs the order-4 checks among its slow tests; forward mode alone still
    # checks all four orders, at a fraction of the cost of every fwd/rev mix
    modes = ("fwd",) if order == 4 else ("fwd", "rev")
    check_grads(act(name), (jnp.asarray(x, dtype),), order=order, eps=eps, modes=modes)


def test_jax_gradient_values():
    assert float(jax.grad(act("softplus"))(math.inf)) == 1.0  # testSoftplusGradInf
    assert float(jax.grad(act("relu"))(0.0)) == 0.0  # testReluGradAtZero
    assert float(jax.grad(act("relu6"))(0.0)) == 0.0 and float(jax.grad(act("relu6"))(6.0)) == 0.0  # testRelu6Grad
    assert float(act("linear")(6.0)) == 6.0 and float(jax.grad(act("linear"))(6.0)) == 1.0  # testIdentity


@pytest.mark.parametrize("dtype", DTYPES, ids=ids)
def test_jax_values(dtype):
    f = lambda name, x: float(act(name)(jnp.asarray(x, dtype)))  # noqa: E731
    assert f("softplus", 89.0) == pytest.approx(89.0, rel=1e-6)  # testSoftplusValue
    assert abs(f("mish", 1e3) - 1e3) <= 1e-3  # testMishValue
    assert f("elu", 1e4) == pytest.approx(1e4, rel=1e-6)  # testEluValue
    assert f("mish", 0.0) == 0.0  # testMishZero
    assert f("softplus", 0.0) == pytest.approx(math.log(2), rel=float(jnp.finfo(dtype).eps))  # testSoftplusZero


@pytest.mark.parametrize("name", ["softplus", "gelu", "gelu_tanh"])
def test_jax_integer_inputs_of_activations(name):
    # testSoftplusZero over integer dtypes, testGeluIntType
    np.testing.assert_allclose(act(name)(jnp.asarray(-1)), act(name)(jnp.asarray(-1.0)))


@pytest.mark.parametrize("name, atol", [("gelu", 0.0), ("gelu_tanh", 1e-3)])
def test_jax_gelu_against_scipy(name, atol):
    # testGelu: x * scipy.stats.norm.cdf(x) on 10000 float32 points of [-12, 5], rtol 2e-5
    x = np.linspace(-12, 5, 10000, dtype=np.float32)
    np.testing.assert_allclose(act(name)(jnp.asarray(x)), x * scipy.stats.norm.cdf(x), rtol=2e-5, atol=atol)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16, jnp.float16], ids=ids)
@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "relu", "linear", "softplus", "sigmoid", "mish"])
def test_jax_dtype_matches_input(name, dtype):
    assert act(name)(jnp.zeros((), dtype)).dtype == dtype  # testDtypeMatchesInput


@pytest.mark.parametrize("fn", [losses.softmax, losses.log_softmax])
def test_jax_softmax_empty_array_and_empty_mask(fn):
    x = jnp.asarray([], jnp.float64)
    assert fn(x).shape == (0,)  # testSoftmaxEmptyArray
    x = jnp.asarray([5.5, 1.3, -4.2, 0.9])  # testSoftmaxEmptyMask: nothing selected
    want = 0.0 if fn is losses.softmax else -np.inf
    np.testing.assert_array_equal(fn(x, where=jnp.zeros(4, bool)), np.full(4, want))


@pytest.mark.parametrize("dtype", DTYPES, ids=ids)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_jax_softmax_where_mask(name, dtype):
    # testSoftmaxWhereMask: out[m] is the function of x[m]; probabilities sum to 1
    fn = getattr(losses, name)
    x = jnp.asarray([5.5, 1.3, -4.2, 0.9], dtype)
    m = jnp.asarray([True, False, True, True])
    out = fn(x, where=m)
    np.testing.assert_allclose(out[m], getattr(jax.nn, name)(x[m]), rtol=1e-6)
    probs = out if name == "softmax" else jnp.exp(out)
    assert float(probs.sum()) == pytest.approx(1.0, rel=1e-6)
    if name == "softmax":
        check_grads(lambda x: jnp.take(fn(x, where=m), jnp.asarray([0, 2, 3])), (x,), order=2)
    # testSoftmaxWhereGrad (jax-ml/jax#19490): a masked huge logit gets no gradient
    big = jnp.asarray([36.0, 10000.0], dtype)
    np.testing.assert_array_equal(jax.grad(lambda x: fn(x, where=big < 1000)[0])(big), [0.0, 0.0])


@pytest.mark.parametrize("dtype", DTYPES, ids=ids)
def test_jax_softmax_grad(dtype):
    check_grads(losses.softmax, (jnp.asarray([5.5, 1.3, -4.2, 0.9], dtype),), order=2, atol=5e-3)  # testSoftmaxGrad


# --- optax: optax/losses/_classification_test.py and _smoothing_test.py --------------------------

YS = [[10.0, 1.0, -2.0], [1.0, 4.0, 0.2]]
TS = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
EXPECTED = [9.00013, 3.0696733]


@pytest.mark.parametrize("dtype", DTYPES, ids=ids)
def test_optax_softmax_cross_entropy(dtype):
    ys, ts = jnp.asarray(YS, dtype), jnp.asarray(TS, dtype)
    jitted = jax.jit(losses.softmax_cross_entropy)
    for fn in (losses.softmax_cross_entropy, jitted):  # chex.all_variants: with and without jit
        np.testing.assert_allclose(fn(ys[0], ts[0]), EXPECTED[0], atol=1e-4)  # test_scalar
        np.testing.assert_allclose(fn(ys, ts), EXPECTED, atol=1e-4)  # test_batched
    # test_per_logit_mask: an example whose logits are all masked has loss 0
    where = jnp.asarray([[1, 0, 0], [0, 0, 0]], bool)
    out = losses.softmax_cross_entropy(ys, ts, where=where)
    np.testing.assert_array_equal(jnp.where(jnp.any(where, -1), 0.0, out), 0.0)
    # test_gradient: against finite differences in both arguments (the target
    # gradient too), and finite with a per-example mask
    check_grads(losses.softmax_cross_entropy, (ys, ts), order=1)
    gs = jax.grad(lambda y: losses.softmax_cross_entropy(y, ts, where=jnp.asarray([True, False])).sum())(ys)
    assert bool(jnp.all(jnp.isfinite(gs)))


@pytest.mark.parametrize("size", [5, 10])
def test_optax_softmax_cross_entropy_mask(size):
    # test_mask: where= leaves classes out as if they were not there (optax is the reference)
    rng = np.random.default_rng(size)
    preds, targets = rng.normal(size=size), rng.dirichlet(np.ones(size))
    mask = rng.integers(0, 2, size=size).astype(bool)
    mask[0] = True
    want = optax.softmax_cross_entropy(jnp.asarray(preds[mask]), jnp.asarray(targets[mask]))
    got = losses.softmax_cross_entropy(jnp.asarray(preds), jnp.asarray(targets), where=jnp.asarray(mask))
    np.testing.assert_allclose(got, want, atol=1e-4)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_optax_axis(axis):
    # test_axis of both losses, shape [4, 5, 6]; optax on the moved axis is the reference
    rng = np.random.default_rng(axis)
    shape = [4, 5, 6]
    preds = rng.normal(size=shape)
    targets = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    got = losses.softmax_cross_entropy(jnp.asarray(preds), jnp.asarray(targets), axis=axis)
    want = optax.softmax_cross_entropy(jnp.asarray(np.moveaxis(preds, axis, -1)), jnp.asarray(np.moveaxis(targets, axis, -1)))
    np.testing.assert_allclose(got, want, atol=1e-4)
    labels = rng.integers(shape[axis], size=shape[:axis] + shape[axis + 1:])
    got = losses.softmax_cross_entropy(jnp.asarray(preds), jnp.asarray(labels), axis=axis)
    want = optax.softmax_cross_entropy_with_integer_labels(jnp.asarray(np.moveaxis(preds, axis, -1)), jnp.asarray(labels))
    np.testing.assert_allclose(got, want, atol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES, ids=ids)
def test_optax_safe_softmax_cross_entropy(dtype):
    # SafeSoftmaxCrossEntropyTest: -inf logits are masks; actlab's loss is the safe one
    ys = jnp.asarray(YS + [[-np.inf, 0.0, 0.0], [-np.inf, 0.0, 0.0], [-np.inf, 0.0, -np.inf]], dtype)
    ts = jnp.asarray(TS + [[0.0, 0.5, 0.5], [0.4, 0.3, 0.3], [0.0, 1.0, 0.0]], dtype)
    want = EXPECTED + [0.693147, np.inf, 0.0]
    for fn in (losses.softmax_cross_entropy, jax.jit(losses.softmax_cross_entropy)):
        np.testing.assert_allclose(fn(ys[0], ts[0]), want[0], atol=1e-4)
        np.testing.assert_allclose(fn(ys, ts), want, atol=1e-4)
    check_grads(losses.softmax_cross_entropy, (ys[:2], ts[:2]), order=1)
    # test_against_plain_implementation: optax's plain loss on finite logits
    got = jax.value_and_grad(losses.softmax_cross_entropy)(ys[0], ts[0])
    want = jax.value_and_grad(optax.softmax_cross_entropy)(ys[0], ts[0])
    np.testing.assert_allclose(got[0], want[0], atol=1e-4)
    np.testing.assert_allclose(got[1], want[1], atol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES, ids=ids)
def test_optax_integer_labels(dtype):
    ys, labels = jnp.asarray(YS, dtype), jnp.asarray([1, 0], jnp.int32)
    for fn in (losses.softmax_cross_entropy, jax.jit(losses.softmax_cross_entropy)):
        # test_consistent_with_softmax_cross_entropy: optax with one-hot targets, rtol 1e-6
        np.testing.assert_allclose(fn(ys[0], labels[0]), optax.softmax_cross_entropy(ys[0], jax.nn.one_hot(1, 3)), rtol=1e-6)
        np.testing.assert_allclose(fn(ys, labels), optax.softmax_cross_entropy(ys, jax.nn.one_hot(labels, 3)), rtol=1e-6)
    check_grads(lambda y: losses.softmax_cross_entropy(y, labels), (ys,), order=1)  # test_gradient
    gs = jax.grad(lambda y: losses.softmax_cross_entropy(y, labels, where=jnp.asarray([True, False])).sum())(ys)
    assert bool(jnp.all(jnp.isfinite(gs)))
    where = jnp.asarray([[1, 0, 0], [0, 0, 0]], bool)  # test_per_logit_mask
    out = losses.softmax_cross_entropy(ys, labels, where=where)
    np.testing.assert_array_equal(jnp.where(jnp.any(where, -1), 0.0, out), 0.0)


@pytest.mark.parametrize("axis", [(1, 3), (3, 2), (2, 3), (-3, -1), (-1, -2), (-2, -1), (0, 1, 3), (-4, -3, -1)])
def test_optax_integer_labels_over_several_axes(axis):
    # test_axes: a label is a flat index into the class axes; optax is the reference
    shape = (2, 3, 4, 5)
    rng = np.random.default_rng(42)
    logits = jnp.asarray(rng.uniform(size=shape), jnp.float32)
    classes = math.prod(shape[a] for a in axis)
    batch = tuple(n for a, n in enumerate(shape) if a not in [b % 4 for b in axis])
    labels = jnp.asarray(rng.integers(0, classes - 1, batch), jnp.int32)
    want = optax.softmax_cross_entropy_with_integer_labels(logits, labels, axis=axis)
    np.testing.assert_allclose(losses.softmax_cross_entropy(logits, labels, axis=axis), want, rtol=2e-6)


@pytest.mark.parametrize("dtype", DTYPES, ids=ids)
@pytest.mark.parametrize("preds, labels, expected", [
    ([-1e09, -1e-09], [1.0, 0.0], 5e08),
    ([-1e09, -1e-09], [0.0, 1.0], 0.3465736),
    ([1e09, 1e-09], [1.0, 0.0], 0.3465736),
    ([1e09, 1e-09], [0.0, 1.0], 5e08),
    ([-1e09, 1e-09], [1.0, 0.0], 5e08),
    ([-1e09, 1e-09], [0.0, 1.0], 0.3465736),
    ([1e09, -1e-09], [1.0, 0.0], 0.3465736),
    ([1e09, -1e-09], [0.0, 1.0], 5e08),
    ([0.0, 0.0], [1.0, 0.0], 0.6931472),
    ([0.0, 0.0], [0.0, 1.0], 0.6931472),
])
def test_optax_sigmoid_cross_entropy(preds, labels, expected, dtype):
    got = jnp.mean(losses.sigmoid_binary_cross_entropy(jnp.asarray(preds, dtype), jnp.asarray(labels, dtype)))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES, ids=ids)
@pytest.mark.parametrize("alpha", [0.0, 0.1, 1.0])
def test_optax_smooth_labels(alpha, dtype):
    # SmoothLabelsTest: the smoothed target is (1 - alpha) ts + alpha / classes,
    # here seen through the loss it gives (atol 1e-4 as there)
    ts = np.asarray(TS)
    smoothed = (1 - alpha) * ts + alpha / ts.shape[-1]
    ys = np.asarray(YS)
    want = -np.sum(smoothed * scipy.special.log_softmax(ys, axis=-1), axis=-1)
    got = losses.softmax_cross_entropy(jnp.asarray(ys, dtype), jnp.asarray(ts, dtype), label_smoothing=alpha)
    np.testing.assert_allclose(got, want, atol=1e-4)
    got = losses.softmax_cross_entropy(jnp.asarray(ys, dtype), jnp.asarray([1, 0]), label_smoothing=alpha)
    np.testing.assert_allclose(got, want, atol=1e-4)


# --- PyTorch: reference numerics of the unary activations -----------------------------------

_SMALL = (0.0, -0.0, -0.001, 0.001, -0.25, 0.25, -1.0, 1.0, -math.pi / 2, math.pi / 2,
          -math.pi + 0.00001, math.pi - 0.00001, -math.pi, math.pi, -math.pi - 0.00001, math.pi + 0.00001)
_LARGE = (-501, 501, -1001.2, 1001.2, -13437.7, 13437.7, -4988429.2, 4988429.2, -1e20, 1e20)
_EXTREMAL = (math.inf, -math.inf, math.nan)
# torch.testing's default tolerances (rtol, atol) by dtype
_TORCH_TOL = {jnp.float32: (1.3e-6, 1e-5), jnp.float64: (1e-7, 1e-7)}


def _torch_softplus(x, beta=1, threshold=20):
    linear = x * beta > threshold
    return np.where(linear, x, np.log(1 + np.exp(beta * np.where(linear, 0, x))) / beta)


# The OpInfo references (common_methods_invocations.py), with their sample kwargs.
TORCH_REFERENCE = {
    ("relu", ()): lambda x: np.where(x <= 0, 0, x),
    ("sigmoid", ()): scipy.special.expit,
    ("tanh", ()): np.tanh,
    ("elu", (("alpha", 0.8),)): lambda x: np.maximum(0.0, x) + np.minimum(0.0, 0.8 * (np.exp(x) - 1)),
    ("celu", (("alpha", 0.8),)): lambda x: np.maximum(0.0, x) + np.minimum(0.0, 0.8 * (np.exp(x / 0.8) - 1)),
    ("selu", ()): lambda x: 1.0507009873554804934193349852946 * (
        np.maximum(0.0, x) + np.minimum(0.0, 1.6732632423543772848170429916717 * (np.exp(x) - 1))),
    ("silu", ()): lambda x: x / (1 + np.exp(-x)),
    ("hard_sigmoid", ()): lambda x: np.where(np.clip(x / 6 + 0.5, 0, None) > 1, 1, np.clip(x / 6 + 0.5, 0, None)).astype(x.dtype),
    ("mish", ()): lambda x: x * np.tanh(_torch_softplus(x)),
    ("softsign", ()): lambda x: x / (np.abs(x) + 1),
    ("softplus", ()): _torch_softplus,  # torch's defaults beta=1, threshold=20 (its test also runs beta=3)
}


@pytest.mark.parametrize("dtype", DTYPES, ids=ids)
@pytest.mark.parametrize("values", ["small", "large", "extremal"])
@pytest.mark.parametrize("name, params", list(TORCH_REFERENCE), ids=lambda v: v if isinstance(v, str) else "")
def test_torch_reference_numerics(name, params, values, dtype):
    x = np.asarray({"small": _SMALL, "large": _LARGE, "extremal": _EXTREMAL}[values], jnp.dtype(dtype))
    with warnings.catch_warnings():  # the numpy references overflow on purpose (exp(1e20))
        warnings.simplefilter("ignore")
        want = TORCH_REFERENCE[name, params](x)
    got = np.asarray(activations.get(name, **dict(params))(jnp.asarray(x)))
    if values == "extremal":
        # where the reference is inf * 0 or inf / inf (silu, mish at -inf; softsign at
        # +-inf), actlab gives the limit: the reference just short of infinity
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            limit = TORCH_REFERENCE[name, params](np.copysign(1e300, x.astype(np.float64))).astype(x.dtype)
        undefined = np.isinf(x) & np.isnan(want)
        np.testing.assert_array_equal(got[undefined], limit[undefined])
        got, want = got[~undefined], want[~undefined]
    rtol, atol = _TORCH_TOL[dtype]
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


# --- conventions where the peers disagree, and where actlab is more accurate ------------------


def test_kink_conventions_against_the_peers():
    torch = pytest.importorskip("torch")
    x = jnp.asarray([0.0, 1.0, -1.0], jnp.float32)
    d = lambda name, **p: np.asarray(activations.get(name, **p).derivative(x))  # noqa: E731
    jax_grad = lambda f: np.asarray(jax.vmap(jax.grad(f))(x))  # noqa: E731

    def torch_grad(f):
        xt = torch.tensor(np.asarray(x), requires_grad=True)
        y = f(xt)
        return torch.autograd.grad(y, xt, torch.ones_like(y))[0].numpy()

    # leaky_relu'(0) = alpha, the left derivative, as torch (and as relu'(0) = 0); jax gives 1
    assert d("leaky_relu", alpha=0.1)[0] == pytest.approx(0.1)
    assert torch_grad(lambda t: torch.nn.functional.leaky_relu(t, 0.1))[0] == pytest.approx(0.1)
    assert jax_grad(lambda v: jax.nn.leaky_relu(v, 0.1))[0] == 1.0
    # hard_tanh'(+-1) = 0, as torch; jax gives 1
    np.testing.assert_array_equal(d("hard_tanh")[1:], [0.0, 0.0])
    np.testing.assert_array_equal(torch_grad(torch.nn.functional.hardtanh)[1:], [0.0, 0.0])
    np.testing.assert_array_equal(jax_grad(jax.nn.hard_tanh)[1:], [1.0, 1.0])


def test_derivatives_at_infinity_are_the_limits_and_at_nan_are_nan():
    torch = pytest.importorskip("torch")
    x = jnp.asarray([np.inf, -np.inf, np.nan], jnp.float32)
    # softsign'(+-inf) = 0, the limit; jax and torch give NaN (inf / inf)
    np.testing.assert_array_equal(np.asarray(activations.get("softsign").derivative(x))[:2], [0.0, 0.0])
    assert np.all(np.isnan(np.asarray(jax.vmap(jax.grad(jax.nn.soft_sign))(x[:2]))))
    xt = torch.tensor(np.asarray(x[:2]), requires_grad=True)
    assert torch.isnan(torch.autograd.grad(torch.nn.functional.softsign(xt).sum(), xt)[0]).all()
    # silu'(+-inf) = 1 and 0; jax gives NaN
    np.testing.assert_array_equal(np.asarray(activations.get("silu").derivative(x))[:2], [1.0, 0.0])
    assert np.all(np.isnan(np.asarray(jax.vmap(jax.grad(jax.nn.silu))(x[:2]))))
    # relu'(NaN): actlab NaN (no slope at no number); jax 0, torch 1
    assert np.isnan(float(activations.get("relu").derivative(x)[2]))
    assert float(jax.grad(jax.nn.relu)(jnp.float32(np.nan))) == 0.0
    xt = torch.tensor([np.nan], requires_grad=True)
    assert float(torch.autograd.grad(torch.relu(xt).sum(), xt)[0][0]) == 1.0


@pytest.mark.parametrize("name, x, jax_fn", [
    ("tanh", 6.0, jnp.tanh),  # 1 - tanh(6)^2 keeps 2 digits in float32: 2.4795e-5 against 2.45765e-5
    ("gelu_tanh", -3.0, lambda v: jax.nn.gelu(v, approximate=True)),
    ("sigmoid", 20.0, jax.nn.sigmoid),
])
def test_more_accurate_than_jax_nn(name, x, jax_fn):
    exact = {"tanh": lambda v: mpmath.sech(v) ** 2,
             "sigmoid": lambda v: mpmath.exp(-v) / (1 + mpmath.exp(-v)) ** 2,
             "gelu_tanh": lambda v: mpmath.diff(
                 lambda t: t / (1 + mpmath.exp(-2 * mpmath.sqrt(2 / mpmath.pi) * (t + mpmath.mpf("0.044715") * t**3))), v),
             }[name](mpmath.mpf(x))
    ours = float(activations.get(name).derivative(jnp.float32(x)))
    theirs = float(jax.grad(jax_fn)(jnp.float32(x)))
    eps = float(jnp.finfo(jnp.float32).eps)
    assert abs(ours - exact) <= 4 * eps * abs(exact)
    assert abs(theirs - exact) > 100 * eps * abs(exact)  # jax.nn misses by more than 100 ulps
