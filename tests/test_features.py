"""Input features from formulas of the columns (the Playground's x1*x2, sin(x1)
...), parsed by the same whitelist as formula activations, and the L1 penalty."""

import json

import jax.numpy as jnp
import numpy as np
import pytest

from actlab.blocks import activations, data, optim
from actlab.catalog import expr
from actlab.cli import cli
from actlab.lab import setup, train


def run_json(runner, args):
    result = runner.invoke(cli, ["train", *args, "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_xor_with_the_product_feature_needs_no_hidden_layer(runner):
    out = run_json(runner, ["xor", "--features", "x1,x2,x1*x2", "--hidden", "0"])
    assert out["accuracy"] == 1.0 and out["hidden"] == [] and out["features"] == ["x1", "x2", "x1 * x2"]
    assert any("linearly separable" in n for n in out["notes"])
    # without it, the same network is one line in the plane: at most 3 of the 4 points
    plain = run_json(runner, ["xor", "--hidden", "0"])
    assert plain["accuracy"] <= 0.75


def test_xor_features_recomputed_from_saved_weights(runner, tmp_path):
    result = runner.invoke(cli, ["train", "xor", "--features", "x1,x2,x1*x2", "--hidden", "0",
                                 "--save", str(tmp_path / "run"), "--no-chart"])
    assert result.exit_code == 0, result.stderr
    npz = np.load(tmp_path / "run" / "params.npz")
    assert npz["W1"].shape == (3, 1)
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    inputs = np.stack([x[:, 0], x[:, 1], x[:, 0] * x[:, 1]], 1)
    logits = inputs @ npz["W1"] + npz["b1"]
    assert list((logits[:, 0] > 0).astype(int)) == [0, 1, 1, 0]


def test_features_match_numpy():
    feats = expr.parse_features(("x1**2", "sin(x2)", "x1*x2 - 1", "tanh(x1) if x2 > 0 else 0", "2"),
                                ("x1", "x2"))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2))
    got = np.asarray(feats(jnp.asarray(x)))
    want = np.stack([x[:, 0] ** 2, np.sin(x[:, 1]), x[:, 0] * x[:, 1] - 1,
                     np.where(x[:, 1] > 0, np.tanh(x[:, 0]), 0), np.full(50, 2.0)], 1)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got.dtype == np.float64 and np.asarray(feats(jnp.asarray(x, jnp.float32))).dtype == np.float32


def test_column_names_and_positions():
    # a column's own name wins over a position: here x2 is the first column
    feats = expr.parse_features(("x2", "x1", "age*x3", "pi"), ("x2", "x1", "age"))
    x = np.array([[10.0, 20.0, 3.0]])
    np.testing.assert_allclose(np.asarray(feats(jnp.asarray(x))), [[10.0, 20.0, 9.0, np.pi]])
    # names that are functions or constants are only reachable by position
    feats = expr.parse_features(("x1 + exp(x2)",), ("exp", "e"))
    np.testing.assert_allclose(np.asarray(feats(jnp.asarray([[1.0, 0.0]]))), [[2.0]])


def test_features_on_a_csv_by_column_name(runner, tmp_path, write_csv):
    ds = data.make_dataset("circles", samples=200, seed=1, test_frac=0)
    path = write_csv(tmp_path / "rings.csv", ["u", "v", "inner"],
                     ([f"{a:.6f}", f"{b:.6f}", int(y)] for (a, b), y in zip(ds.x_train, ds.y_train)))
    out = run_json(runner, ["--data", str(path), "--target", "inner", "--no-standardize",
                            "--features", "u**2 + v**2", "--hidden", "0", "--steps", "2000", "--lr", "0.1"])
    # one radius feature: a circle is one threshold on it
    assert out["features"] == ["u ** 2 + v ** 2"] and out["accuracy"] >= 0.95


def test_sweep_takes_features_and_replays_them(runner):
    result = runner.invoke(cli, ["sweep", "xor", "--act", "relu", "--features", "x1,x2,x1*x2", "--hidden", "0",
                                 "--seeds", "4", "--steps", "300", "--lr", "0.001"])
    assert result.exit_code == 0, result.stderr
    assert "--features x1,x2,x1*x2" in result.stdout or "--features 'x1,x2,x1*x2'" in result.stdout


@pytest.mark.parametrize("text,message", [
    ("x1,x3", "unknown name 'x3'"),
    ("x1,__import__('os').system('true')", "not allowed"),
    ("x1.real", "attribute access is not allowed"),
    ("x1 +", "syntax error"),
    ("x1,,x2", "comma-separated"),
    ("log(x1 - 5)", "nan or inf"),
    ("lambda: 1", "not allowed"),
])
def test_bad_features_exit_2(runner, text, message):
    result = runner.invoke(cli, ["train", "moons", "--features", text, "--steps", "10"])
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "--features" in result.stderr and "Traceback" not in result.stderr


def test_l1_adds_its_subgradient_to_the_weights_only():
    opt = optim.make_optimizer("sgd", 0.1, l1=0.5)
    params = [(jnp.array([[1.0, -2.0], [0.0, 3.0]]), jnp.ones(2))]
    u, _ = opt.update([(jnp.zeros((2, 2)), jnp.zeros(2))], opt.init(params), params)
    np.testing.assert_allclose(u[0][0], -0.1 * 0.5 * np.sign(np.asarray(params[0][0])))
    np.testing.assert_allclose(u[0][1], 0)


def test_l1_sends_most_weights_near_zero_where_l2_only_shrinks_them(runner):
    """Moons with sgd: at the same coefficient, L1 leaves most weights within 0.01
    of zero (its pull does not fade as a weight shrinks); L2 few."""
    ds = data.make_dataset("moons", seed=0)

    def small_weights(**penalty):
        config, _ = setup.make_config(ds, activation=activations.get("relu"), optimizer="sgd", **penalty)
        r = train.train(config, ds, lr=0.1, seed=0)
        w = np.concatenate([w.ravel() for w, _ in r.params])
        return np.mean(np.abs(w) < 0.01), r.accuracy

    (l1_small, l1_acc), (l2_small, _) = small_weights(l1=0.01), small_weights(l2=0.01)
    assert l1_small > 0.5 > 0.1 > l2_small and l1_acc >= 0.95
    out = run_json(runner, ["xor", "--steps", "20", "--l1", "0.01", "--no-chart"])
    assert out["l1"] == 0.01 and out["l2"] == 0
    bad = runner.invoke(cli, ["train", "moons", "--l1", "-1"])
    assert bad.exit_code == 2 and "--l1" in bad.stderr
