"""`actlab train --find-lr`: the learning-rate range test (Smith 2015). Its
suggestion is checked by training: a small sweep grid on the same problem
shows the rates that work, and the suggested rate must reach the success
threshold on every seed."""

import json
import math

import numpy as np
import pytest

from actlab.blocks import activations, data
from actlab.cli import cli
from actlab.lab import lrfind, sweep


def find(runner, args):
    result = runner.invoke(cli, ["train", *args, "--find-lr", "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("opt", ["adam", "sgd"])
def test_the_suggested_rate_trains_to_the_threshold(runner, opt):
    out = find(runner, ["moons", "--opt", opt])
    lr = out["suggested_lr"]
    ds = data.make_dataset("moons", seed=0)
    relu = [activations.get("relu")]
    grid = sweep.sweep(ds, activations=relu, optimizers=[opt], lrs=[1e-5, 1e-3, 1e-1, 10], seeds=4)
    rates = {c.lr: c.success_rate for c in grid.configs}
    assert min(rates.values()) == 0 and max(rates.values()) == 1  # the rate matters on this problem
    at = sweep.sweep(ds, activations=relu, optimizers=[opt], lrs=[lr], seeds=4).configs[0]
    assert at.success_rate == 1, (lr, rates)
    assert out["command"] == f"actlab train moons --act relu --opt {opt} --lr {lr:g}"


def test_json_holds_the_curve(runner):
    out = find(runner, ["xor", "--steps", "120"])
    lrs, losses = np.array(out["lrs"]), np.array(out["losses"])
    assert {"lrs", "losses", "suggested_lr"} <= set(out) and len(lrs) == len(losses) == 119
    ratio = lrs[1:] / lrs[:-1]  # exponential growth from 1e-6 toward 10
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)
    assert lrs[0] == pytest.approx(1e-6) and lrs[-1] * ratio[0] == pytest.approx(10)
    assert lrs[0] <= out["suggested_lr"] <= lrs[-1]


def test_suggestion_on_a_known_curve():
    """A loss that falls as a logistic step in log10(lr) centred at 1e-2, then
    blows up past 1: the steepest descent is at the centre."""
    lrs = 1e-6 * 10.0 ** (7 * np.arange(400) / 399)
    u = np.log10(lrs)
    losses = 0.05 + 1 / (1 + np.exp(3 * (u + 2)))
    losses = np.where(u > 0, losses * np.exp(20 * u), losses)
    found = lrfind.suggest(lrs, losses)
    assert found.suggested_lr == pytest.approx(1e-2, rel=0.1)
    assert lrs[found.stop] > 1 and found.lowest < found.stop


def test_a_run_that_blows_up_at_once_is_refused():
    lrs = np.logspace(-6, 1, 100)
    with pytest.raises(ValueError, match="blew up"):
        lrfind.suggest(lrs, np.full(100, math.inf))


@pytest.mark.parametrize("args,message", [
    (["--steps", "20"], "--steps 20"),
    (["--lr", "0.1"], "--lr does not go with --find-lr"),
    (["--live"], "--live does not go with --find-lr"),
    (["--save", "somewhere"], "--save does not go with --find-lr"),
])
def test_find_lr_bad_input_exit_2(runner, args, message):
    result = runner.invoke(cli, ["train", "moons", "--find-lr", *args])
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_chart_and_command_at_80_columns(runner):
    result = runner.invoke(cli, ["train", "xor", "--find-lr", "--steps", "100"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines if not line.startswith("Train at it:"))
    assert "Suggested learning rate:" in result.stdout and "actlab train xor --act relu" in result.stdout


def test_a_test_that_barely_trained_says_its_suggestion_is_weak(runner):
    """Sigmoid units with plain gradient descent on the XOR clouds: in 300 steps
    the loss only reaches ln 2 (a constant guess), and the suggestion does not train."""
    out = find(runner, ["xor-noisy", "--act", "sigmoid", "--opt", "sgd"])
    assert out["weak"] and out["fall"] < 0.5
    shown = runner.invoke(cli, ["train", "xor-noisy", "--act", "sigmoid", "--opt", "sgd", "--find-lr"])
    assert "Weak:" in shown.stdout
    assert not find(runner, ["moons"])["weak"]
