"""The way in: text resolved once into activations, optimizers and data, the
weight init that follows an activation's own facts, and the training options
that go through it (dtypes, --l2, --data-seed, --no-standardize, --task)."""

import dataclasses
import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from actlab import catalog
from actlab.blocks import activations, data, model
from actlab.blocks.facts import init_family
from actlab.cli import cli
from actlab.errors import ActlabError
from actlab.lab import setup, train

# --- activations ---------------------------------------------------------------------------


def test_names_formulas_and_typos_resolve_once():
    assert catalog.activation("relu") is activations.get("relu")
    assert catalog.activation(" leaky_relu ", {"alpha": 0.2}).params == {"alpha": 0.2}
    assert catalog.activation("x*tanh(x)").source == "expression"
    with pytest.raises(ActlabError, match="did you mean 'relu'"):
        catalog.activation("rleu")
    with pytest.raises(ActlabError, match="--param applies to named activations"):
        catalog.activation("x*tanh(x)", {"alpha": 1.0})


def test_params_spread_over_several_activations():
    acts = catalog.activations(["relu,leaky_relu", "elu"], {"alpha": 0.5})
    assert [a.name for a in acts] == ["relu", "leaky_relu", "elu"]
    assert acts[0].params == {} and acts[1].params == {"alpha": 0.5} and acts[2].params == {"alpha": 0.5}
    with pytest.raises(ActlabError, match="none of relu, tanh has it"):
        catalog.activations(["relu,tanh"], {"alpha": 0.5})


@pytest.mark.parametrize("text, init", [
    ("relu", "he"), ("silu", "he"), ("selu", "lecun"), ("tanh", "glorot"), ("sigmoid", "glorot"),
    ("x*sigmoid(x)", "he"),                 # a formula of silu gets silu's family
    ("maximum(x, 0.1*x)", "he"),            # a leaky ReLU written out
    ("logaddexp(x, 0)", "he"),              # softplus written out
    ("tanh(x)", "glorot"), ("x", "glorot"), ("abs(x)", "glorot"), ("x**3", "glorot"),
])
def test_auto_init_follows_the_activation_not_its_name(text, init):
    act = catalog.activation(text)
    assert act.init == init
    assert model.parse_init("auto", act) == model.Init(init)


def test_init_family_from_the_slopes_far_out():
    # He et al. 2015: a unit that passes one side (slope 1) and blocks the other keeps
    # about half the signal's second moment; a symmetric one (slope +-1) keeps all of it.
    assert init_family(1.0, 0.0) == "he" and init_family(0.0, 1.0) == "he"
    assert init_family(1.0, 0.3) == "he" and init_family(1.0, -1.0) == "glorot"
    assert init_family(0.0, 0.0) == "glorot" and init_family(float("nan"), 0.0) == "glorot"


def test_a_plain_function_gets_glorot():
    assert model.parse_init("auto", jnp.tanh) == model.Init("glorot")


def test_formula_facts_are_estimated_in_float64_in_train():
    """The activation is resolved after jax is configured: in float32, exp(x/10000)
    overflows at x = 1e6 and its sampled facts would say "not finite"."""
    code = ("from actlab.cli import cli; from actlab import catalog; "
            "cli.main(['train', 'xor', '--act', 'exp(x/10000)', '--steps', '1', '--json'], standalone_mode=False); "
            "print('NOTE', catalog.activation('exp(x/10000)').note)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "ACTLAB_NO_CACHE": "1"})
    assert proc.returncode == 0, proc.stderr
    note = proc.stdout.rsplit("NOTE", 1)[1]
    assert "estimated by sampling" in note and "not finite" not in note


def test_registry_refuses_bad_facts_when_registered():
    bad = [dict(max_slope=3), dict(saturates="left"), dict(uses=("hidden", "clustering")),
           dict(init="xavier"), dict(monotonic="yes"), dict(output_range=(0, "inf"))]
    for facts in bad:
        with pytest.raises(ActlabError):
            activations.register("test_bad_facts", "x", lambda x: (x, x), **facts)
        assert not activations.known("test_bad_facts")
    with pytest.raises(ZeroDivisionError):  # the range function runs at registration
        activations.register("test_bad_range", "x", lambda x, a: (x, x), lambda a: (1 / a, 0), defaults={"a": 0})
    assert not activations.known("test_bad_range")


def test_facts_are_one_list():
    """Every fact is a field of Activation, and the JSON of `list` carries each of them."""
    from click.testing import CliRunner

    listed = json.loads(CliRunner().invoke(cli, ["list", "--json"]).stdout)["activations"]
    relu = next(a for a in listed if a["name"] == "relu")
    assert set(activations.FACTS) <= set(relu)
    assert relu["init"] == "he" and relu["sampled"] is False


# --- optimizers and data ----------------------------------------------------------------------


def test_optimizers_resolve_with_their_defaults():
    assert catalog.optimizer("adam") == catalog.Optimizer("adam", 0.01, catalog.optimizer("adam").about)
    assert [o.name for o in catalog.optimizers("sgd, adam,sgd")] == ["sgd", "adam"]
    with pytest.raises(ActlabError, match="did you mean 'adam'"):
        catalog.optimizer("adma")


@pytest.mark.parametrize("kwargs, words", [
    (dict(), "one of the two"),
    (dict(name="xor", path="a.csv", target=("y",)), "one of the two"),
    (dict(path="a.csv"), "--data needs --target"),
    (dict(name="xor", target=("y",)), "go with --data"),
    (dict(name="xor", standardize=False), "go with --data"),
])
def test_data_requests_are_checked_once(kwargs, words):
    with pytest.raises(ActlabError, match=words):
        data.Request(**kwargs)


@pytest.fixture
def scaled_csv(tmp_path):
    """Two inputs on scales 1000 and 0.001 and an integer target with three values."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 2)) * [1000.0, 0.001] + [5000.0, 0.0]
    y = (x[:, 0] > 5000).astype(int) + (x[:, 1] > 0).astype(int)
    path = tmp_path / "scaled.csv"
    np.savetxt(path, np.c_[x, y], delimiter=",", header="a,b,y", comments="", fmt=["%.6f", "%.9f", "%d"])
    return path, np.c_[x, y]


def test_no_standardize_keeps_the_file_values(scaled_csv):
    path, _ = scaled_csv
    kept, _ = data.load(data.Request(path=str(path), target=("y",), standardize=False, test_frac=0))
    np.testing.assert_array_equal(kept.x_train, np.loadtxt(path, delimiter=",", skiprows=1)[:, :2])
    scaled, _ = data.load(data.Request(path=str(path), target=("y",), test_frac=0))
    np.testing.assert_allclose(scaled.x_train.mean(0), 0, atol=1e-9)
    np.testing.assert_allclose(scaled.x_train.std(0), 1, rtol=1e-9)


def test_task_override_with_data(runner, scaled_csv):
    path, _ = scaled_csv
    base = ["train", "--data", str(path), "--target", "y", "--steps", "50", "--json"]
    inferred = json.loads(runner.invoke(cli, base).stdout)
    assert inferred["task"] == "multi-class" and inferred["accuracy"] is not None
    result = runner.invoke(cli, base + ["--task", "regression"])
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["task"] == "regression" and out["accuracy"] is None and out["r2"] is not None


def test_data_seed_moves_the_data_not_the_weights(runner):
    def run(*extra):
        result = runner.invoke(cli, ["train", "moons", "--steps", "30", "--seed", "3", "--json", *extra])
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    same, again, other = run(), run("--data-seed", "3"), run("--data-seed", "4")
    assert same["final_loss"] == again["final_loss"]  # --data-seed defaults to --seed
    assert other["final_loss"] != same["final_loss"]


# --- training options -------------------------------------------------------------------------


def _xor_config(**kw):
    ds = data.make_dataset("xor")
    config, _ = setup.make_config(ds, activation=activations.get("tanh"), optimizer="adam",
                                  hidden=(8,), steps=kw.pop("steps", 600), **kw)
    return ds, config


@pytest.mark.parametrize("dtype", ["bfloat16", "float64"])
def test_training_in_other_dtypes_keeps_the_dtype_and_learns(dtype):
    ds, config = _xor_config(dtype=dtype)
    result = train.train(config, ds, lr=0.05, seed=0)
    assert {str(w.dtype) for w, b in result.params} == {dtype}
    assert result.accuracy == 1.0


def test_l2_adds_l2_times_w_to_the_gradient():
    """One SGD step with --l2 against the step computed by hand from jax.grad of the plain loss."""
    ds, config = _xor_config(l2=0.1, steps=1)
    config = dataclasses.replace(config, optimizer="sgd")
    plain = dataclasses.replace(config, l2=0.0)
    r, r0 = train.make_run(config), train.make_run(plain)
    batch = train.prepare_data(ds.x_train, ds.y_train, config)
    state = r.init(jax.random.key(0), batch)
    after, _ = r.steps(state, 0.5, batch, 1, length=1)
    grads = jax.grad(lambda p: r0.evaluate(p, *batch)[0])(state.params)
    for (w, b), (gw, gb), (w1, b1) in zip(state.params, grads, after.params):
        np.testing.assert_allclose(w1, w - 0.5 * (gw + 0.1 * w), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(b1, b - 0.5 * gb, rtol=1e-5, atol=1e-7)  # biases: no penalty


def test_float16_trains_on_float32_master_weights():
    ds, config = _xor_config(dtype="float16")
    result = train.train(config, ds, lr=0.05, seed=0)
    assert {str(w.dtype) for w, b in result.params} == {"float32"}
    assert result.accuracy == 1.0
