"""actlab.blocks.losses against mpmath at 50 digits, and against optax / jax.nn where those are right."""

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import optax
import pytest
import scipy.special

from actlab.blocks import losses
from actlab.errors import ActlabError

MP_DPS = 50  # mpmath digits of this module's references (conftest sets them per test)
mpmath.mp.dps = MP_DPS

TOL = {jnp.float32: 1e-6, jnp.float64: 1e-13}
ALL_DTYPES = [jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64]
NINF = float("-inf")


# --- independent references ---------------------------------------------------------


def mp_logsumexp(row):
    row = [mpmath.mpf(float(v)) for v in row if v != NINF]
    if not row:
        return mpmath.mpf("-inf")
    m = max(row)
    return m + mpmath.log(mpmath.fsum(mpmath.exp(v - m) for v in row))


def mp_xent(row, label):
    """-log softmax(row)[label] = log1p(sum_{j != y} exp(x_j - x_y)): no cancellation at 50 digits."""
    x_y = mpmath.mpf(float(row[label]))
    if x_y == NINF:
        return mpmath.inf
    terms = [mpmath.exp(mpmath.mpf(float(v)) - x_y) for j, v in enumerate(row) if v != NINF and j != label]
    return mpmath.log1p(mpmath.fsum(terms))


def mp_softmax(row):
    lse = mp_logsumexp(row)
    return [mpmath.mpf(0) if v == NINF else mpmath.exp(mpmath.mpf(float(v)) - lse) for v in row]


def mp_bce(x, y):
    x, y = mpmath.mpf(float(x)), mpmath.mpf(float(y))
    return y * mpmath.log1p(mpmath.exp(-x)) + (1 - y) * mpmath.log1p(mpmath.exp(x))


def mp_sigmoid(x):
    return 1 / (1 + mpmath.exp(-mpmath.mpf(float(x))))


def assert_close(got, ref, dtype):
    """Relative error within TOL[dtype]; below the smallest normal number only
    an absolute error of that size is asked (XLA on CPU flushes subnormals)."""
    got = float(got)
    tiny = float(jnp.finfo(dtype).tiny)
    err = abs(mpmath.mpf(got) - ref)
    assert err <= TOL[dtype] * abs(ref) + tiny, (got, mpmath.nstr(ref, 17))


def adversarial_rows():
    """(logits, label): scales 1..1e30, near-ties, -inf masks, huge offsets, tiny losses."""
    rows = [
        ([30.0, 0.0, -2.0, 1.0], 0),  # loss 3.6e-13: jax.nn / optax / torch give 0 in float32
        ([-1e4, -1e4 - 3, -1e4 + 1.5], 0),  # loss 1.7104547: optax gives 1.7109375
        ([1000.0, 0.0, -1000.0], 0),
        ([1000.0, 0.0, -1000.0], 1),
        ([1000.0, 0.0, -1000.0], 2),
        ([1e30, 0.0, -1e30], 1),
        ([1e30, 1e30, -1e30], 0),  # a tie at the max
        ([5.0, 5.0, 5.0, 5.0], 2),
        ([1.0, 1.0 + 1e-6, 1.0 - 1e-6], 0),  # near-ties
        ([1e6, 1e6 + 0.5, 1e6 - 0.25], 2),  # huge common offset
        ([3.0, NINF, 1.0, NINF], 0),  # masks
        ([3.0, NINF, 1.0, NINF], 2),
        ([15.0, 0.0], 0),
        ([20.0, -20.0, -20.0], 0),
        ([88.0, 89.0, 90.0], 2),
        ([-87.0, 0.0, 1e-3], 1),
        ([NINF, -12.31385, 20.22045], 2),  # loss 7.4222077e-15: x - m has more digits than float32 holds
        ([0.0, -88.0, -88.0, -87.5], 0),  # loss 2.2e-38, a normal float32 made of subnormal terms
        ([1e-3, -20.123, -21.5], 0),
    ]
    rng = np.random.default_rng(0)
    for scale in [1.0, 10.0, 1e3, 1e10, 1e30]:
        for _ in range(6):
            row = (rng.standard_normal(5) * scale).tolist()
            rows.append((row, int(rng.integers(5))))
    for offset in [1e3, -1e4, 1e5]:  # near-ties on a big offset
        row = (offset + rng.standard_normal(6)).tolist()
        rows.append((row, int(np.argmax(row))))
        rows.append((row, int(np.argmin(row))))
    return rows


ROWS = adversarial_rows()


def rounded(row, dtype):
    """The logits as stored in dtype, back as Python floats (the reference is exact for these)."""
    return [float(v) for v in np.asarray(jnp.asarray(row, dtype).astype(jnp.float64))]


# --- accuracy ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xent_and_grad():
    return jax.jit(jax.value_and_grad(losses.softmax_cross_entropy))


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_cross_entropy_matches_mpmath_on_adversarial_logits(dtype, xent_and_grad):
    for row, label in ROWS:
        x = jnp.asarray(row, dtype)
        if not np.all(np.isfinite(np.asarray(x, np.float64)) | (np.asarray(row) == NINF)):
            continue  # 1e30 is inf in float16 only
        exact_row = rounded(row, dtype)
        loss, grad = xent_and_grad(x, jnp.asarray(label))
        assert loss.dtype == dtype and grad.dtype == dtype
        assert_close(loss, mp_xent(exact_row, label), dtype)
        p = mp_softmax(exact_row)
        for j, g in enumerate(np.asarray(grad, np.float64)):
            exact = p[j] - (1 if j == label else 0)
            assert abs(g - exact) <= 1e-6, (row, label, j, g, exact)
            assert np.isfinite(g)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_logsumexp_and_log_softmax_match_mpmath(dtype):
    lse_fn, ls_fn = jax.jit(losses.logsumexp), jax.jit(losses.log_softmax)
    for row, _ in ROWS:
        exact_row = rounded(row, dtype)
        if not all(np.isfinite(v) or v == NINF for v in exact_row):
            continue
        x = jnp.asarray(row, dtype)
        assert_close(lse_fn(x), mp_logsumexp(exact_row), dtype)
        ls = np.asarray(ls_fn(x), np.float64)
        for j, v in enumerate(exact_row):
            if v == NINF:
                assert ls[j] == NINF
            else:
                assert_close(ls[j], -mp_xent(exact_row, j), dtype)


def test_the_two_cases_the_libraries_get_wrong():
    # exact values from mpmath, digits checked by hand
    small = losses.softmax_cross_entropy(jnp.asarray([30.0, 0.0, -2.0, 1.0], jnp.float32), 0)
    assert float(small) == pytest.approx(3.6060697e-13, rel=1e-6)
    offset = losses.softmax_cross_entropy(jnp.asarray([-1e4, -1e4 - 3, -1e4 + 1.5], jnp.float32), 0)
    assert float(offset) == pytest.approx(1.7104547, rel=1e-6)


@pytest.mark.filterwarnings("ignore:overflow encountered in cast")  # 1e30 is inf in float16
@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16])
def test_half_precision_is_within_one_rounding(dtype):
    eps = float(jnp.finfo(dtype).eps)
    for row, label in ROWS:
        exact_row = rounded(row, dtype)
        if not all(np.isfinite(v) or v == NINF for v in exact_row):
            continue
        loss = losses.softmax_cross_entropy(jnp.asarray(row, dtype), label)
        assert loss.dtype == dtype
        ref = mp_xent(exact_row, label)
        if abs(ref) < 6e4:
            assert abs(float(loss) - ref) <= eps * abs(ref) + float(jnp.finfo(dtype).tiny)


def test_agrees_with_optax_and_jax_nn_on_ordinary_logits():
    rng = np.random.default_rng(1)
    x = jnp.asarray(rng.standard_normal((64, 10)) * 3, jnp.float32)
    y = jnp.asarray(rng.integers(0, 10, 64))
    np.testing.assert_allclose(
        losses.softmax_cross_entropy(x, y), optax.softmax_cross_entropy_with_integer_labels(x, y), rtol=1e-5  # optax is off by 4e-6 on one row
    )
    np.testing.assert_allclose(losses.log_softmax(x), jax.nn.log_softmax(x), rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(losses.softmax(x), jax.nn.softmax(x), rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(losses.logsumexp(x, axis=-1), jax.nn.logsumexp(x, axis=-1), rtol=2e-6)
    g = jax.grad(lambda x: losses.softmax_cross_entropy(x, y).sum())(x)
    g_optax = jax.grad(lambda x: optax.softmax_cross_entropy_with_integer_labels(x, y).sum())(x)
    np.testing.assert_allclose(g, g_optax, atol=1e-6)


def test_probability_labels_and_smoothing_match_optax():
    rng = np.random.default_rng(2)
    x = jnp.asarray(rng.standard_normal((16, 5)), jnp.float64)
    y = jnp.asarray(rng.integers(0, 5, 16))
    onehot = jax.nn.one_hot(y, 5, dtype=jnp.float64)
    np.testing.assert_allclose(losses.softmax_cross_entropy(x, onehot), losses.softmax_cross_entropy(x, y), rtol=1e-14)
    q = jax.nn.softmax(jnp.asarray(rng.standard_normal((16, 5))))
    np.testing.assert_allclose(losses.softmax_cross_entropy(x, q), optax.softmax_cross_entropy(x, q), rtol=1e-13)
    smoothed = optax.smooth_labels(onehot, 0.1)
    np.testing.assert_allclose(
        losses.softmax_cross_entropy(x, y, label_smoothing=0.1), optax.softmax_cross_entropy(x, smoothed), rtol=1e-13
    )
    g = jax.grad(lambda x: losses.softmax_cross_entropy(x, q).sum())(x)
    np.testing.assert_allclose(g, jax.nn.softmax(x) - q, atol=1e-14)


def test_softmax_temperature_sharpens_and_flattens():
    x = jnp.asarray([1.0, 2.0, 3.0], jnp.float64)
    np.testing.assert_allclose(losses.softmax(x, temperature=0.5), jax.nn.softmax(x / 0.5), rtol=1e-14)
    cold, hot = losses.softmax(x, temperature=0.01), losses.softmax(x, temperature=100.0)
    assert float(cold[2]) == pytest.approx(1.0) and float(cold[0]) < 1e-80
    np.testing.assert_allclose(hot, np.full(3, 1 / 3), atol=1e-2)
    with pytest.raises(ActlabError, match="temperature"):
        losses.softmax(x, temperature=0.0)


def test_the_digits_float32_used_to_lose():
    # x - m rounded in float32 made the loss 7.422193e-15 (2e-6 off); subnormal
    # terms flushed to 0 made a normal 2.2e-38 into 0
    x = jnp.asarray([NINF, -12.31385, 20.22045], jnp.float32)
    exact = mp_xent(rounded([NINF, -12.31385, 20.22045], jnp.float32), 2)
    assert abs(float(losses.softmax_cross_entropy(x, 2)) - exact) <= 1e-6 * exact
    assert abs(float(losses.log_softmax(x)[2]) + exact) <= 1e-6 * exact
    row = jnp.asarray([0.0, -88.0, -88.0, -87.5], jnp.float32)
    exact = mp_logsumexp(rounded([0.0, -88.0, -88.0, -87.5], jnp.float32))  # 2.2091555e-38
    for got in (losses.logsumexp(row), losses.softmax_cross_entropy(row, 0), -losses.log_softmax(row)[0]):
        assert abs(float(got) - exact) <= 1e-6 * exact, float(got)


def test_tiny_temperatures_give_the_limit_not_nan():
    cold = losses.softmax(jnp.asarray([1e10, 0.0], jnp.float32), temperature=1e-30)
    np.testing.assert_array_equal(np.asarray(cold), [1.0, 0.0])
    cold = losses.softmax(jnp.asarray([1e300, 0.0, 1e300], jnp.float64), temperature=1e-10)
    np.testing.assert_array_equal(np.asarray(cold), [0.5, 0.0, 0.5])  # ties share the limit
    g = jax.grad(lambda x: losses.softmax(x, temperature=1e-30)[0])(jnp.asarray([1e10, 0.0], jnp.float32))
    assert np.all(np.isfinite(np.asarray(g)))


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_label_smoothing_spreads_over_unmasked_classes_only(dtype):
    row = [2.0, NINF, 0.5, NINF, -1.0]
    x = jnp.asarray(row, dtype)
    eps = 0.1
    unmasked = [j for j, v in enumerate(row) if v != NINF]
    p = mp_softmax(rounded(row, dtype))
    q = {j: (1 - eps) * (j == 0) + eps / len(unmasked) for j in unmasked}
    exact = -mpmath.fsum(q[j] * mpmath.log(p[j]) for j in unmasked)
    loss, g = jax.value_and_grad(lambda x: losses.softmax_cross_entropy(x, 0, label_smoothing=eps))(x)
    assert_close(loss, exact, dtype)
    g = np.asarray(g, np.float64)
    assert g[1] == 0.0 and g[3] == 0.0  # masked: probability 0, gradient 0
    for j in unmasked:
        assert abs(g[j] - float(p[j] - q[j])) <= 1e-6
    # the same through where=: masked classes leave the distribution
    mask = jnp.asarray([v != NINF for v in row])
    finite = jnp.asarray([v if v != NINF else 7.0 for v in row], dtype)
    assert_close(losses.softmax_cross_entropy(finite, 0, where=mask, label_smoothing=eps), exact, dtype)


def test_full_label_smoothing_is_the_uniform_target():
    x = jnp.asarray([[1.0, 2.0, -3.0], [0.5, 0.0, 4.0]], jnp.float64)
    uniform = jnp.full((2, 3), 1 / 3, jnp.float64)
    np.testing.assert_allclose(losses.softmax_cross_entropy(x, jnp.asarray([0, 2]), label_smoothing=1.0),
                               optax.softmax_cross_entropy(x, uniform), rtol=1e-14)


# --- label gradients -----------------------------------------------------------------------


def central_difference(f, x, h):
    """(f(x + h e_j) - f(x - h e_j)) / 2h for every entry j, in float64 numpy."""
    x = np.asarray(x, np.float64)
    out = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[j] = h
        out[j] = (float(f(x + step)) - float(f(x - step))) / (2 * h)
    return out


def test_target_gradient_matches_finite_differences_and_optax():
    # optax's own gradient test: logits [[10, 1, -2], [1, 4, 0.2]], one-hot
    # targets; the target gradient is -log_softmax, also where a target is 0
    x = jnp.asarray([[10.0, 1.0, -2.0], [1.0, 4.0, 0.2]], jnp.float64)
    q = jnp.asarray([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], jnp.float64)
    total = lambda x, q: losses.softmax_cross_entropy(x, q).sum()
    g_q = np.asarray(jax.grad(total, argnums=1)(x, q))
    fd = central_difference(lambda q: total(x, jnp.asarray(q)), q, 0.25)  # linear in q: any step is exact
    np.testing.assert_allclose(g_q, fd, rtol=1e-9)
    exact = [[float(mp_xent(row, j)) for j in range(3)] for row in ([10.0, 1.0, -2.0], [1.0, 4.0, 0.2])]
    np.testing.assert_allclose(g_q, exact, rtol=1e-14)
    g_optax = jax.grad(lambda q: optax.softmax_cross_entropy(x, q).sum())(q)
    np.testing.assert_allclose(g_q, g_optax, rtol=1e-11)  # optax's x - logsumexp(x) cancels at the max
    np.testing.assert_allclose(g_q, [[1.30e-4, 9.00013, 12.00013], [3.06967, 0.06967, 3.86967]], atol=1e-5)  # as quoted
    # forward mode agrees (a tangent that leaves every target but one alone)
    _, tangent = jax.jvp(lambda q: total(x, q), (q,), (jnp.zeros_like(q).at[0, 2].set(1.0),))
    assert float(tangent) == pytest.approx(g_q[0, 2], rel=1e-14)


def test_target_gradient_of_masked_classes_is_zero():
    x = jnp.asarray([2.0, NINF, 0.5], jnp.float64)
    q = jnp.asarray([0.7, 0.0, 0.3], jnp.float64)
    g_x, g_q = jax.grad(losses.softmax_cross_entropy, argnums=(0, 1))(x, q)
    assert float(g_x[1]) == 0.0 and float(g_q[1]) == 0.0
    log_p = np.asarray(jax.nn.log_softmax(jnp.asarray([2.0, 0.5], jnp.float64)))
    np.testing.assert_allclose(np.asarray(g_q)[[0, 2]], -log_p, rtol=1e-14)
    with_where = jax.grad(losses.softmax_cross_entropy, argnums=1)(
        jnp.asarray([2.0, 5.0, 0.5], jnp.float64), q, where=jnp.asarray([True, False, True]))
    np.testing.assert_allclose(with_where, g_q, rtol=1e-14)


# --- binary cross-entropy ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_binary_cross_entropy_matches_mpmath(dtype):
    xs = [0.0, 1e-8, 0.5, -3.0, 17.0, -17.0, 40.0, -40.0, 100.0, -100.0, 1e4, -1e4, 1e30, -1e30]
    ys = [0.0, 0.3, 0.5, 1.0]
    x = jnp.asarray([v for v in xs for _ in ys], dtype)
    y = jnp.asarray([t for _ in xs for t in ys], dtype)
    loss = jax.jit(losses.sigmoid_binary_cross_entropy)(x, y)
    grad = jax.jit(jax.grad(lambda x, y: losses.sigmoid_binary_cross_entropy(x, y).sum()))(x, y)
    assert loss.dtype == dtype and bool(jnp.all(jnp.isfinite(loss))) and bool(jnp.all(jnp.isfinite(grad)))
    for xi, yi, li, gi in zip(np.asarray(x, np.float64), np.asarray(y, np.float64), np.asarray(loss, np.float64), np.asarray(grad, np.float64)):
        assert_close(li, mp_bce(xi, yi), dtype)
        assert abs(gi - (mp_sigmoid(xi) - mpmath.mpf(yi))) <= 1e-6


def test_binary_cross_entropy_infinite_logits_give_the_limits():
    x = jnp.asarray([jnp.inf, jnp.inf, -jnp.inf, -jnp.inf], jnp.float32)
    y = jnp.asarray([1.0, 0.0, 0.0, 1.0], jnp.float32)
    np.testing.assert_array_equal(losses.sigmoid_binary_cross_entropy(x, y), [0.0, np.inf, 0.0, np.inf])
    grad = jax.grad(lambda x: losses.sigmoid_binary_cross_entropy(x, y).sum())(x)
    np.testing.assert_array_equal(grad, [0.0, 1.0, 0.0, -1.0])  # sigmoid(x) - y at the limits


def test_binary_cross_entropy_multilabel_and_optax():
    rng = np.random.default_rng(3)
    x = jnp.asarray(rng.standard_normal((8, 3)) * 4, jnp.float64)
    y = jnp.asarray(rng.integers(0, 2, (8, 3)))
    np.testing.assert_allclose(losses.sigmoid_binary_cross_entropy(x, y), optax.sigmoid_binary_cross_entropy(x, y), rtol=1e-12)


def test_binary_label_gradient_is_minus_x_at_hard_labels_too():
    # hard labels used to get gradient 0 (where() blocked it): y = 1 with x >= 0, y = 0 with x < 0
    x = jnp.asarray([3.0, 0.0, -2.5, -40.0, 40.0, 0.7], jnp.float64)
    y = jnp.asarray([1.0, 1.0, 0.0, 0.0, 1.0, 0.3], jnp.float64)
    g_y = jax.grad(lambda y: losses.sigmoid_binary_cross_entropy(x, y).sum())(y)
    np.testing.assert_array_equal(np.asarray(g_y), -np.asarray(x))
    fd = central_difference(lambda y: losses.sigmoid_binary_cross_entropy(x, jnp.asarray(y)).sum(), y, 0.25)
    np.testing.assert_allclose(np.asarray(g_y), fd, rtol=1e-9, atol=1e-12)  # linear in y: any step is exact
    g_optax = jax.grad(lambda y: optax.sigmoid_binary_cross_entropy(x, y).sum())(y)
    np.testing.assert_allclose(g_y, g_optax, rtol=1e-12)
    # both arguments at once, and forward mode
    g_x, g_y2 = jax.grad(lambda x, y: losses.sigmoid_binary_cross_entropy(x, y).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(g_x, jax.nn.sigmoid(x) - y, atol=1e-15)
    np.testing.assert_array_equal(g_y2, g_y)
    _, t = jax.jvp(lambda y: losses.sigmoid_binary_cross_entropy(x, y).sum(), (y,), (jnp.ones_like(y),))
    assert float(t) == pytest.approx(-float(jnp.sum(x)), rel=1e-14)


# --- edge promises ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_all_masked_row_gives_minus_inf_and_zero_gradient(dtype):
    x = jnp.full((3,), -jnp.inf, dtype)
    assert float(losses.logsumexp(x)) == NINF
    for fn in (
        losses.logsumexp,
        lambda x: losses.log_softmax(x)[0],
        lambda x: losses.softmax(x)[0],
        lambda x: losses.softmax_cross_entropy(x, 1),
        lambda x: losses.softmax_cross_entropy(x, jnp.asarray([0.0, 1.0, 0.0], dtype)),
    ):
        g = jax.grad(fn)(x)
        assert g.dtype == dtype
        np.testing.assert_array_equal(np.asarray(g, np.float64), 0.0)
    np.testing.assert_array_equal(np.asarray(losses.softmax(x), np.float64), 0.0)
    assert float(losses.softmax_cross_entropy(x, 1)) == 0.0  # a padded example drops out


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_masked_entries_get_probability_and_gradient_zero(dtype):
    x = jnp.asarray([2.0, -jnp.inf, 0.5, -jnp.inf], dtype)
    p = losses.softmax(x)
    assert p.dtype == dtype and float(p[1]) == 0.0 and float(p[3]) == 0.0
    for fn in (losses.logsumexp, lambda x: losses.softmax_cross_entropy(x, 0), lambda x: losses.softmax_cross_entropy(x, 2)):
        g = np.asarray(jax.grad(fn)(x), np.float64)
        assert np.all(np.isfinite(g)) and g[1] == 0.0 and g[3] == 0.0
    assert float(losses.softmax_cross_entropy(x, 1)) == np.inf  # the true class is masked out


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_nan_in_nan_out(dtype):
    x = jnp.asarray([1.0, jnp.nan, 0.0], dtype)
    assert np.isnan(float(losses.logsumexp(x)))
    assert np.all(np.isnan(np.asarray(losses.log_softmax(x), np.float64)))
    assert np.all(np.isnan(np.asarray(losses.softmax(x), np.float64)))
    assert np.isnan(float(losses.softmax_cross_entropy(x, 0)))
    assert np.isnan(float(losses.sigmoid_binary_cross_entropy(jnp.asarray(jnp.nan, dtype), 1.0)))
    assert np.isnan(float(losses.sigmoid_binary_cross_entropy(jnp.asarray(jnp.nan, dtype), 0.0)))


def test_label_out_of_range_gives_nan_under_jit_and_is_refused_eagerly():
    x = jnp.asarray([[1.0, 2.0, 3.0]], jnp.float32)
    jitted = jax.jit(losses.softmax_cross_entropy)
    assert np.isnan(float(jitted(x, jnp.asarray([3]))[0]))
    assert np.isnan(float(jitted(x, jnp.asarray([-1]))[0]))
    g = jax.jit(jax.grad(lambda x, y: losses.softmax_cross_entropy(x, y).sum()))(x, jnp.asarray([3]))
    assert np.all(np.isnan(np.asarray(g)))
    for label in (3, -1):  # concrete labels can be checked: one line naming the label and the range
        with pytest.raises(ActlabError, match=rf"label {label} is outside \[0, 3\)"):
            losses.softmax_cross_entropy(x, jnp.asarray([label]))
    with pytest.raises(ActlabError, match="labels"):
        losses.softmax_cross_entropy(x, jnp.asarray([1.0]))
    with pytest.raises(ActlabError, match="real array"):
        losses.logsumexp(jnp.asarray([1j, 2.0]))
    for smoothing in (1.5, -0.1):
        with pytest.raises(ActlabError, match="label_smoothing"):
            losses.softmax_cross_entropy(x, jnp.asarray([0]), label_smoothing=smoothing)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_dtypes_are_kept(dtype):
    x = jnp.asarray([[1.0, 2.0], [3.0, -1.0]], dtype)
    assert losses.logsumexp(x).dtype == dtype
    assert losses.log_softmax(x).dtype == dtype
    assert losses.softmax(x, temperature=2.0).dtype == dtype
    assert losses.softmax_cross_entropy(x, jnp.asarray([0, 1])).dtype == dtype
    assert losses.sigmoid_binary_cross_entropy(x, jnp.ones_like(x)).dtype == dtype
    assert losses.naive_softmax_cross_entropy(x, jnp.asarray([0, 1])).dtype == dtype


# --- calls as jax.nn, scipy and optax take them -----------------------------------------------


def test_logsumexp_reduces_like_jax_nn_and_scipy():
    x = np.random.default_rng(6).standard_normal((2, 3, 4))
    xj = jnp.asarray(x, jnp.float64)
    for axis in (None, 0, -1, (0, 2), (2, 0), (0, 1, 2)):
        for keepdims in (False, True):
            got = losses.logsumexp(xj, axis=axis, keepdims=keepdims)
            want = scipy.special.logsumexp(x, axis=axis, keepdims=keepdims)
            assert got.shape == want.shape, (axis, keepdims)
            np.testing.assert_allclose(got, want, rtol=1e-14)
    # the default reduces every axis, as jax.nn and scipy
    np.testing.assert_allclose(losses.logsumexp(xj), jax.nn.logsumexp(xj), rtol=1e-14)
    mask = x > 0
    np.testing.assert_allclose(losses.logsumexp(xj, axis=-1, where=mask),
                               jax.nn.logsumexp(xj, axis=-1, where=mask), rtol=1e-14)
    with pytest.raises(ActlabError, match="axis 3 is out of range"):
        losses.logsumexp(xj, axis=3)


def test_plus_inf_gives_the_limit_in_logsumexp():
    for x in ([1.0, np.inf], [np.inf, np.inf], [-np.inf, np.inf]):
        assert float(losses.logsumexp(jnp.asarray(x))) == np.inf == scipy.special.logsumexp(x)
    assert np.isnan(float(losses.logsumexp(jnp.asarray([np.nan, np.inf]))))  # NaN in, NaN out
    assert np.all(np.isnan(np.asarray(losses.softmax(jnp.asarray([1.0, np.inf])))))  # inf - inf: no value


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast")  # jax.nn's own integer path
def test_integers_are_promoted_as_jax_nn_does():
    for dtype in (jnp.int8, jnp.int32, jnp.int64, jnp.uint8):
        x = jnp.asarray([[1, 3, 2], [0, 5, 1]], dtype)
        for ours, theirs in ((losses.logsumexp, jax.nn.logsumexp), (losses.log_softmax, jax.nn.log_softmax),
                             (losses.softmax, jax.nn.softmax)):
            got = ours(x)
            assert got.dtype == theirs(x).dtype
            np.testing.assert_allclose(got, theirs(x.astype(jnp.float64)), rtol=1e-6)
        assert losses.softmax_cross_entropy(x, jnp.asarray([1, 1])).dtype == jax.nn.log_softmax(x).dtype


def test_log_softmax_and_softmax_take_tuple_axes_and_where_as_jax_nn():
    x = jnp.asarray(np.random.default_rng(7).standard_normal((2, 3, 4)), jnp.float64)
    mask = jnp.asarray(np.random.default_rng(8).integers(0, 2, (2, 3, 4)), bool).at[:, :, 0].set(True)
    for axis in ((1, 2), (0, 2), None):
        np.testing.assert_allclose(losses.log_softmax(x, axis=axis), jax.nn.log_softmax(x, axis=axis), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(losses.softmax(x, axis=axis), jax.nn.softmax(x, axis=axis), rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(losses.log_softmax(x, where=mask), jax.nn.log_softmax(x, where=mask), rtol=1e-13)
    np.testing.assert_allclose(losses.softmax(x, where=mask), jax.nn.softmax(x, where=mask), rtol=1e-13, atol=1e-16)
    assert np.all(np.asarray(losses.log_softmax(x, where=mask))[~np.asarray(mask)] == NINF)


def test_cross_entropy_takes_axis_and_where_as_optax():
    rng = np.random.default_rng(9)
    x = jnp.asarray(rng.standard_normal((4, 5, 6)), jnp.float64)
    q = jnp.asarray(rng.dirichlet(np.ones(5), size=(4, 6)).transpose(0, 2, 1))  # classes on axis 1
    np.testing.assert_allclose(losses.softmax_cross_entropy(x, q, axis=1), optax.softmax_cross_entropy(x, q, axis=1), rtol=1e-13)
    y = jnp.asarray(rng.integers(0, 5, (4, 6)))
    np.testing.assert_allclose(losses.softmax_cross_entropy(x, y, axis=1),
                               optax.softmax_cross_entropy_with_integer_labels(x, y, axis=1), rtol=1e-13)
    flat = jnp.asarray(rng.integers(0, 30, (4,)))  # a flat index into axes (1, 2), as optax
    np.testing.assert_allclose(losses.softmax_cross_entropy(x, flat, axis=(1, 2)),
                               optax.softmax_cross_entropy_with_integer_labels(x, flat, axis=(1, 2)), rtol=1e-13)
    per_class = jnp.asarray(rng.integers(0, 2, (4, 5, 6)), bool).at[:, 0].set(True)
    np.testing.assert_allclose(losses.softmax_cross_entropy(x, q, axis=1, where=per_class),
                               optax.softmax_cross_entropy(x, q, axis=1, where=per_class), rtol=1e-13)
    per_example = jnp.asarray([True, False, True, True])
    x2, y2 = x[:, :, 0], y[:, 0]
    got = losses.softmax_cross_entropy(x2, y2, where=per_example)
    np.testing.assert_allclose(got, optax.softmax_cross_entropy_with_integer_labels(x2, y2, where=per_example), rtol=1e-13)
    assert float(got[1]) == 0.0  # an example with no class left drops out


def test_axis_and_empty_arrays():
    x = jnp.asarray(np.random.default_rng(4).standard_normal((2, 3, 4)), jnp.float64)
    np.testing.assert_allclose(losses.logsumexp(x, axis=1), jax.nn.logsumexp(x, axis=1), rtol=1e-14)
    np.testing.assert_allclose(losses.log_softmax(x, axis=0), jax.nn.log_softmax(x, axis=0), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(losses.softmax(x, axis=1), jax.nn.softmax(x, axis=1), rtol=1e-13)
    assert float(losses.logsumexp(x, axis=None)) == pytest.approx(float(jax.nn.logsumexp(x)), rel=1e-14)
    assert float(losses.logsumexp(jnp.zeros((0,), jnp.float32))) == NINF
    assert losses.softmax_cross_entropy(jnp.zeros((0, 3), jnp.float32), jnp.zeros((0,), jnp.int32)).shape == (0,)


def test_jit_grad_vmap_batch_like_training():
    rng = np.random.default_rng(5)
    x = jnp.asarray(rng.standard_normal((32, 7)) * 50, jnp.float32)
    y = jnp.asarray(rng.integers(0, 7, 32))
    t = jnp.asarray(rng.integers(0, 2, (32, 7)), jnp.float32)
    per_example = jax.jit(jax.vmap(jax.grad(losses.softmax_cross_entropy)))(x, y)
    np.testing.assert_allclose(per_example, jax.nn.softmax(x) - jax.nn.one_hot(y, 7), atol=1e-6)
    g = jax.jit(jax.grad(lambda x: losses.sigmoid_binary_cross_entropy(x, t).mean()))(x)
    np.testing.assert_allclose(g, (jax.nn.sigmoid(x) - t) / t.size, atol=1e-7)


# --- the naive twins break where the lesson says -------------------------------------------


def test_naive_twins_break_and_fused_do_not():
    x = jnp.asarray([1000.0, 0.0, -1000.0], jnp.float32)
    assert not np.isfinite(float(losses.naive_softmax_cross_entropy(x, 1)))  # exp(1000) = inf
    assert float(losses.softmax_cross_entropy(x, 1)) == pytest.approx(1000.0)
    confident = jnp.asarray([30.0, 0.0, -2.0, 1.0], jnp.float32)
    assert float(losses.naive_softmax_cross_entropy(confident, 0)) == 0.0  # probability rounded to 1
    big = jnp.asarray([40.0], jnp.float32)
    assert np.isnan(float(losses.naive_sigmoid_binary_cross_entropy(big, 1.0)[0]))  # 0 * log(0)
    assert float(losses.sigmoid_binary_cross_entropy(big, 1.0)[0]) == pytest.approx(float(mpmath.exp(-40)), rel=1e-6)
    ordinary = jnp.asarray([0.5, -1.0, 2.0], jnp.float64)
    np.testing.assert_allclose(losses.naive_softmax_cross_entropy(ordinary, 2), losses.softmax_cross_entropy(ordinary, 2), rtol=1e-14)
    np.testing.assert_allclose(
        losses.naive_sigmoid_binary_cross_entropy(ordinary, 0.3), losses.sigmoid_binary_cross_entropy(ordinary, 0.3), rtol=1e-14
    )
