"""Inside the layers: the statistics recorded at checkpoints against a plain
numpy recomputation (forward pass and backpropagation written out here) from
the parameters a run saved; dead ReLUs, saturated sigmoids and vanishing
gradients as the notes report them; the dead-unit median of a sweep."""

import csv
import json

import numpy as np
import pytest

from actlab.blocks import activations, data
from actlab.cli import cli
from actlab.lab import layers, setup, sweep, train

NP = {  # f and f', written from their definitions
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
}


def np_layer_stats(params, x, y, act, lr, l2):
    """Per hidden layer: |dL/dW|, |sgd update| / |W|, dead, saturated, mean and
    std of f(z), for binary cross-entropy on logits (mean over examples)."""
    f, df = NP[act]
    acts, derivs = [x], []
    for w, b in params[:-1]:
        z = acts[-1] @ w + b
        acts.append(f(z))
        derivs.append(df(z))
    w_out, b_out = params[-1]
    logits = acts[-1] @ w_out + b_out
    delta = (1 / (1 + np.exp(-logits)) - y[:, None]) / len(x)  # d loss / d logits
    grads = []
    for l in range(len(params) - 1, 0, -1):
        delta = (delta @ params[l][0].T) * derivs[l - 1]  # d loss / d z of hidden layer l
        grads.insert(0, acts[l - 1].T @ delta)
    rows = []
    for l, (g, (w, _)) in enumerate(zip(grads, params[:-1])):
        d, a = derivs[l], acts[l + 1]
        rows.append([np.linalg.norm(g), lr * np.linalg.norm(g + l2 * w) / np.linalg.norm(w),
                     np.mean(np.all(d == 0, axis=0)), np.mean(np.mean(np.abs(d) < 1e-3, axis=0) > 0.5),
                     a.mean(), a.std()])
    return np.array(rows)


@pytest.mark.parametrize("act", ["relu", "tanh"])
def test_stats_at_a_checkpoint_match_numpy_from_saved_params(runner, tmp_path, act):
    common = ["moons", "--samples", "64", "--act", act, "--hidden", "8,6", "--opt", "sgd", "--lr", "0.5",
              "--l2", "0.01", "--dtype", "float64", "--seed", "3"]
    step = 100  # a checkpoint of a 200-step run: the network after 100 updates
    before, run = tmp_path / "before", tmp_path / "run"
    for steps, folder in ((step, before), (200, run)):
        result = runner.invoke(cli, ["train", *common, "--steps", str(steps), "--save", str(folder), "--no-chart"])
        assert result.exit_code == 0, result.stderr
    saved = np.load(before / "params.npz")
    params = [(saved[f"W{k}"], saved[f"b{k}"]) for k in range(1, 4)]
    ds = data.make_dataset("moons", samples=64, seed=3)
    want = np_layer_stats(params, ds.x_train, ds.y_train.astype(float), act, lr=0.5, l2=0.01)

    rows = [r for r in csv.DictReader(open(run / "layers.csv")) if int(r["step"]) == step]
    got = np.array([[float(r[f]) for f in layers.FIELDS] for r in rows])
    assert [int(r["layer"]) for r in rows] == [1, 2]
    np.testing.assert_allclose(got[:, [0, 1, 4, 5]], want[:, [0, 1, 4, 5]], rtol=1e-9, atol=1e-14)
    np.testing.assert_array_equal(got[:, [2, 3]], want[:, [2, 3]])
    # the JSON holds the same checkpoints, with the keys of the contract
    saved_json = json.loads((run / "result.json").read_text())
    entry = next(c for c in saved_json["layers_history"] if c["step"] == step)
    assert set(entry) == {"step", "layers"}
    assert set(entry["layers"][0]) == {"layer", "grad_norm", "update_ratio", "dead", "saturated",
                                       "act_mean", "act_std"}
    assert entry["layers"][1]["grad_norm"] == pytest.approx(want[1, 0], rel=1e-9)
    assert [c["step"] for c in saved_json["layers_history"]] == list(range(0, 201, 10))  # every 5%


def test_the_last_checkpoint_is_the_trained_network(runner, tmp_path):
    result = runner.invoke(cli, ["train", "moons", "--steps", "37", "--act", "tanh", "--json"])
    assert result.exit_code == 0, result.stderr
    history = json.loads(result.stdout)["layers_history"]
    assert history[0]["step"] == 0 and history[-1]["step"] == 37
    assert len(history) <= layers.CHECKPOINTS + 1 and [c["step"] for c in history] == sorted({c["step"] for c in history})


def _run(name, act, *, lr, opt="adam", hidden=None, seed=0, **kw):
    ds = data.make_dataset(name, seed=0)
    config, _ = setup.make_config(ds, activation=activations.get(act), optimizer=opt, hidden=hidden, **kw)
    return train.train(config, ds, lr=lr, seed=seed)


def test_relu_dies_at_a_very_large_learning_rate_and_leaky_relu_does_not():
    relu = _run("moons", "relu", lr=1.0)
    leaky = _run("moons", "leaky_relu", lr=1.0)
    assert relu.layers.dead[-1].max() >= 0.25
    assert any("dead" in n and "leaky_relu" in n for n in relu.layer_notes)
    assert leaky.layers.dead.max() == 0  # f' = alpha on the negative side: never 0
    assert not any("dead" in n for n in leaky.layer_notes)
    # the same network at a modest rate keeps more of its units
    assert _run("moons", "relu", lr=0.01).layers.dead[-1].sum() < relu.layers.dead[-1].sum()


@pytest.mark.parametrize("seed", [0, 1])
def test_sigmoid_in_a_deep_narrow_net_is_reported_saturated(seed):
    r = _run("moons", "sigmoid", lr=0.3, hidden=(4,) * 6, seed=seed)
    saturated = [n for n in r.layer_notes if "saturated from step" in n]
    assert saturated, r.layer_notes
    layer = int(saturated[0].split()[1])
    assert r.layers.saturated[-1, layer - 1] >= 0.5
    assert _run("moons", "tanh", lr=0.01, hidden=(4,) * 6, seed=seed).layers.saturated[-1].max() < 0.5


def test_vanishing_gradients_in_a_deep_sigmoid_stack():
    r = _run("moons", "sigmoid", lr=1.0, opt="sgd", hidden=(4,) * 8)
    note = next(n for n in r.layer_notes if "vanish toward the input" in n)
    g = r.layers.grad_norm
    assert g[0, 0] / g[0, -1] < 0.01 and "at initialisation" in note


def test_healthy_run_has_no_layer_notes():
    assert _run("moons", "tanh", lr=0.01).layer_notes == ()


def test_sweep_reports_the_median_dead_share(runner):
    ds = data.make_dataset("moons", seed=0)
    acts = [activations.get("relu"), activations.get("leaky_relu")]
    res = sweep.sweep(ds, activations=acts, optimizers=["adam"], lrs=[1.0], seeds=3, steps=300)
    relu, leaky = res.configs
    assert leaky.dead_units_median == 0
    # recomputed here from each seed's own run, with numpy
    shares = []
    for s in range(3):
        r = _run("moons", "relu", lr=1.0, seed=s, steps=300)
        a, dead, units = ds.x_train, 0, 0
        for w, b in r.params[:-1]:
            z = a @ w + b
            dead += np.sum(np.all(z <= 0, axis=0))
            units += z.shape[1]
            a = np.maximum(z, 0)
        shares.append(dead / units)
    assert relu.dead_units_median == pytest.approx(np.median(shares), abs=1e-12)
    assert relu.dead_units_median > 0
    out = runner.invoke(cli, ["sweep", "moons", "--act", "relu", "--lr", "1", "--seeds", "3", "--steps",
                              "300", "--json"])
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)["configs"][0]["dead_units_median"] == pytest.approx(relu.dead_units_median)
