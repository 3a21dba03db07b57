"""actlab.lab.gradflow and ``actlab grad`` against independent references: mpmath
derivatives for the pointwise table, a plain-numpy float64 backward pass for the
gradient norms, a numpy float64 composition of the layers for the linear
collapse, and the known vanishing / healthy results at depth 10."""

import json
import math
import subprocess
import sys

import mpmath as mp
import numpy as np
import pytest

from actlab.blocks import activations
from actlab.lab import gradflow
from actlab.cli import cli
from actlab.errors import ActlabError
from actlab.blocks.model import Init, apply

MP_DPS = 40  # mpmath digits of this module's references (conftest sets them per test)
mp.mp.dps = MP_DPS


def _sig(x):
    return 1 / (1 + mp.exp(-x))


# Textbook formulas, independent of the registry's stable forms.
REFERENCE = {
    "sigmoid": _sig,
    "tanh": mp.tanh,
    "softplus": lambda x: mp.log(1 + mp.exp(x)),
    "gelu": lambda x: x * mp.erfc(-x / mp.sqrt(2)) / 2,
    "silu": lambda x: x * _sig(x),
    "elu": lambda x: x if x > 0 else mp.exp(x) - 1,
    "mish": lambda x: x * mp.tanh(mp.log(1 + mp.exp(x))),
    "softsign": lambda x: x / (1 + abs(x)),
    "linear": lambda x: x,
}
POINTS = [-6.0, -2.5, -0.7, 0.3, 1.0, 2.0, 7.5]


def _mp_derivative(name, x):
    return float(mp.diff(REFERENCE[name], mp.mpf(x)))


# --- pointwise ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tables():
    acts = [activations.get(n) for n in REFERENCE]
    return {dt: {t.activation: t for t in gradflow.pointwise(acts, POINTS, dtype=dt)}
            for dt in ("float32", "float64")}


@pytest.mark.parametrize("dtype, fd_rtol", [("float32", 2e-3), ("float64", 1e-8)])
@pytest.mark.parametrize("name", list(REFERENCE))
def test_finite_difference_agrees_with_mpmath(tables, name, dtype, fd_rtol):
    for p in tables[dtype][name].points:
        exact = _mp_derivative(name, p.x)  # at the point as rounded to the dtype
        assert p.finite_difference == pytest.approx(exact, rel=fd_rtol, abs=fd_rtol * 1e-2)
        # The finite difference's stated error bound holds against the truth.
        assert abs(p.finite_difference - exact) <= p.tolerance + 1e-300
        # The table carries the registry's f and f' (their own tests pin the last ulps).
        eps = float(np.finfo(dtype).eps)
        assert p.derivative == pytest.approx(exact, rel=64 * eps, abs=1e-30)
        assert p.agree and p.note in ("", "below FD resolution")
        assert p.value == pytest.approx(float(REFERENCE[name](mp.mpf(p.x))), rel=64 * eps, abs=1e-30)


def test_step_is_exact_and_scaled_for_the_dtype():
    for dtype in ("float16", "float32", "float64"):
        x = np.array([-40.0, -1.0, 0.0, 0.5, 3.0, 1e4], dtype)
        h = np.asarray(gradflow.fd_step(x, dtype))
        assert h.dtype == np.dtype(dtype)
        np.testing.assert_array_equal((x + h) - x, h)  # the step actually taken
        want = np.finfo(dtype).eps ** (1 / 3) * np.maximum(1, np.abs(x.astype(np.float64)))
        np.testing.assert_allclose(h.astype(np.float64), want, rtol=2 * np.finfo(dtype).eps ** 0.5 + 1e-3)


def test_kinks_are_reported_with_their_one_sided_slopes():
    relu, relu6 = gradflow.pointwise([activations.get("relu"), activations.get("relu6")],
                                     [0.0, 6.0, 1.0], dtype="float64")
    at0 = relu.points[0]
    assert at0.note.startswith("kink") and not at0.agree
    assert (at0.left_slope, at0.right_slope) == (0.0, 1.0)
    assert at0.derivative == 0.0 and at0.finite_difference == pytest.approx(0.5)
    assert relu6.points[1].note.startswith("kink")  # 6: slopes 1 left, 0 right
    assert (relu6.points[1].left_slope, relu6.points[1].right_slope) == (1.0, 0.0)
    assert relu.points[2].agree and relu.points[2].note == ""


def test_tail_derivative_below_finite_difference_resolution():
    (table,) = gradflow.pointwise([activations.get("sigmoid")], [40.0, -40.0], dtype="float32")
    right, left = table.points
    exact = float(mp.exp(-40) / (1 + mp.exp(-40)) ** 2)  # 4.248e-18
    assert right.derivative == pytest.approx(exact, rel=1e-6)
    assert right.finite_difference == 0.0  # f(40 +- h) both round to 1
    assert right.agree and right.note == "below FD resolution"
    assert left.finite_difference == pytest.approx(exact, rel=1e-2)  # no cancellation on the left


def test_a_given_step_shows_truncation_and_rounding():
    sigmoid = [activations.get("sigmoid")]
    exact = _mp_derivative("sigmoid", 1.0)
    errors = {}
    for h in (1e-1, 1e-3, 1e-6):
        (table,) = gradflow.pointwise(sigmoid, [1.0], dtype="float32", step=h)
        p = table.points[0]
        assert p.step == pytest.approx(h, rel=0.1) and "as given" in table.step_rule  # x + h rounds
        errors[h] = abs(p.finite_difference - exact)
        assert errors[h] <= p.tolerance  # the stated bound holds at any step
    assert errors[1e-3] < errors[1e-1] and errors[1e-3] < errors[1e-6]  # the V: eps^(1/3) ~ 5e-3 wins
    with pytest.raises(ActlabError, match="lost"):
        gradflow.pointwise(sigmoid, [1.0], dtype="float32", step=1e-9)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_pointwise_low_precision_is_finite(dtype):
    (table,) = gradflow.pointwise([activations.get("tanh")], [-3.0, 0.0, 0.5, 3.0], dtype=dtype)
    assert table.dtype == dtype
    for p in table.points:
        assert math.isfinite(p.finite_difference) and p.agree


# --- depth --------------------------------------------------------------------------------

DEPTH_NAMES = ("sigmoid", "relu", "tanh", "linear")


@pytest.fixture(scope="module")
def flows():
    acts = [activations.get(n) for n in DEPTH_NAMES]
    # One compiled program; the seed is an argument, so three seeds compile once.
    return {seed: {f.activation: f for f in gradflow.gradient_flow(acts, depth=10, seed=seed)}
            for seed in (0, 1, 2)}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_known_results_at_depth_10(flows, seed):
    f = flows[seed]
    assert f["sigmoid"].init == "glorot" and f["sigmoid"].ratio < 1e-3
    assert f["sigmoid"].verdict == "vanishing"
    assert f["relu"].init == "he" and f["relu"].ratio > 1e-2
    assert f["tanh"].init == "glorot" and f["tanh"].ratio > 1e-2
    for name in ("relu", "tanh"):
        assert f[name].verdict == "healthy"
    # sigmoid' <= 1/4: every unit's local gain is at most a quarter.
    assert all(layer.mean_abs_derivative <= 0.25 for layer in f["sigmoid"].layers)
    assert [layer.layer for layer in f["sigmoid"].layers] == list(range(1, 11))


def _numpy_backward(params, x, t, name):
    """dL/dW_l norms and dL/dz_l norms by hand, float64, loss 0.5 mean (y - t)^2."""
    f = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[name]
    df = {"sigmoid": lambda z: f(z) * (1 - f(z)), "tanh": lambda z: 1 - np.tanh(z) ** 2,
          "relu": lambda z: (z > 0).astype(np.float64)}[name]
    ws = [np.asarray(w, np.float64) for w, _ in params]
    bs = [np.asarray(b, np.float64) for _, b in params]
    a, zs, acts_in = np.asarray(x, np.float64), [], []
    for w, b in zip(ws[:-1], bs[:-1]):
        acts_in.append(a)
        z = a @ w + b
        zs.append(z)
        a = f(z)
    y = a @ ws[-1] + bs[-1]
    delta = (y - np.asarray(t, np.float64)) / len(y)
    grad_norms, signal_norms = [], []
    back = delta @ ws[-1].T
    for l in reversed(range(len(zs))):
        dz = back * df(zs[l])
        signal_norms.append(np.linalg.norm(dz))
        grad_norms.append(np.linalg.norm(acts_in[l].T @ dz))
        back = dz @ ws[l].T
    return grad_norms[::-1], signal_norms[::-1], zs


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_gradient_norms_match_a_numpy_backward_pass(flows, name):
    flow = flows[0][name]
    init = Init("he") if name == "relu" else Init("glorot")
    params, x, t = gradflow.sample_network(seed=0, depth=10, width=64, batch=128, init=init)
    grad_norms, signal_norms, zs = _numpy_backward(params, x, t, name)
    got = [layer.grad_norm for layer in flow.layers]
    np.testing.assert_allclose(got, grad_norms, rtol=2e-3)
    np.testing.assert_allclose([layer.signal_norm for layer in flow.layers], signal_norms, rtol=2e-3)
    if name == "relu":
        dead = [np.mean(np.all(z <= 0, axis=0)) for z in zs]
        np.testing.assert_allclose([layer.dead for layer in flow.layers], dead, atol=2 / 64)
        zero = [np.mean(z <= 0) for z in zs]
        np.testing.assert_allclose([layer.sparsity for layer in flow.layers], zero, atol=1e-3)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float64"])
def test_the_draws_follow_their_distribution(dtype):
    """Weights N(0, std^2) by the init, biases N(0, bias_std^2), inputs and targets
    N(0, 1): Kolmogorov-Smirnov against scipy's normal, layers uncorrelated."""
    from scipy import stats

    init = Init("he")
    params, x, t = gradflow.sample_network(seed=5, depth=4, width=64, batch=512, init=init, bias_std=0.3,
                                           dtype=dtype)
    assert {str(a.dtype) for w, b in params for a in (w, b)} | {str(x.dtype), str(t.dtype)} == {dtype}
    as64 = lambda arrays: np.concatenate([np.asarray(a, np.float64).ravel() for a in arrays])  # noqa: E731
    hidden = [w for w, _ in params[:-1]]
    samples = {"weights": (as64(hidden), init.std(64, 64)), "output weights": (as64([params[-1][0]]), init.std(64, 1)),
               "biases": (as64([b for _, b in params]), 0.3), "inputs": (as64([x]), 1.0), "targets": (as64([t]), 1.0)}
    for what, (values, std) in samples.items():
        assert stats.kstest(values / std, "norm").pvalue > 1e-4, what
    w1, w2 = (np.asarray(w, np.float64).ravel() for w in hidden[:2])
    assert abs(np.corrcoef(w1, w2)[0, 1]) < 5 / np.sqrt(w1.size)  # each layer its own draws


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_draws_are_jax_random_normal_bit_for_bit(dtype):
    """The written-out threefry gives jax.random.normal's numbers, every bit."""
    import jax

    for seed, shape in [(0, (64, 1024)), (1, (7,)), (12345, (3, 5, 2)), (2**31 + 5, (1,))]:
        key = jax.random.key(seed)
        ours = jax.jit(lambda k: gradflow._standard_normal(k, shape, dtype))(key)
        theirs = jax.random.normal(key, shape, dtype)
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs), (seed, shape)


def test_the_draws_are_a_function_of_the_seed_shared_by_every_activation():
    same = [gradflow.sample_network(seed=7, depth=3, width=16, batch=8, init=Init("glorot"))[0][0][0]
            for _ in range(2)]
    other = gradflow.sample_network(seed=8, depth=3, width=16, batch=8, init=Init("glorot"))[0][0][0]
    assert np.array_equal(same[0], same[1]) and not np.array_equal(same[0], other)
    he = gradflow.sample_network(seed=7, depth=3, width=16, batch=8, init=Init("he"))[0][0][0]
    # one set of draws, scaled by each activation's init
    np.testing.assert_allclose(np.asarray(he) / Init("he").std(16, 16),
                               np.asarray(same[0]) / Init("glorot").std(16, 16), rtol=2e-7)
    # run alone or beside others, an activation sees the same network
    alone = gradflow.gradient_flow([activations.get("tanh")], depth=4, width=16, batch=8, seed=7)[0]
    beside = gradflow.gradient_flow([activations.get("relu"), activations.get("tanh")], depth=4, width=16,
                                    batch=8, seed=7)[1]
    assert alone.layers == beside.layers and alone.loss == beside.loss


def _numpy_affine(params):
    """The layers composed into one map x W + b, in numpy float64 (identity activation)."""
    w_total = np.eye(np.asarray(params[0][0]).shape[0])
    b_total = np.zeros(w_total.shape[1])
    for w, b in params:
        w, b = np.asarray(w, np.float64), np.asarray(b, np.float64)
        w_total, b_total = w_total @ w, b_total @ w + b
    return w_total, b_total


@pytest.mark.parametrize("dtype, bias_std", [("float32", 0.0), ("float32", 0.3), ("float64", 0.3)])
def test_linear_collapse_is_rounding_only(dtype, bias_std):
    acts = [activations.get(n) for n in DEPTH_NAMES]  # the program the fixture compiled
    flow = gradflow.gradient_flow(acts, depth=10, bias_std=bias_std, seed=3, dtype=dtype)[-1]
    assert flow.activation == "linear"
    eps = float(np.finfo(dtype).eps)
    c = flow.collapse
    assert c is not None and c.max_rel_error <= 64 * eps and c.eps_units <= 64
    params, x, _ = gradflow.sample_network(seed=3, depth=10, width=64, batch=128, init=Init("glorot"),
                                           bias_std=bias_std, dtype=dtype)
    w_total, b_total = _numpy_affine(params)
    y_affine = np.asarray(x, np.float64) @ w_total + b_total
    deep = np.asarray(apply(params, x, activations.get("linear")), np.float64)
    scale = np.max(np.abs(y_affine))
    assert c.output_scale == pytest.approx(np.max(np.abs(deep)), rel=64 * eps)
    assert np.max(np.abs(deep - y_affine)) / scale <= 64 * eps


def test_collapse_only_for_affine_activations():
    flows = gradflow.gradient_flow([activations.get("leaky_relu", alpha=1.0), activations.get("relu")],
                                   depth=3, width=8, batch=16, bias_std=0.1)
    assert flows[0].collapse is not None and flows[0].collapse.eps_units < 64
    assert flows[1].collapse is None


def test_a_bad_init_explodes():
    acts = [activations.get(n) for n in DEPTH_NAMES]
    flows = {f.activation: f for f in gradflow.gradient_flow(acts, depth=10, init="normal:1")}
    assert {f.init for f in flows.values()} == {"normal:1"}
    for name in ("relu", "tanh", "linear"):
        assert flows[name].verdict == "exploding"


@pytest.mark.parametrize("kw, match", [
    (dict(depth=0), "depth"), (dict(depth=3, width=0), "width"), (dict(depth=3, batch=0), "batch"),
    (dict(depth=3, init="xavier"), "init"), (dict(depth=3, init="normal:-1"), "normal"),
    (dict(depth=3, bias_std=-1.0), "bias"),
])
def test_gradient_flow_refuses_bad_input(kw, match):
    with pytest.raises(ActlabError, match=match):
        gradflow.gradient_flow([activations.get("tanh")], **kw)


def test_verdict_thresholds():
    assert gradflow.verdict(1e-3) == "vanishing"
    assert gradflow.verdict(0.5) == "healthy"
    assert gradflow.verdict(1e3) == "exploding"
    assert gradflow.verdict(0.5, signal_ratio=1e4) == "exploding"
    assert gradflow.verdict(math.inf) == "overflow"
    assert gradflow.verdict(0.5, finite=False) == "overflow"
    assert gradflow.verdict(math.nan, math.nan) == "dead"


def test_overflow_in_float16_is_named():
    (flow,) = gradflow.gradient_flow([activations.get("relu")], depth=30, width=16, batch=8,
                                     init="normal:3", dtype="float16")
    assert flow.verdict == "overflow"


# --- CLI -------------------------------------------------------------------------------------


def _json(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_cli_pointwise_table(runner):
    result = runner.invoke(cli, ["grad", "sigmoid", "relu", "--at", "0,2,40"])
    assert result.exit_code == 0, result.stderr
    assert "kink 0 | 1" in result.stdout and "ok, below FD" in result.stdout
    assert "4.24835e-18" in result.stdout  # sigmoid'(40), float32


def test_cli_pointwise_json_one_and_several(runner):
    one = _json(runner.invoke(cli, ["grad", "sigmoid", "--at", "0,2", "--json", "--dtype", "float64"]))
    assert one["activation"] == "sigmoid" and one["backend"] and one["dtype"] == "float64"
    assert [p["x"] for p in one["points"]] == [0.0, 2.0]
    p0 = one["points"][0]
    assert p0["derivative"] == 0.25 and p0["finite_difference"] == pytest.approx(0.25, rel=1e-9)
    assert p0["value"] == 0.5 and set(p0) >= {"x", "value", "derivative", "finite_difference"}
    several = _json(runner.invoke(cli, ["grad", "sigmoid", "leaky_relu", "--at", "-1,1", "--json",
                                        "--param", "alpha=0.2"]))
    assert "points" not in several
    entries = several["activations"]
    assert [e["activation"] for e in entries] == ["sigmoid", "leaky_relu"]
    assert entries[1]["params"] == {"alpha": 0.2}
    assert entries[1]["points"][0]["derivative"] == pytest.approx(0.2)


def test_cli_depth_json(runner, flows):
    data = _json(runner.invoke(cli, ["grad", *DEPTH_NAMES, "--depth", "10", "--json"]))
    assert data["backend"]
    results = {r["activation"]: r for r in data["results"]}
    for name in DEPTH_NAMES:
        r = results[name]
        assert r["depth"] == 10 and r["init"] in ("he", "glorot")
        assert [layer["layer"] for layer in r["layers"]] == list(range(1, 11))
        assert {"grad_norm", "signal_norm", "mean_abs_derivative", "saturated", "dead",
                "sparsity"} <= set(r["layers"][0])
    assert results["sigmoid"]["verdict"] == "vanishing"
    ratio = results["sigmoid"]["layers"][0]["grad_norm"] / results["sigmoid"]["layers"][-1]["grad_norm"]
    assert ratio < 1e-3 and results["sigmoid"]["ratio"] == pytest.approx(ratio)
    assert results["linear"]["collapse"]["eps_units"] < 64
    assert results["relu"]["collapse"] is None


def test_cli_depth_table_chart_and_save(runner, flows, tmp_path):
    out = tmp_path / "flow.png"
    result = runner.invoke(cli, ["grad", *DEPTH_NAMES, "--depth", "10", "--save", str(out)])
    assert result.exit_code == 0, result.stderr
    for word in ("vanishing", "healthy", "collapses", "|dL/dW| per layer", "saturated", "dead"):
        assert word in result.stdout
    assert "\x1b[" not in result.stdout  # no colour codes off a terminal
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = runner.invoke(cli, ["grad", "tanh", "--depth", "10", "--save", str(out)])
    assert again.exit_code == 2 and "--overwrite" in again.stderr


def test_cli_deep_tables_show_12_layers_unless_asked(runner):
    short = runner.invoke(cli, ["grad", "tanh", "--depth", "30", "--width", "8", "--batch", "8", "--no-chart"])
    full = runner.invoke(cli, ["grad", "tanh", "--depth", "30", "--width", "8", "--batch", "8", "--no-chart",
                               "--all-layers"])
    assert short.exit_code == full.exit_code == 0
    assert "12 of 30 layers" in short.stdout and "of 30 layers" not in full.stdout
    import re

    layer_rows = lambda text: [int(m) for m in re.findall(r"^\s+(\d+)\s+\d", text, re.M)]
    assert layer_rows(full.stdout) == list(range(1, 31))
    rows = layer_rows(short.stdout)
    assert len(rows) == 12 and rows[0] == 1 and rows[-1] == 30


@pytest.fixture(scope="module")
def cost_json():
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["grad", "tanh", "--cost", "--widths", "4,8", "--depth", "1",
                                      "--repeats", "1", "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_cli_cost_json(cost_json):
    rows = cost_json["rows"]
    # P = n_in w + w + (w + 1) for one hidden layer on 8 inputs.
    assert [r["n_params"] for r in rows] == [8 * w + w + w + 1 for w in (4, 8)]
    for r in rows:
        for m in ("loss_s", "reverse_s", "forward_s", "finite_diff_s"):
            assert r[m] > 0
        assert r["forward_error"] < 1e-5  # forward and reverse mode: the same gradient
        assert r["finite_diff_error"] < 1e-2  # to about eps^(2/3) in float32
    # the growth exponents are the slopes of log time against log P (numpy's fit, recomputed)
    for m in ("loss", "reverse", "forward", "finite_diff"):
        logp = np.log([r["n_params"] for r in rows])
        logt = np.log([r[f"{m}_s"] for r in rows])
        assert cost_json["exponents"][m] == pytest.approx((logt[1] - logt[0]) / (logp[1] - logp[0]), rel=1e-9)


def test_cost_skips_what_the_budget_cannot_hold():
    """With no time to spare, the per-parameter methods are timed at the first size
    only, then skipped with the predicted time; P beyond 100000 is never tried."""
    result = gradflow.backprop_cost(activations.get("tanh"), widths=[4, 8, 16], depth=1, repeats=1,
                                    budget_s=0.0)
    first, *rest = result.rows
    assert np.isfinite([first.forward_s, first.finite_diff_s]).all()
    for row in rest:
        assert np.isnan([row.forward_s, row.finite_diff_s]).all() and np.isfinite(row.reverse_s)
    assert [s.split(" (")[0] for s in result.skipped] == [
        "forward at P = 81", "finite_diff at P = 81", "forward at P = 161", "finite_diff at P = 161"]
    assert "predicted" in result.skipped[0] and "skipped at a smaller P" in result.skipped[2]
    assert gradflow._skip_reason("forward", 100_001, None, 1e9) == "P > 100000"


def test_cli_cost_table(runner, cost_json, tmp_path):
    out = tmp_path / "cost.svg"
    result = runner.invoke(cli, ["grad", "--cost", "--widths", "4,8", "--depth", "1", "--repeats", "1",
                                 "--save", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "finite diff" in result.stdout and "FD/rev" in result.stdout and "rev/pass" in result.stdout
    assert "P^k" in result.stdout and out.read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize("args, words", [
    (["grad", "sigmoi"], ["sigmoid"]),
    (["grad", "tanh", "--depth", "0"], ["--depth"]),
    (["grad", "tanh", "--depth", "3", "--width", "0"], ["--width"]),
    (["grad", "tanh", "--at", "1,x"], ["--at", "'x'"]),
    (["grad", "tanh", "--at", ""], ["--at"]),
    (["grad", "tanh", "--at", "0,inf"], ["inf", "finite"]),
    (["grad", "tanh", "--at", "1", "--step", "0"], ["step"]),
    (["grad", "tanh", "--depth", "2", "--step", "0.1"], ["--step"]),
    (["grad", "tanh", "--init", "he"], ["--init", "--depth"]),
    (["grad", "tanh", "--depth", "2", "--widths", "4,8"], ["--widths", "--cost"]),
    (["grad", "tanh", "--at", "1e6", "--dtype", "float16"], ["float16"]),
    (["grad", "tanh", "--depth", "3", "--init", "xavier"], ["xavier"]),
    (["grad", "tanh", "--depth", "3", "--init", "normal:abc"], ["normal"]),
    (["grad", "tanh", "--depth", "3", "--at", "1"], ["--at"]),
    (["grad"], ["NAME"]),
    (["grad", "tanh", "--param", "alpha=0.1"], ["alpha"]),
    (["grad", "tanh", "--save", "x.png"], ["--save"]),
    (["grad", "tanh", "relu", "--cost"], ["--cost"]),
    (["grad", "--cost", "--widths", "4,0"], ["--widths"]),
    (["grad", "tanh", "--depth", "3", "--save", "/no/such/dir/x.png"], ["folder"]),
])
def test_cli_bad_input_exits_2(runner, args, words):
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    for word in words:
        assert word in err
    assert result.stdout == ""


def test_cli_module_does_not_import_jax():
    code = "import sys, actlab.cli.grad; assert 'jax' not in sys.modules, 'jax imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
