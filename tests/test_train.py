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


def real_run(name, *, seed=0, request=None, **kw):
    """What `actlab train NAME --seed SEED` does on a real set, through the core."""
    from actlab.lab import setup

    ds, _ = data.load(data.Request(name=name, seed=seed, **(request or {})))
    config, _ = setup.make_config(ds, activation=activations.get("relu"), optimizer="adam", **kw)
    return ds, config, train.train(config, ds, lr=setup.default_lr(ds, "adam"), seed=seed)


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
    assert "regions: predicted class" in out and "\x1b" not in out
    assert result.stderr == ""  # no progress bar off a terminal


def test_csv_end_to_end(runner, tmp_path, write_csv):
    ds = data.make_dataset("moons", samples=200, seed=2, test_frac=0)
    path = write_csv(tmp_path / "moons.csv", ["u", "v", "label"],  # unscaled, odd labels
                     ([f"{a * 100 + 50:.6f}", f"{b:.6f}", 5 if y else -1] for (a, b), y in zip(ds.x_train, ds.y_train)))
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
    assert names == ["figure.png", "history.csv", "layers.csv", "params.npz", "result.json", "run.json"]
    npz = np.load(folder / "params.npz")
    assert npz["W1"].shape == (2, 16) and npz["b3"].shape == (1,)
    rows = list(csv.reader(open(folder / "history.csv")))
    assert rows[0] == ["step", "loss", "accuracy"] and len(rows) == 101
    assert (folder / "figure.png").read_bytes()[:4] == b"\x89PNG"
    again = runner.invoke(cli, ["train", "circles", "--steps", "100", "--save", str(folder)])
    assert again.exit_code == 2 and "--overwrite" in again.stderr
    replaced = runner.invoke(cli, ["train", "circles", "--steps", "100", "--save", str(folder), "--overwrite"])
    assert replaced.exit_code == 0, replaced.stderr


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


# --- real data, epochs and mini-batches ---------------------------------------------------------


def test_course_binary_digits_reach_test_accuracy_one(runner):
    """The course's 25-15-1 network with a sigmoid output tells 0 from 1."""
    out = run_json(runner, ["digits", "--digits", "0,1", "--hidden", "25,15"])
    assert (out["task"], out["output"], out["hidden"]) == ("binary", "sigmoid", [25, 15])
    assert out["test_accuracy"] == 1.0 and out["classes"] == ["0", "1"]
    ds, _ = data.load(data.Request(name="digits", digits=(0, 1)))
    assert out["n_test"] == len(ds.x_test) and out["confusion"] == [[int((ds.y_test == 0).sum()), 0],
                                                                      [0, int((ds.y_test == 1).sum())]]


@pytest.mark.parametrize("name,threshold", [("digits", 0.95), ("iris", 0.9), ("breast-cancer", 0.93)])
def test_real_sets_reach_their_test_accuracy_for_data_seeds_0_to_4(name, threshold):
    for seed in range(5):
        ds, config, r = real_run(name, seed=seed)
        acc = np_accuracy(r, ds.x_test, ds.y_test)  # recomputed from the weights
        assert acc >= threshold, (seed, acc)
        assert abs(acc - r.accuracy) < 1e-6
    if name == "digits":  # the course's network, as typed
        assert config.sizes == (64, 25, 15, 10) and config.batch == 32 and config.steps == 40 * (len(ds.x_train) // 32)


@pytest.mark.parametrize("n,batch", [(23, 5), (1000, 32), (4096, 256), (5, 2)])
def test_epochs_shuffle_every_row_once_per_epoch(n, batch):
    """batch_of: epoch e is one permutation of the rows cut into batches; the
    n mod B rows it puts last sit that epoch out."""
    epochs = 3
    x = jnp.arange(n, dtype=jnp.float32)[:, None]
    y = jnp.arange(n, dtype=jnp.int32)
    key = jax.random.key_data(jax.random.key(7))
    steps = jnp.arange(epochs * (n // batch))
    rows = jax.jit(jax.vmap(lambda t: train.batch_of(key, t, x, y, batch)[1]))(steps)
    rows = np.asarray(rows).reshape(epochs, -1)
    for e in range(epochs):
        assert len(set(rows[e])) == (n // batch) * batch  # no row twice within an epoch
        assert rows[e].min() >= 0 and rows[e].max() < n
    assert len({tuple(r) for r in rows}) == epochs  # a new shuffle each epoch


def test_mini_batch_steps_match_a_hand_written_loop_on_the_same_rows():
    """Each step trains on the rows ``batch_of`` picks (passed through the
    buffers the loop carries), from 100 rows and from 5,000: the parameters
    after 12 steps equal a plain loop of jax.grad and optax.sgd on those rows."""
    import optax

    for n in (100, 5000):
        rng = np.random.default_rng(n)
        x = jnp.asarray(rng.standard_normal((n, 3)), jnp.float32)
        y = jnp.asarray(rng.integers(0, 2, n), jnp.int32)
        config = train.TrainConfig(task="binary", sizes=(3, 4, 1), activation=activations.get("tanh"),
                                   optimizer="sgd", steps=12, batch=8)
        run = train.make_run(config)
        start = run.init(jax.random.key(3), (x, y))
        trained, _ = jax.jit(lambda s: run.steps(s, 0.5, (x, y), None, length=12, start=0))(start)

        def loss(params, xb, yb):
            (w1, b1), (w2, b2) = params
            z = (jnp.tanh(xb @ w1 + b1) @ w2 + b2)[:, 0]
            return jnp.mean(optax.sigmoid_binary_cross_entropy(z, yb.astype(jnp.float32)))

        params, opt = start.params, optax.sgd(0.5)
        opt_state = opt.init(params)
        for t in range(12):
            xb, yb = train.batch_of(start.key, jnp.int32(t), x, y, 8)
            updates, opt_state = opt.update(jax.grad(loss)(params, xb, yb), opt_state)
            params = optax.apply_updates(params, updates)
        for got, want in zip(jax.tree.leaves(trained.params), jax.tree.leaves(params)):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_the_shuffle_is_a_permutation_that_looks_random():
    """The whole range, every position once (cycle walking included), and no
    trace of the order: positions and rows uncorrelated, each batch of a
    class-sorted set mixed as a random draw would be."""
    n = 10_000
    keys = jax.random.bits(jax.random.key(3), (train.SHUFFLE_ROUNDS,), jnp.uint32)
    p = np.asarray(jax.jit(lambda i: train.shuffled(i, n, keys))(jnp.arange(n, dtype=jnp.uint32)))
    np.testing.assert_array_equal(np.sort(p), np.arange(n))
    assert abs(np.corrcoef(np.arange(n), p)[0, 1]) < 0.03
    labels = p // (n // 10)  # rows sorted by class: 10 classes of 1000
    shares = np.array([np.bincount(labels[b:b + 100], minlength=10) for b in range(0, n, 100)]) / 100
    # a uniform draw of 100 gives each class a share with standard deviation 0.03
    assert abs(shares.std() - 0.03) < 0.006 and abs(shares.mean() - 0.1) < 1e-12


def test_epochs_set_the_steps_and_a_full_batch_is_no_batch():
    from actlab.lab import setup

    ds = data.make_dataset("moons", samples=200, seed=0)  # 150 training rows
    act = activations.get("tanh")
    config, _ = setup.make_config(ds, activation=act, optimizer="adam", epochs=4, batch=32)
    assert config.steps == 4 * (150 // 32) and config.batch == 32
    full, _ = setup.make_config(ds, activation=act, optimizer="adam", steps=50, batch=150)
    plain, _ = setup.make_config(ds, activation=act, optimizer="adam", steps=50)
    assert full == plain  # --batch n_train is the full batch: the same program, the same numbers


def test_one_compiled_program_per_training_run():
    """Initialisation, the steps, the checkpoints and the final measurements:
    one program (jax counts the backend compilations)."""
    from collections import Counter

    from jax import monitoring

    events = Counter()
    monitoring.register_event_duration_secs_listener(lambda name, secs, **kw: events.update([name]))
    ds = data.make_dataset("circles", samples=123, seed=0)  # shapes no other test uses
    config = train.TrainConfig(task="binary", sizes=(2, 7, 1), activation=activations.get("tanh"), steps=60,
                               batch=16)
    train.train(config, ds, lr=0.01, seed=0)
    assert events["/jax/core/compile/backend_compile_duration"] == 1


def test_test_loss_checkpoints_and_the_best_step():
    ds, config, r = real_run("iris", seed=0)
    cp = r.checkpoints
    assert cp.step[-1] == config.steps and np.all(np.diff(cp.step) > 0)
    # the last checkpoint's test loss is the network's final test loss, recomputed here
    logits = np_forward(r.params, ds.x_test, "relu")
    log_p = logits - logits.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    np_loss = -log_p[np.arange(len(ds.y_test)), ds.y_test].mean()
    assert abs(cp.test_loss[-1] - np_loss) < 1e-5 and abs(r.test_loss - np_loss) < 1e-5
    assert r.best_test_step == int(cp.step[np.argmin(cp.test_loss)])


def test_float16_trains_in_mixed_precision_with_any_optimizer(runner):
    for opt in ("sgd", "adam"):
        out = run_json(runner, ["moons", "--dtype", "float16", "--opt", opt, "--steps", "300"])
        assert out["dtype"] == "float16" and out["test_accuracy"] >= 0.95, (opt, out["test_accuracy"])
    ds = data.make_dataset("moons", seed=0)
    config = train.TrainConfig(task="binary", sizes=(2, 8, 1), activation=activations.get("tanh"), steps=20,
                               dtype="float16")
    r = train.train(config, ds, lr=0.01)
    assert all(w.dtype == np.float32 for w, _ in r.params)  # float32 master weights


def test_loss_scale_halves_on_overflow_and_grows_after_a_period():
    s = train.LossScale(jnp.float32(1024.0), jnp.int32(0))
    s = s.adjust(jnp.asarray(False))
    assert float(s.value) == 512 and int(s.good) == 0
    s = train.LossScale(jnp.float32(512.0), jnp.int32(train.LossScale.PERIOD - 1)).adjust(jnp.asarray(True))
    assert float(s.value) == 1024 and int(s.good) == 0
    s = train.LossScale(jnp.float32(1.0), jnp.int32(0)).adjust(jnp.asarray(False))
    assert float(s.value) == 1  # never below 1


@pytest.mark.parametrize("args,message", [
    (["digts"], "did you mean 'digits'"),
    (["digits", "--digits", "0"], "two or more"),
    (["digits", "--digits", "0,10"], "from 0 to 9"),
    (["digits", "--digits", "a,b"], "--digits"),
    (["moons", "--conv"], "--conv takes image data"),
    (["digits", "--conv", "0"], "--conv"),
    (["moons", "--epochs", "3", "--steps", "10"], "give one"),
    (["moons", "--batch", "301"], "at most 300"),
    (["iris", "--task", "binary"], "--task"),
])
def test_bad_real_data_input_exit_2(runner, args, message):
    result = runner.invoke(cli, ["train", *args])
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_help_offers_float16_as_mixed_precision(runner):
    text = " ".join(runner.invoke(cli, ["train", "--help"]).stdout.split())
    assert "float16 trains in mixed precision" in text and "without replacement" in text


def test_accuracy_is_k_over_n_rounded_once():
    """In float32, k right of n is the float32 nearest k / n (Python's exact
    division, rounded by numpy), also inside a compiled program: 297 of 300
    meets a threshold of 0.99, as it should."""
    head, _ = heads.choose_head("multi-class", 2)
    score = jax.jit(lambda logits, y: heads.score(logits, y, "multi-class", head))
    for n in (100, 300, 449, 1000):
        y = np.zeros(n, np.int32)
        for k in range(n - 12, n + 1):
            logits = np.zeros((n, 2), np.float32)
            logits[k:, 1] = 1.0  # rows past k predict class 1: wrong
            got = float(score(jnp.asarray(logits), jnp.asarray(y)))
            assert got == float(np.float32(k / n)), (k, n, got)
    assert float(np.float32(297 / 300)) >= float(np.float32(0.99))
