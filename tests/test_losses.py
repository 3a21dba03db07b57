"""actlab.blocks.losses against mpmath at 50 digits, and against optax / jax.nn where those are right."""

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import optax
import pytest

from actlab.blocks import losses
from actlab.errors import ActlabError

mpmath.mp.dps = 50

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
