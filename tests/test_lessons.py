"""``actlab lessons`` and actlab.lab.lessons against independent references:
closed forms (0.25, 1, ln 2, ln 10, 2P, the dtype limits), mpmath for the GELU
errors and the exact loss, plain numpy re-implementations of the networks
behind the initialisation, sparsity, SELU and dying-ReLU experiments, the
published values (He et al.'s 2^-(L-1), Klambauer et al.'s fixed point and
constants), and settings in which a claim must fail."""

import json
import math
import re
import shlex
import subprocess
import sys

import ml_dtypes
import mpmath as mp
import numpy as np
import pytest

from actlab.blocks.data import make_dataset, standardize
from actlab.blocks.model import Init
from actlab.cli import cli
from actlab.lab import gradflow, lessons
from actlab.lab.lessons import FAILS, HOLDS, PARTLY, Check, judge

MP_DPS = 40  # mpmath digits of this module's references (conftest sets them per test)
mp.mp.dps = MP_DPS

ISSUE_IDS = ["nonlinearity", "derivative-amplification", "sigmoid-slope", "vanishing", "zero-centred",
             "relu-sparsity", "dying-relu", "init-he", "init-glorot", "selu", "gelu-approx",
             "softmax-overflow", "from-logits", "roundoff", "temperature", "initial-loss", "adam-step",
             "adam-lr", "multi-label", "backprop-cost", "conv-vs-dense"]
JSON_KEYS = {"id", "claim", "source", "verdict", "figures", "expected", "command"}


@pytest.fixture(scope="module")
def cheap():
    """The lessons that run in a fraction of a second, at their catalogue sizes."""
    return {r.id: r for r in lessons.run(["sigmoid-slope", "gelu-approx", "roundoff", "temperature",
                                          "from-logits", "softmax-overflow", "derivative-amplification"])}


# --- the catalogue and the verdict -------------------------------------------------------------


def test_the_catalogue_has_every_id_of_the_issue():
    assert set(ISSUE_IDS) <= set(lessons.ids())
    for entry in lessons.CATALOGUE.values():
        assert entry.claim.endswith(".") and entry.source and entry.command.startswith("actlab ")


@pytest.mark.parametrize("lesson_id", ISSUE_IDS)
def test_each_command_that_digs_deeper_parses(lesson_id):
    args = shlex.split(lessons.CATALOGUE[lesson_id].command)[1:]
    with cli.make_context("actlab", list(args), resilient_parsing=False) as ctx:
        command = cli.get_command(ctx, args[0])
        assert command is not None
        command.make_context(args[0], args[1:], parent=ctx)


@pytest.mark.parametrize("passed, core, verdict", [
    ((True, True, True), (True, True, False), HOLDS),
    ((True, False, True), (True, True, False), PARTLY),
    ((True, True, False), (True, True, False), PARTLY),
    ((False, False, True), (True, True, False), FAILS),
    ((False,), (True,), FAILS),
])
def test_judge(passed, core, verdict):
    assert judge([Check("x", p, c) for p, c in zip(passed, core)]) == verdict


def test_unknown_ids_are_refused_with_a_suggestion():
    with pytest.raises(ValueError, match="did you mean 'vanishing'"):
        lessons.resolve(["vanishin"])


# --- closed forms and exact references -----------------------------------------------------------


def test_sigmoid_slope_is_a_quarter_and_tanh_slope_one_at_zero(cheap):
    r = cheap["sigmoid-slope"]
    assert r.verdict == HOLDS
    assert r.figures["max_sigmoid_slope"] == 0.25 and r.figures["sigmoid_at"] == 0.0
    assert r.figures["max_tanh_slope"] == 1.0 and r.figures["tanh_at"] == 0.0


def test_sigmoid_slope_against_wrong_bounds():
    wrong = lessons.sigmoid_slope(bounds={"sigmoid": 0.3, "tanh": 0.9})
    assert wrong.verdict == PARTLY  # the identity s' = s(1 - s) still holds
    assert [c.passed for c in wrong.checks] == [False, True, False]
    assert lessons.sigmoid_slope(bounds={"tanh": 0.9}).verdict == FAILS


def _gelu(x):
    return x * (1 + mp.erf(x / mp.sqrt(2))) / 2


FORMS = {"tanh": lambda x: x / 2 * (1 + mp.tanh(mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x ** 3))),
         "sigmoid": lambda x: x / (1 + mp.exp(-mp.mpf("1.702") * x))}


@pytest.mark.parametrize("form", FORMS)
def test_gelu_errors_match_mpmath(cheap, form):
    r = cheap["gelu-approx"]
    error = lambda x: abs(FORMS[form](x) - _gelu(x))  # noqa: E731
    coarse = max((mp.mpf(i) / 100 for i in range(0, 801)), key=error)
    best = mp.findroot(lambda x: mp.diff(error, x), coarse)  # the peak, to 40 digits
    assert r.figures[f"{form}_max_error"] == pytest.approx(float(error(best)), rel=1e-6)
    assert abs(r.figures[f"{form}_at"] - float(best)) <= 1e-4  # the lesson's grid step
    # The error is even: f(x) - f(-x) = x for GELU and both forms.
    assert float(error(-best)) == pytest.approx(float(error(best)), rel=1e-20)


def test_naive_softmax_breaks_at_a_limit_of_the_dtype(cheap):
    r = cheap["softmax-overflow"]
    assert r.verdict == HOLDS and r.figures["fused_breaks"] == 0
    for name, dtype in (("float16", np.float16), ("bfloat16", ml_dtypes.bfloat16), ("float32", np.float32),
                        ("float64", np.float64)):
        info = ml_dtypes.finfo(dtype) if name == "bfloat16" else np.finfo(dtype)
        log_max, neg_log_tiny = float(mp.log(float(info.max))), float(-mp.log(float(info.tiny)))
        assert r.figures[f"{name}_log_max"] == pytest.approx(log_max, rel=1e-15)
        assert r.figures[f"{name}_neg_log_tiny"] == pytest.approx(neg_log_tiny, rel=1e-15)
        measured = r.figures[f"{name}_break"]
        assert float(dtype(measured)) == measured  # a number of the dtype
        nearest = min((log_max, neg_log_tiny), key=lambda v: abs(v - measured))
        ulp = float(np.spacing(dtype(nearest))) if name != "bfloat16" else 2.0 ** (math.floor(math.log2(nearest)) - 7)
        assert abs(measured - nearest) <= 2 * ulp


def test_from_logits_against_the_exact_loss(cheap):
    r = cheap["from-logits"]
    exact = 1000 + mp.log(1 + mp.exp(-1000) + mp.exp(-2000))  # -log softmax([1000, 0, -1000])[1]
    assert r.figures["exact"] == pytest.approx(float(exact), rel=1e-15)
    assert r.figures["fused_loss"] == float(np.float32(exact))
    assert math.isinf(r.figures["naive_loss"]) and r.verdict == HOLDS


def test_from_logits_small_logits_do_not_break_the_naive_loss():
    r = lessons.from_logits(logits=(1.0, 0.0, -1.0))
    assert r.verdict == PARTLY and not r.checks[1].passed


def test_roundoff_against_numpy(cheap):
    r = cheap["roundoff"]
    for name, t in (("float16", np.float16), ("bfloat16", ml_dtypes.bfloat16), ("float32", np.float32),
                    ("float64", np.float64)):
        one, n = t(1), t(10000)
        assert r.figures[f"{name}_direct"] == float(t(2) / n)
        assert r.figures[f"{name}_via_one"] == float((one + one / n) - (one - one / n))
    assert r.figures["float64_via_one"] != 0.0002 and r.verdict == HOLDS


def _entropy(z, t):
    z = np.asarray(z, np.float64) / t
    log_p = z - z.max() - np.log(np.sum(np.exp(z - z.max())))
    return float(-np.sum(np.exp(log_p) * log_p))


def test_temperature_entropy_against_numpy(cheap):
    r = cheap["temperature"]
    for t in (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0):
        assert r.figures[f"entropy_T{t:g}"] == pytest.approx(_entropy([2.0, 1.0, 0.1], t), rel=1e-9, abs=1e-15)
    assert r.figures["ln_k"] == math.log(3) and r.verdict == HOLDS


def test_temperature_fails_on_equal_logits():
    # Equal logits are uniform at every T: nothing sharpens.
    assert lessons.temperature(logits=(1.0, 1.0, 1.0)).verdict == FAILS


def test_forward_difference_errors_against_mpmath(cheap):
    r = cheap["derivative-amplification"]
    funcs = {"sigmoid": lambda x: 1 / (1 + mp.exp(-x)), "tanh": mp.tanh, "gelu": _gelu,
             "softplus": lambda x: mp.log(1 + mp.exp(x))}
    for e in (1e-1, 1e-2, 1e-3, 1e-4):
        worst = 0.0
        for f in funcs.values():
            for x in (-3.0, -1.0, -0.5, 0.5, 1.0, 3.0):
                h = (x + e) - x  # the step as float64 takes it
                slope = (f(mp.mpf(x) + mp.mpf(h)) - f(mp.mpf(x))) / mp.mpf(h)
                d = mp.diff(f, mp.mpf(x))
                worst = max(worst, float(abs(slope - d) / abs(d)))
        assert r.figures[f"rel_error_{e:g}"] == pytest.approx(worst, rel=1e-5)
    assert r.figures["order"] == pytest.approx(1.0, abs=0.05)


def test_initial_loss_closed_form_and_a_numpy_estimate():
    r = lessons.initial_loss()
    assert r.figures["ln_k"] == math.log(10)
    ds, _, _ = standardize(make_dataset("blobs", classes=10))
    rng = np.random.default_rng(1)
    x, y = ds.x_train, ds.y_train
    first, shrunk = [], []
    for _ in range(400):  # He-normal 2-16-10 ReLU networks, biases 0, as actlab builds them
        w1 = rng.standard_normal((2, 16)) * math.sqrt(2 / 2)
        w2 = rng.standard_normal((16, 10)) * math.sqrt(2 / 16)
        for scale, out in ((1.0, first), (0.1, shrunk)):
            z = np.maximum(x @ w1, 0) @ (scale * w2)
            log_p = z - z.max(1, keepdims=True)
            log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
            out.append(-log_p[np.arange(len(y)), y].mean())
    for name, sample in (("loss", first), ("loss_small_last", shrunk)):
        # The lesson averages 16 seeds: within 4 standard errors of that mean.
        assert abs(r.figures[name] - np.mean(sample)) <= 4 * np.std(sample) / 4
    assert r.verdict == PARTLY  # near ln 10 only with a small last layer


def test_initial_loss_fails_with_a_large_init():
    assert lessons.initial_loss(init="normal:3", seeds=4).verdict == FAILS


def test_adam_first_step_against_numpy():
    r = lessons.adam_step()
    (chart,) = r.charts
    (_, g, step) = chart.series[0]
    g = np.asarray(g, np.float32).astype(np.float64)
    # Kingma & Ba, Algorithm 1 at t = 1: m = (1 - b1) g, v = (1 - b2) g^2, then the bias corrections.
    m_hat = (1 - 0.9) * g / (1 - 0.9)
    v_hat = (1 - 0.999) * g ** 2 / (1 - 0.999)
    np.testing.assert_allclose(step, np.abs(m_hat) / (np.sqrt(v_hat) + 1e-8), rtol=1e-5)
    assert r.figures["step_at_eps"] == pytest.approx(0.5, abs=0.02)
    # Where |g| >= g_min the deviation is at most eps / (g_min + eps), plus float32 rounding.
    assert r.figures["max_rel_deviation"] <= 1e-8 / (1e-5 + 1e-8) + 1e-6
    assert r.verdict == HOLDS


def test_backprop_cost_parameter_count_is_the_closed_form():
    r = lessons.backprop_cost(widths=(4, 8), repeats=1)
    # n_in 8, two hidden layers of w, one output: 8w + w + w^2 + w + w + 1.
    assert r.figures["P"] == 8 * 8 + 8 + 8 * 8 + 8 + 8 + 1
    assert r.figures["reverse_passes"] > 0 and r.figures["finite_diff_passes"] > 0


# --- numpy re-implementations of the networks -----------------------------------------------------

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805  # Klambauer et al. 2017, the SELU constants
NUMPY = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh,
         "selu": lambda z: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0)))}


def _forward(name, init, *, seed, depth, width, batch):
    """The hidden layers' pre-activations and outputs of the network the lesson measured, in float64."""
    params, x, t = gradflow.sample_network(seed=seed, depth=depth, width=width, batch=batch, init=init)
    a, zs, outs = np.asarray(x, np.float64), [], []
    for w, b in params[:-1]:
        z = a @ np.asarray(w, np.float64) + np.asarray(b, np.float64)
        a = NUMPY[name](z)
        zs.append(z)
        outs.append(a)
    return params, zs, outs, np.asarray(t, np.float64), a


def test_relu_sparsity_against_numpy():
    r = lessons.relu_sparsity()
    zeros = [np.mean(a == 0) for s in range(4)
             for a in _forward("relu", Init("he"), seed=s, depth=4, width=64, batch=128)[2]]
    assert r.figures["zero_fraction"] == pytest.approx(np.mean(zeros), abs=1e-3)
    assert r.verdict == HOLDS


def test_relu_sparsity_fails_for_softplus():
    assert lessons.relu_sparsity(name="softplus", seeds=1).verdict == FAILS


def test_he_init_against_numpy_and_the_published_formula():
    r = lessons.init_he(seeds=1)
    for init, key in ((Init("he"), "var_he"), (Init("lecun"), "var_lecun")):
        outs = _forward("relu", init, seed=0, depth=30, width=256, batch=128)[2]
        assert r.figures[key] == pytest.approx(np.var(outs[-1]) / np.var(outs[0]), rel=1e-3)
    # He et al. 2015, section 2.2, with n Var(w) = 1: each ReLU layer halves the variance.
    assert r.figures["theory_lecun"] == 2.0 ** -29
    assert 2.0 ** -29 / 3 <= r.figures["var_lecun"] <= 2.0 ** -29 * 3
    assert 1 / 3 <= r.figures["var_he"] <= 3


def _signal_ratio(name, init, *, seed, depth, width, batch):
    """|dL/dz| of layer 1 over layer L for 0.5 * mean((y - t)^2), backpropagated in numpy."""
    params, zs, outs, t, a = _forward(name, init, seed=seed, depth=depth, width=width, batch=batch)
    w_out, b_out = (np.asarray(v, np.float64) for v in params[-1])
    back = (a @ w_out + b_out - t) / len(t) @ w_out.T
    norms = []
    for layer in range(depth - 1, -1, -1):
        delta = back * (1 - np.tanh(zs[layer]) ** 2)
        norms.append(np.linalg.norm(delta))
        back = delta @ np.asarray(params[layer][0], np.float64).T
    return norms[-1] / norms[0]


def test_glorot_init_against_numpy():
    r = lessons.init_glorot(seeds=3)
    for init, key in ((Init("glorot"), "signal_glorot"), (Init("normal", 1 / math.sqrt(3 * 64)), "signal_standard")):
        ratios = [_signal_ratio("tanh", init, seed=s, depth=15, width=64, batch=128) for s in range(3)]
        assert r.figures[key] == pytest.approx(np.median(ratios), rel=2e-3)
    # Glorot & Bengio's argument: sqrt(n Var(w)) = sqrt(1/3) per layer for the standard init.
    assert r.figures["theory_standard"] == pytest.approx(3.0 ** -7)
    assert r.verdict == HOLDS


def test_selu_against_numpy_and_the_fixed_point():
    r = lessons.selu(seeds=1)
    outs = [_forward("selu", Init("lecun"), seed=0, depth=100, width=128, batch=128)[2][-1]]
    assert r.figures["mean"] == pytest.approx(np.mean([o.mean() for o in outs]), abs=1e-3)
    assert r.figures["var"] == pytest.approx(np.mean([o.var() for o in outs]), rel=1e-3)
    # Klambauer et al. 2017: the fixed point (0, 1) of mean and variance.
    assert abs(r.figures["mean"]) < 0.1 and abs(r.figures["var"] - 1) < 0.2
    assert r.verdict == HOLDS


def test_selu_fails_for_tanh():
    assert lessons.selu(name="tanh", seeds=1).verdict == FAILS


def test_dying_relu_against_a_numpy_monte_carlo():
    r = lessons.dying_relu(widths=(2, 5), depths=(2, 10), nets=2000)
    rng = np.random.default_rng(7)
    x = np.linspace(-1, 1, 65)[:, None]
    for width in (2, 5):
        for depth in (2, 10):
            n = 20000
            a = np.broadcast_to(x, (n, 65, 1))
            fan_in = 1
            for _ in range(depth):  # He-normal weights, biases 0
                w = rng.standard_normal((n, fan_in, width)) * math.sqrt(2 / fan_in)
                a = np.maximum(a @ w, 0)
                fan_in = width
            y = a @ (rng.standard_normal((n, width, 1)) * math.sqrt(2 / width))
            p = np.mean(y.max(axis=(1, 2)) == y.min(axis=(1, 2)))
            sigma = math.sqrt(p * (1 - p) * (1 / 2000 + 1 / n)) + 1e-3
            assert abs(r.figures[f"w{width}_d{depth}"] - p) <= 4.5 * sigma, (width, depth)
    assert r.verdict == HOLDS


# --- the training lessons, and claims made to fail --------------------------------------------------


def test_vanishing_holds_for_sigmoid_and_fails_for_relu():
    assert lessons.vanishing(seeds=1).verdict == HOLDS
    wrong = lessons.vanishing(suspect="relu", others=("sigmoid",), depths=(10,), seeds=1)
    assert wrong.verdict == FAILS
    assert not any(c.passed for c in wrong.checks)  # relu does not vanish, sigmoid is not healthy


def test_nonlinearity_against_ln_2():
    r = lessons.nonlinearity(seeds=8)
    assert r.figures["ln_2"] == math.log(2)
    assert r.figures["linear_loss"] == pytest.approx(math.log(2), abs=1e-3)
    assert r.figures["relu_success"] == 1.0 and r.verdict == HOLDS


def test_zero_centred_fails_the_other_way_round():
    r = lessons.zero_centred(centred="sigmoid", other="tanh", seeds=16)
    assert r.verdict == FAILS and r.figures["sigmoid_faster_share"] < 0.5


def test_multi_label_bound_against_numpy():
    r = lessons.multi_label(seeds=2, steps=300)
    on = make_dataset("multilabel").y_test.sum(1)
    assert r.figures["several_labels"] == np.mean(on >= 2)
    bound = 1 - np.mean(np.maximum(on - 1, 0)) / 3
    assert r.figures["softmax_bound"] == pytest.approx(bound)
    assert r.figures["softmax_accuracy"] <= bound + 1e-6  # at most one softmax output passes 0.5


def test_adam_lr_fails_the_other_way_round():
    r = lessons.adam_lr(names=("tanh",), optimizers=("sgd", "adam"), lrs=(1e-3, 1e-2, 0.1, 1.0), seeds=8)
    assert r.verdict == FAILS
    assert 0 <= r.figures["tanh_sgd_good_lrs"] <= r.figures["tanh_adam_good_lrs"] <= 4


# --- the command -----------------------------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _widest(text: str) -> int:
    from rich.cells import cell_len

    return max(cell_len(ANSI.sub("", line)) for line in text.splitlines())


def test_list(runner):
    result = runner.invoke(cli, ["lessons", "--list"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    for lesson_id in ISSUE_IDS:
        assert lesson_id in result.stdout
    assert _widest(result.stdout) <= 80
    listed = json.loads(runner.invoke(cli, ["lessons", "--list", "--json"]).stdout)
    assert [e["id"] for e in listed["lessons"]] == lessons.ids()


def test_json_keys(runner):
    result = runner.invoke(cli, ["lessons", "roundoff", "temperature", "--json"])
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert [e["id"] for e in out["lessons"]] == ["roundoff", "temperature"]
    for entry in out["lessons"]:
        assert JSON_KEYS <= set(entry)
        assert entry["verdict"] in ("holds", "partly", "does not hold here")
        assert all(isinstance(v, (int, float)) or v in ("inf", "-inf", "nan") for v in entry["figures"].values())


@pytest.mark.parametrize("columns", [80, 120])
def test_details_fit_the_width(runner, columns):
    result = runner.invoke(cli, ["lessons", "temperature", "sigmoid-slope", "from-logits"],
                           env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.stderr
    assert _widest(result.stdout) <= columns and "…" not in result.stdout
    for word in ("temperature: holds", "claim", "setup", "why", "more", "actlab stability --temperature 0.1,1,10"):
        assert word in result.stdout


@pytest.mark.parametrize("columns", [80, 120, 170])
def test_the_table_fits_the_width(cheap, capsys, monkeypatch, columns):
    from actlab.render import lessons as view

    monkeypatch.setenv("COLUMNS", str(columns))
    results = list(cheap.values())
    view.summary(results, backend="cpu", seconds=1.0)
    out = capsys.readouterr().out
    assert _widest(out) <= columns and "…" not in out
    for r in results:
        assert r.id in out and r.verdict in out
        # Every number and the command survive whole (the cells wrap at spaces only).
        assert r.command.split()[-1] in " ".join(out.split())


def test_unknown_id_exits_2_with_a_suggestion():
    proc = subprocess.run([sys.executable, "-m", "actlab", "lessons", "vanishin"], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "unknown lesson 'vanishin'" in proc.stderr and "did you mean 'vanishing'" in proc.stderr


def test_save_writes_a_handout(runner, tmp_path):
    folder = tmp_path / "handout"
    result = runner.invoke(cli, ["lessons", "temperature", "roundoff", "--save", str(folder)])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["lessons.md", "temperature.png"]
    assert (folder / "temperature.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (folder / "lessons.md").read_text()
    assert "## temperature: holds" in text and "![temperature](temperature.png)" in text
    assert "| roundoff |" not in text and "[roundoff](#roundoff)" in text
    assert [p.name for p in tmp_path.iterdir()] == ["handout"]  # no temporary folder left behind

    again = runner.invoke(cli, ["lessons", "roundoff", "--save", str(folder)])
    assert again.exit_code == 2 and "exists" in again.stderr and "--overwrite" in again.stderr
    replaced = runner.invoke(cli, ["lessons", "roundoff", "--save", str(folder), "--overwrite"])
    assert replaced.exit_code == 0, replaced.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["lessons.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["handout"]


def test_save_into_an_empty_folder(runner, tmp_path):
    (tmp_path / "empty").mkdir()
    assert runner.invoke(cli, ["lessons", "roundoff", "--save", str(tmp_path / "empty")]).exit_code == 0
    assert [p.name for p in (tmp_path / "empty").iterdir()] == ["lessons.md"]


@pytest.mark.parametrize("what", ["file", "folder"])
def test_save_refuses_what_is_not_a_handout(runner, tmp_path, what):
    target = tmp_path / "notes"
    if what == "file":
        target.write_text("mine")
    else:
        target.mkdir()
        (target / "mine.txt").write_text("mine")
    result = runner.invoke(cli, ["lessons", "roundoff", "--save", str(target), "--overwrite"])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert (target.read_text() if what == "file" else (target / "mine.txt").read_text()) == "mine"


def test_list_does_not_go_with_ids(runner):
    result = runner.invoke(cli, ["lessons", "--list", "roundoff"])
    assert result.exit_code == 2 and "--list" in result.stderr


def test_a_failed_save_leaves_the_old_handout_and_no_temporary_folder(runner, tmp_path, monkeypatch):
    from actlab.render import files

    folder = tmp_path / "handout"
    assert runner.invoke(cli, ["lessons", "roundoff", "--save", str(folder)]).exit_code == 0
    before = (folder / "lessons.md").read_text()

    def broken(fig, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "write_figure", broken)
    result = runner.invoke(cli, ["lessons", "temperature", "--save", str(folder), "--overwrite"])
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    assert (folder / "lessons.md").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["handout"]


def test_conv_vs_dense_counts_against_the_closed_forms():
    r = lessons.conv_vs_dense(channels=(4,), seeds=1)
    # 8x8 -> 4x4x4 (one 3x3 convolution, stride 2) -> 10 classes, and its dense twin 64-64-10.
    assert r.figures["conv_params"] == (9 * 1 * 4 + 4) + (4 * 4 * 4 * 10 + 10)
    assert r.figures["dense_params"] == (64 * 64 + 64) + (64 * 10 + 10)
    assert r.figures["conv_multiply_adds"] == 4 * 4 * 9 * 1 * 4 + 64 * 10
    assert r.figures["dense_multiply_adds"] == 64 * 64 + 64 * 10
    assert r.checks[0].passed  # fewer parameters, by the counts above
    assert 0 <= r.figures["conv_test_accuracy"] <= 1 and r.figures["conv_gap"] <= 1
