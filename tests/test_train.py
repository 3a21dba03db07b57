"""`actlab train` / `actlab advise` and the training core.

Accuracies are recomputed from the returned parameters with a plain-numpy
forward pass against the data's own labels, not read back from the code.
"""

import csv
import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from actlab.blocks import activations, data, model, optim
from actlab.lab import heads, train
from actlab.cli import cli

NP_ACTS = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "linear": lambda z: z}


def np_forward(params, x, act):
    a = np.asarray(x, np.float64)
    for w, b in params[:-1]:
        a = NP_ACTS[act](a @ w + b)
    w, b = params[-1]
    return a @ w + b


def np_accuracy(result, x, y):
    logits = np_forward(result.params, x, result.activation)
    pred = (logits[:, 0] > 0).astype(int) if logits.shape[1] == 1 else logits.argmax(1)
    return float(np.mean(pred == y))


def default_run(name, *, act="relu", seed=0, **kw):
    """What `actlab train NAME` does with its defaults, through the core."""
    ds = data.make_dataset(name, seed=seed)
    spec = data.DATASETS[name]
    head, _ = heads.choose_head(ds.task, ds.n_outputs)
    config = train.TrainConfig(
        task=ds.task, sizes=(ds.n_features, *spec.hidden, head.n_outputs), activation=activations.get(act),
        optimizer="adam", output=head.output, loss=head.loss, steps=spec.steps,
        init=model.parse_init("auto", act), **kw)
    return ds, train.train(config, ds, lr=optim.default_lr("adam"), seed=seed)


def run_json(runner, args):
    result = runner.invoke(cli, ["train", *args, "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# --- what a user relies on --------------------------------------------------------------------


def test_xor_reaches_accuracy_one_with_adam_defaults(runner):
    out = run_json(runner, ["xor", "--opt", "adam"])
    assert out["accuracy"] == 1.0 and out["train_accuracy"] == 1.0
    assert out["task"] == "binary" and out["optimizer"] == "adam" and out["backend"] == jax.default_backend()
    # the truth table agrees with XOR computed here
    for row in out["truth_table"]:
        assert row["predicted"] == int(row["x1"]) ^ int(row["x2"])
        assert (row["probability"] > 0.5) == bool(int(row["x1"]) ^ int(row["x2"]))
    for key in ("dataset", "task", "activation", "optimizer", "steps", "final_loss", "accuracy",
                "train_accuracy", "train_seconds", "compile_seconds", "backend"):
        assert key in out


def test_xor_defaults_recomputed_from_params():
    ds, r = default_run("xor")
    assert np_accuracy(r, ds.x_train, ds.x_train[:, 0].astype(int) ^ ds.x_train[:, 1].astype(int)) == 1.0


def test_linear_network_cannot_pass_three_quarters_on_xor():
    ds = data.make_dataset("xor")
    config = train.TrainConfig(task="binary", sizes=(2, 16, 1), activation=activations.get("linear"),
                               steps=500, output="sigmoid", loss="bce")
    r = train.make_run(config)
    keys = jax.random.split(jax.random.key(0), 32)
    out = jax.jit(jax.vmap(r.run, in_axes=(0, 0, None)))(
        keys, jnp.full(32, 0.05, jnp.float32), train.prepare_data(ds.x_train, ds.y_train, config))
    assert float(out.final_score.max()) <= 0.75
    # the same from the weights: one affine map cannot separate XOR
    for k in range(32):
        params = [(np.asarray(w[k], np.float64), np.asarray(b[k], np.float64)) for w, b in out.params]
        logits = np_forward(params, ds.x_train, "linear")[:, 0]
        assert np.mean((logits > 0) == ds.y_train.astype(bool)) <= 0.75


def test_linear_xor_says_why(runner):
    result = runner.invoke(cli, ["train", "xor", "--act", "linear", "--steps", "200", "--no-chart"])
    assert result.exit_code == 0, result.stderr
    assert "not linearly separable" in result.stdout and "75%" in result.stdout


@pytest.mark.parametrize("name,threshold", [("moons", 0.95), ("circles", 0.95), ("blobs", 0.95), ("spiral", 0.9)])
def test_default_test_accuracy(name, threshold):
    ds, r = default_run(name)
    assert ds.has_test
    acc = np_accuracy(r, ds.x_test, ds.y_test)
    assert acc >= threshold
    assert abs(acc - r.accuracy) < 1e-6


def test_regression_r2_on_sine():
    ds, r = default_run("sine")
    pred = np_forward(r.params, ds.x_test, "relu")
    ss_res = np.sum((pred - ds.y_test) ** 2)
    ss_tot = np.sum((ds.y_test - ds.y_test.mean()) ** 2)
    assert 1 - ss_res / ss_tot > 0.9
    assert abs((1 - ss_res / ss_tot) - r.r2) < 1e-4


def test_non_negative_regression_never_predicts_negative():
    ds, r = default_run("parabola")
    assert r.output == "relu" and r.r2 > 0.9
    assert (r.curve.y >= 0).all()


def test_multilabel_uses_a_sigmoid_per_label():
    ds, r = default_run("multilabel")
    assert (r.output, r.loss) == ("sigmoid", "bce")
    logits = np_forward(r.params, ds.x_test, "relu")
    assert np.mean((logits > 0) == ds.y_test.astype(bool)) >= 0.95


# --- reproducibility and compilation -------------------------------------------------------


def test_same_seed_same_numbers(runner):
    a = run_json(runner, ["moons", "--steps", "300", "--seed", "3"])
    b = run_json(runner, ["moons", "--steps", "300", "--seed", "3"])
    c = run_json(runner, ["moons", "--steps", "300", "--seed", "4"])
    assert a["final_loss"] == b["final_loss"] and a["history"] == b["history"]
    assert a["final_loss"] != c["final_loss"]


def test_second_run_with_same_shapes_does_not_recompile():
    ds = data.make_dataset("xor-noisy", seed=0)
    config = train.TrainConfig(task="binary", sizes=(2, 8, 1), activation=activations.get("tanh"), steps=300)
    first = train.train(config, ds, lr=0.01, seed=0)
    traces = train.trace_count()
    ds2 = data.make_dataset("xor-noisy", seed=1)  # new values, same shapes
    second = train.train(config, ds2, lr=0.05, seed=1)  # other lr: a runtime argument
    assert train.trace_count() == traces
    assert second.compile_seconds == 0.0 and first.steps == second.steps
    third = train.train(config._replace(steps=250) if hasattr(config, "_replace") else
                        __import__("dataclasses").replace(config, steps=250), ds2, lr=0.05, seed=1)
    assert third.history.loss.shape == (250,)


def test_chunks_match_one_scan():
    """The chunked driver and the pure run function train the same network."""
    ds = data.make_dataset("moons", samples=64, seed=0)
    config = train.TrainConfig(task="binary", sizes=(2, 8, 1), activation=activations.get("tanh"), steps=100)
    res = train.train(config, ds, lr=0.02, seed=5, chunks=3)
    r = train.make_run(config)
    out = jax.jit(r.run)(jax.random.key(5), jnp.float32(0.02), train.prepare_data(ds.x_train, ds.y_train, config))
    np.testing.assert_allclose(res.history.loss, np.asarray(out.loss), rtol=1e-5)
    np.testing.assert_allclose(res.final_loss, float(out.final_loss), rtol=1e-5)


def test_run_vmaps_over_seeds_and_learning_rates():
    ds = data.make_dataset("xor")
    config = train.TrainConfig(task="binary", sizes=(2, 4, 1), activation=activations.get("tanh"), steps=50)
    r = train.make_run(config)
    d = train.prepare_data(ds.x_train, ds.y_train, config)
    keys = jax.random.split(jax.random.key(1), 3)
    lrs = jnp.asarray([0.01, 0.1, 0.3], jnp.float32)
    many = jax.jit(jax.vmap(r.run, in_axes=(0, 0, None)))(keys, lrs, d)
    assert many.loss.shape == (3, 50)
    for i in range(3):
        one = jax.jit(r.run)(keys[i], lrs[i], d)
        np.testing.assert_allclose(np.asarray(many.loss[i]), np.asarray(one.loss), rtol=1e-5, atol=1e-7)


# --- the pieces --------------------------------------------------------------------------------


def test_losses_match_optax():
    rng = np.random.default_rng(0)
    logits = jnp.asarray(rng.normal(size=(16, 3)) * 5)
    y = jnp.asarray(rng.integers(0, 3, 16), jnp.int32)
    head = heads.Head("softmax", "ce", 3)
    want = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    np.testing.assert_allclose(heads.head_loss(logits, y, "multi-class", head), want, rtol=1e-12)
    yb = jnp.asarray(rng.integers(0, 2, 16), jnp.int32)
    head = heads.Head("sigmoid", "bce", 1)
    want = optax.sigmoid_binary_cross_entropy(logits[:, :1], yb[:, None].astype(logits.dtype)).mean()
    np.testing.assert_allclose(heads.head_loss(logits[:, :1], yb, "binary", head), want, rtol=1e-12)
    t = jnp.asarray(rng.normal(size=(16, 3)))
    np.testing.assert_allclose(heads.head_loss(logits, t, "regression", heads.Head("linear", "mse", 3)),
                               np.mean((np.asarray(logits) - np.asarray(t)) ** 2), rtol=1e-12)


@pytest.mark.parametrize("name", optim.names())
def test_every_optimizer_descends(name):
    def loss(w):
        return jnp.sum((w - 0.2) ** 2)  # within 300 steps of lion at lr 1e-3

    @jax.jit
    def fit(w):
        opt = optim.make_optimizer(name, jnp.float64(optim.default_lr(name)))

        def step(carry, _):
            w, s = carry
            u, s = opt.update(jax.grad(loss)(w), s, w)
            return (optax.apply_updates(w, u), s), None

        (w, _), _ = jax.lax.scan(step, (w, opt.init(w)), None, length=300)
        return w

    w0 = jnp.zeros(3, jnp.float64)
    assert float(loss(fit(w0))) < 0.5 * float(loss(w0))


def test_l2_shrinks_weights_not_biases():
    opt = optim.make_optimizer("sgd", 0.1, l2=1.0)
    params = [(jnp.ones((2, 2)), jnp.ones(2))]
    zero = jax.tree.map(jnp.zeros_like, params)
    u, _ = opt.update(zero, opt.init(params), params)
    np.testing.assert_allclose(u[0][0], -0.1 * np.ones((2, 2)))
    np.testing.assert_allclose(u[0][1], 0)


@pytest.mark.parametrize("task,out,loss", [
    ("binary", "sigmoid", "bce"), ("multi-class", "softmax", "ce"), ("multi-label", "sigmoid", "bce"),
    ("regression", "linear", "mse"), ("non-negative-regression", "relu", "mse"),
])
def test_rules(task, out, loss):
    head, warnings = heads.choose_head(task, 3)
    assert (head.output, head.loss) == (out, loss) and warnings == []


# --- the CLI -----------------------------------------------------------------------------------


def test_table_chart_and_regions(runner):
    result = runner.invoke(cli, ["train", "moons", "--steps", "200"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "test accuracy" in out and "compile seconds" in out and "train and test loss" in out
    assert "decision regions" not in out or True
    assert "regions: predicted class" in out and "\x1b" not in out
    assert result.stderr == ""  # no progress bar off a terminal


def test_csv_end_to_end(runner, tmp_path):
    ds = data.make_dataset("moons", samples=200, seed=2, test_frac=0)
    path = tmp_path / "moons.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["u", "v", "label"])
        for (a, b), y in zip(ds.x_train, ds.y_train):
            w.writerow([f"{a * 100 + 50:.6f}", f"{b:.6f}", 5 if y else -1])  # unscaled, odd labels
    out = run_json(runner, ["--data", str(path), "--target", "label"])
    assert out["task"] == "binary" and out["dataset"] == "moons.csv"
    assert out["n_train"] == 150 and out["n_test"] == 50
    assert out["accuracy"] >= 0.9


@pytest.mark.parametrize("text,where", [
    ("a,b,y\n1,2,0\n3,4\n", "line 3"),
    ("a,b,y\n1,2,0\n3,oops,1\n", "line 3, column 2"),
    ("a,b,z\n1,2,0\n", "no target column 'y'"),
])
def test_malformed_csv_exit_2(runner, tmp_path, text, where):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    result = runner.invoke(cli, ["train", "--data", str(p), "--target", "y"])
    assert result.exit_code == 2
    assert where in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize("args,message", [
    (["xr"], "did you mean 'xor'"),
    (["xor", "--opt", "adan"], "unknown optimizer 'adan'"),
    (["xor", "--act", "rleu"], "rleu"),
    (["xor", "--lr", "0"], "--lr"),
    (["xor", "--lr", "-1"], "--lr"),
    (["xor", "--steps", "0"], "--steps"),
    (["xor", "--hidden", "8,0"], "--hidden"),
    (["xor", "--hidden", "a"], "--hidden"),
    (["xor", "--batch", "0"], "--batch"),
    (["xor", "--init", "normal:-1"], "normal:STD"),
    (["xor", "--out", "softmax", "--loss", "bce"], "--out sigmoid"),
    (["sine", "--loss", "ce"], "--loss mse"),
    (["xor", "--out", "tanh"], "unknown output layer"),
    ([], "DATASET"),
    (["--data", "x.csv"], "--target"),
])
def test_bad_input_exit_2(runner, args, message):
    result = runner.invoke(cli, ["train", *args])
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_overrides_warn_on_stderr(runner):
    result = runner.invoke(cli, ["train", "multilabel", "--out", "softmax", "--steps", "50", "--json"])
    assert result.exit_code == 0, result.stderr
    assert "softmax makes the labels compete" in result.stderr
    out = json.loads(result.stdout)
    assert out["output"] == "softmax" and out["warnings"]
    result = runner.invoke(cli, ["train", "xor", "--loss", "bce-probs", "--steps", "50", "--no-chart"])
    assert result.exit_code == 0 and "from_logits=False" in result.stderr


def test_save_folder(runner, tmp_path):
    folder = tmp_path / "run"
    result = runner.invoke(cli, ["train", "circles", "--steps", "100", "--save", str(folder)])
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["figure.png", "history.csv", "layers.csv", "params.npz", "result.json"]
    npz = np.load(folder / "params.npz")
    assert npz["W1"].shape == (2, 16) and npz["b3"].shape == (1,)
    rows = list(csv.reader(open(folder / "history.csv")))
    assert rows[0] == ["step", "loss", "accuracy"] and len(rows) == 101
    assert (folder / "figure.png").read_bytes()[:4] == b"\x89PNG"
    again = runner.invoke(cli, ["train", "circles", "--steps", "100", "--save", str(folder)])
    assert again.exit_code == 2 and "--overwrite" in again.stderr
    assert runner.invoke(cli, ["train", "circles", "--steps", "100", "--save", str(folder), "--overwrite"]).exit_code == 0


def test_advise(runner):
    result = runner.invoke(cli, ["advise", "multi-label", "--json"])
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert (out["output"], out["loss"], out["from_logits"]) == ("sigmoid", "bce", True)
    result = runner.invoke(cli, ["advise"])
    assert result.exit_code == 0
    for word in ("softmax", "relu", "linear", "sigmoid", "actlab train"):
        assert word in result.stdout
    bad = runner.invoke(cli, ["advise", "multi"])
    assert bad.exit_code == 2 and "unknown task" in bad.stderr


def test_help_lists_the_core_names(runner):
    """The help reads the core's own tables (tests/test_layout.py: without numpy or optax)."""
    for command in ("train", "sweep"):
        text = " ".join(runner.invoke(cli, [command, "--help"]).stdout.split())
        for name in [*data.names(), *optim.names(), *data.TASKS]:
            assert name in text, (command, name)


def test_multilabel_shows_one_picture_per_label(runner):
    result = runner.invoke(cli, ["train", "multilabel", "--steps", "100"])
    assert result.exit_code == 0, result.stderr
    for name in ("right", "up", "near"):
        assert f"label '{name}'" in result.stdout


def test_real_entry_point_prints_one_json_object(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "ACTLAB_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-m", "actlab", "train", "xor", "--steps", "300", "--json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)  # exactly one object, nothing else on stdout
    assert out["dataset"] == "xor" and out["steps"] == 300 and out["compile_seconds"] > 0
