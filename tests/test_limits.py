"""What fits: every bad value is one line naming its option (exit 2), numbers are
checked against the dtype they go into, work that cannot fit in memory is
refused before anything is allocated, files are read only when they are
regular files of a stated size, and long runs stay flat in memory and stop on
Ctrl-C."""

import json
import math
import os
import pty
import select
import signal
import subprocess
import sys

import numpy as np
import pytest

from actlab import limits
from actlab.cli import cli
from actlab.errors import ActlabError

HUGE = "99999999999999999999"  # past 64 bits


def one_error_line(result, *words):
    """Exit 2, one line on stderr naming ``words``, no traceback, no raw warning."""
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


# --- bad values -------------------------------------------------------------------------


@pytest.mark.parametrize("args, option", [
    (["train", "xor", "--steps", HUGE], "--steps"),
    (["train", "moons", "--samples", HUGE], "--samples"),
    (["train", "moons", "--batch", HUGE], "--batch"),
    (["train", "xor", "--hidden", HUGE], "--hidden"),
    (["sweep", "xor", "--seeds", HUGE], "--seeds"),
    (["sweep", "xor", "--max-batch", HUGE], "--max-batch"),
    (["sweep", "xor", "--steps", HUGE], "--steps"),
    (["sweep", "xor", "--distributed", "--num-processes", HUGE], "--num-processes"),
    (["grad", "relu", "--depth", HUGE], "--depth"),
    (["grad", "relu", "--depth", "2", "--width", HUGE], "--width"),
    (["grad", "relu", "--depth", "2", "--batch", HUGE], "--batch"),
    (["grad", "relu", "--cost", "--repeats", HUGE], "--repeats"),
    (["plot", "relu", "--points", HUGE], "--points"),
    (["stability", "--label", HUGE], "--label"),
    (["train", "xor", "--seed", "-1"], "--seed"),
    (["train", "xor", "--data-seed", "-1"], "--data-seed"),
    (["sweep", "xor", "--seed", "-1"], "--seed"),
    (["grad", "relu", "--seed", "-1"], "--seed"),
    (["sweep", "xor", "--seed", "4294967295", "--seeds", "2"], "--seeds"),
])
def test_whole_numbers_out_of_range_are_one_line(runner, args, option):
    line = one_error_line(runner.invoke(cli, args), option)
    assert "Overflow" not in line and "Internal" not in line


@pytest.mark.parametrize("args, words", [
    (["sweep", "xor", "--distributed", "--num-processes", "0"], ["--num-processes"]),
    (["sweep", "xor", "--distributed", "--num-processes", "2", "--process-id", "5"], ["--process-id 5", "1"]),
    (["sweep", "xor", "--distributed", "--coordinator", "host0"], ["--coordinator", "HOST:PORT"]),
    (["sweep", "xor", "--num-processes", "2"], ["--distributed"]),
])
def test_distributed_arguments_are_checked_before_jax_sees_them(runner, args, words):
    one_error_line(runner.invoke(cli, args), *words)


@pytest.mark.multiprocess
def test_distributed_without_a_cluster_is_one_line():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM", "OMPI", "JAX_COORD", "KUBERNETES"))}
    proc = subprocess.run([sys.executable, "-m", "actlab", "sweep", "xor", "--seeds", "2", "--steps", "5",
                           "--distributed"], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("Error: --distributed could not start:")


@pytest.mark.parametrize("args, words", [
    (["train", "xor", "--lr", "1e300", "--steps", "5"], ["--lr", "float32"]),
    (["sweep", "xor", "--lr", "0.1,1e300", "--seeds", "2", "--steps", "5"], ["--lr", "float32"]),
    (["train", "xor", "--lr", "1e-40", "--steps", "5"], ["--lr", "smallest normal"]),
    (["train", "xor", "--init", "normal:1e300", "--steps", "5"], ["--init normal:STD", "float32"]),
    (["train", "xor", "--init", "normal:1e38", "--steps", "5"], ["--init normal:STD", "4.25353e+37"]),
    (["train", "xor", "--act", "elu", "--param", "alpha=1e300", "--steps", "5"], ["--param alpha", "float32"]),
    (["grad", "relu", "--depth", "3", "--bias-std", "1e308"], ["--bias-std", "float32"]),
    (["grad", "relu", "--depth", "3", "--bias-std", "1e308", "--dtype", "float64"], ["--bias-std", "float64"]),
    (["grad", "tanh", "--depth", "3", "--init", "normal:1e300"], ["--init normal:STD"]),
    (["plot", "elu", "--param", "alpha=1e300", "--dtype", "float16"], ["--param alpha", "float16"]),
    (["plot", "elu", "--param", "alpha=1e5", "--dtype", "float16"], ["--param alpha", "65504"]),
    (["plot", "relu", "--range", "-1e308", "1e308"], ["--range MIN", "float32"]),
    (["plot", "relu", "--range", "0", "1e5", "--dtype", "float16"], ["--range MAX", "float16"]),
    (["train", "xor", "--l2", "nan"], ["--l2 nan"]),
    (["train", "xor", "--l2", "inf"], ["--l2 inf"]),
    (["train", "xor-noisy", "--noise", "1e300"], ["inputs reach", "float32", "--noise"]),
])
def test_values_beyond_the_dtype_are_refused(runner, args, words):
    one_error_line(runner.invoke(cli, args), *words)


def test_a_range_as_wide_as_float64_plots(runner):
    result = runner.invoke(cli, ["plot", "relu", "--range", "-1e308", "1e308", "--dtype", "float64",
                                 "--points", "5", "--json"])
    assert result.exit_code == 0 and result.stderr == ""
    out = json.loads(result.stdout)
    assert out["x"] == [-1e308, -5e307, 0.0, 5e307, 1e308]  # hi - lo would overflow
    assert out["series"][0]["y"] == [0.0, 0.0, 0.0, 5e307, 1e308]


def test_a_run_that_diverges_says_so_without_raw_warnings(runner):
    result = runner.invoke(cli, ["train", "moons", "--lr", "1e30", "--steps", "20", "--json"])
    assert result.exit_code == 0 and result.stderr == ""
    out = json.loads(result.stdout)
    assert out["final_loss"] in ("nan", "inf")
    assert any(note.startswith("training diverged") for note in out["notes"])


def test_a_library_warning_is_one_line_without_its_source(runner, monkeypatch):
    from actlab.lab import curves

    real = curves.sample

    def sample_with_a_warning(*args, **kw):
        np.float32(3e38) * np.float32(10)  # numpy: "overflow encountered in scalar multiply"
        return real(*args, **kw)

    monkeypatch.setattr(curves, "sample", sample_with_a_warning)
    result = runner.invoke(cli, ["plot", "relu", "--points", "3", "--json"])
    assert result.exit_code == 0
    assert result.stderr == "Warning: overflow encountered in scalar multiply\n"


@pytest.mark.parametrize("args, words", [
    (["advise", ""], ["unknown task ''"]),
    (["stability", "--dtypes", ""], ["--dtypes", "float32,float64"]),
])
def test_empty_names_are_refused(runner, args, words):
    one_error_line(runner.invoke(cli, args), *words)


def test_in_dtype_against_numpy():
    for dtype in ("float16", "float32", "float64"):
        info = np.finfo(dtype)
        assert limits.DTYPE_MAX[dtype] == float(info.max) and limits.DTYPE_TINY[dtype] == float(info.tiny)
        assert limits.in_dtype(float(info.max), dtype, "x") == float(info.max)
        with pytest.raises(ActlabError, match="beyond the range"):
            limits.in_dtype(float(info.max) * 1.001, dtype, "x")
    import ml_dtypes

    assert limits.DTYPE_MAX["bfloat16"] == float(ml_dtypes.finfo(ml_dtypes.bfloat16).max)
    assert limits.DTYPE_TINY["bfloat16"] == float(ml_dtypes.finfo(ml_dtypes.bfloat16).tiny)


# --- data files ---------------------------------------------------------------------------


@pytest.mark.multiprocess
def test_data_that_is_not_a_regular_file_is_refused_at_once(tmp_path):
    """A FIFO blocked forever and /dev/zero read gigabytes; both are refused unread."""
    fifo = tmp_path / "points.csv"
    os.mkfifo(fifo)
    for path, kind in ((fifo, "a FIFO"), ("/dev/zero", "a device"), (tmp_path, "a folder")):
        for command in ("train", "sweep"):
            proc = subprocess.run([sys.executable, "-m", "actlab", command, "--data", str(path), "--target", "y"],
                                  capture_output=True, text=True, timeout=120)
            assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
            assert "--data" in proc.stderr and (kind in proc.stderr or "directory" in proc.stderr)


def test_a_data_file_over_the_limit_is_refused_unread(runner, tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "wb") as f:
        f.truncate(limits.MAX_READ_BYTES + 1)  # sparse: nothing is written, nothing need be read
    line = one_error_line(runner.invoke(cli, ["train", "--data", str(path), "--target", "y"]), "--data")
    assert "250 MB" in line


def test_a_cell_past_the_csv_field_limit_names_its_line(runner, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("a,y\n1,0\n" + "1" * 200_000 + ",1\n2,0\n")
    one_error_line(runner.invoke(cli, ["train", "--data", str(path), "--target", "y"]), "line 3", "field")


def test_standardize_near_the_largest_float_matches_the_same_data_scaled_down():
    from actlab.blocks.data import sets

    rng = np.random.default_rng(0)
    small = rng.uniform(-1, 1, (50, 2))
    ds = sets.split("near", "binary", small * 1.7e308, (small[:, 0] > 0).astype(int), ("a", "b"),
                    ("0", "1"), 1, 0.2, np.random.default_rng(1))
    got, mean, std = sets.standardize(ds)
    ref = sets.split("near", "binary", small, (small[:, 0] > 0).astype(int), ("a", "b"), ("0", "1"), 1,
                     0.2, np.random.default_rng(1))
    # the textbook formula on the data divided by 1.7e308: (x - mean) / std
    want = (ref.x_train - ref.x_train.mean(0)) / ref.x_train.std(0)
    np.testing.assert_allclose(got.x_train, want, rtol=1e-12)
    np.testing.assert_allclose(mean / 1.7e308, ref.x_train.mean(0), rtol=1e-12)
    assert np.isfinite(got.x_test).all() and np.isfinite(std).all()


def _near_max_csv(path, target_scale=None):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (40, 2)) * 1.7e308
    y = (x[:, 0] > 0).astype(float) if target_scale is None else x[:, 0] / 1e308 * target_scale
    np.savetxt(path, np.c_[x, y], delimiter=",", header="a,b,y", comments="", fmt="%.17g")


def test_near_max_values_train_to_a_finite_loss(runner, tmp_path):
    path = tmp_path / "near.csv"
    _near_max_csv(path)
    result = runner.invoke(cli, ["train", "--data", str(path), "--target", "y", "--steps", "200", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert math.isfinite(out["final_loss"]) and out["train_accuracy"] >= 0.9


@pytest.mark.parametrize("extra, scale, words", [
    (["--no-standardize"], None, ["inputs reach", "float32", "--no-standardize"]),
    ([], 1e20, ["target reaches", "squared error overflows float32"]),
])
def test_data_the_dtype_cannot_hold_is_refused(runner, tmp_path, extra, scale, words):
    path = tmp_path / "near.csv"
    _near_max_csv(path, scale)
    one_error_line(runner.invoke(cli, ["train", "--data", str(path), "--target", "y", *extra]), *words)


# --- memory -------------------------------------------------------------------------------


@pytest.fixture
def one_gigabyte(monkeypatch):
    """The host has 1 GB free, whatever this machine has."""
    monkeypatch.setattr(limits, "available_memory", lambda: (10**9, "available on this machine"))


@pytest.mark.parametrize("args, words", [
    (["train", "xor", "--hidden", "200000000", "--steps", "1"], ["2-200000000-1", "--hidden"]),
    (["train", "moons", "--samples", "10000000"], ["--samples 10000000"]),
    (["train", "moons", "--samples", "400000", "--hidden", "4096", "--batch", "300000"], ["300000 rows", "--batch"]),
    (["train", "moons", "--hidden", "30000", "--steps", "1"], ["decision regions (101 x 101 points)"]),
    (["sweep", "xor", "--hidden", "200000000", "--steps", "1", "--seeds", "2"], ["one run", "--hidden"]),
    (["sweep", "xor", "--steps", "1", "--seeds", "20000000"], ["20000000 runs", "--seeds"]),
    (["grad", "relu", "--depth", "10", "--width", "10000"], ["10 layers of 10000", "--width"]),
    (["grad", "relu", "--depth", "2", "--width", "64", "--batch", "10000000"], ["batch of 10000000", "--batch"]),
    (["grad", "relu", "--cost", "--widths", "8,10000"], ["--cost up to width 10000", "--widths"]),
])
def test_work_that_cannot_fit_is_refused_before_allocating(runner, one_gigabyte, args, words):
    line = one_error_line(runner.invoke(cli, args), *words)
    assert "of memory, more than the 1 GB available on this machine" in line


def test_the_estimate_lets_ordinary_work_through(runner, one_gigabyte):
    assert runner.invoke(cli, ["train", "moons", "--hidden", "64,64", "--steps", "5", "--json"]).exit_code == 0
    assert runner.invoke(cli, ["grad", "relu", "--depth", "10", "--json"]).exit_code == 0


def test_an_accelerator_is_judged_by_its_own_free_memory():
    class Device:
        platform, id = "gpu", 0

        def memory_stats(self):
            return {"bytes_limit": 8 * 10**9, "bytes_in_use": 6 * 10**9}

    limits.check_memory(10**9, "this", "less", device=Device())
    with pytest.raises(ActlabError, match="needs about 3 GB of memory, more than the 2 GB free on gpu 0; less"):
        limits.check_memory(3 * 10**9, "this", "less", device=Device())


@pytest.mark.parametrize("error", ["memory", "xla"])
def test_a_failed_allocation_is_the_same_one_line_refusal(runner, monkeypatch, error):
    import jax.numpy as jnp

    from actlab.lab import train

    def allocate(*args, **kw):
        if error == "memory":
            raise MemoryError()
        jnp.zeros((10**14,), jnp.float32).block_until_ready()  # 400 TB: XLA's RESOURCE_EXHAUSTED

    monkeypatch.setattr(train, "train", allocate)
    line = one_error_line(runner.invoke(cli, ["train", "xor"]), "this run needs", "available", "--hidden")
    # XLA says what it asked for; a MemoryError does not
    assert ("needs about 400 TB of memory, more than the" if error == "xla" else "needs more memory than the") in line


@pytest.mark.multiprocess
def test_an_address_space_limit_is_refused_not_hung():
    """Under ``ulimit -v`` a network that cannot fit used to hang at 0% CPU."""
    prelude = ("import resource\nresource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))\n"
               "from actlab.cli import main\nmain()\n")
    proc = subprocess.run([sys.executable, "-c", prelude, "train", "xor", "--hidden", "200000000",
                           "--steps", "1"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "ACTLAB_NO_CACHE": "1"})
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "left under the limit of ulimit -v" in proc.stderr


def test_available_memory_reads_the_kernel_and_the_limits():
    have, where = limits.available_memory()
    meminfo = open("/proc/meminfo").read() if os.path.exists("/proc/meminfo") else ""
    if "MemAvailable" in meminfo:
        kb = int(meminfo.split("MemAvailable:")[1].split()[0])
        assert 0 < have <= kb * 1024 * 1.1
    assert where


# --- long runs ------------------------------------------------------------------------------


def test_a_long_run_keeps_a_bounded_history(monkeypatch):
    from actlab.blocks import activations, data
    from actlab.lab import setup, train

    ds = data.make_dataset("xor")
    config, _ = setup.make_config(ds, activation=activations.get("tanh"), optimizer="adam", steps=1000)
    full = train.train(config, ds, lr=0.01, seed=3)
    monkeypatch.setattr(train, "HISTORY_POINTS", 250)
    thin = train.train(config, ds, lr=0.01, seed=3)
    assert len(full.history.step) == 1000 and 100 <= len(thin.history.step) <= 250
    assert thin.history.step[0] == 1
    # the steps kept are the full run's own numbers at those steps
    np.testing.assert_array_equal(thin.history.loss, full.history.loss[thin.history.step - 1])
    np.testing.assert_array_equal(thin.history.score, full.history.score[thin.history.step - 1])
    assert thin.final_loss == full.final_loss


@pytest.mark.multiprocess
@pytest.mark.parametrize("args", [["train", "xor", "--steps", "1000000000"],
                                  ["sweep", "xor", "--steps", "1000000000", "--seeds", "4"]])
def test_a_very_long_run_shows_progress_and_stops_on_ctrl_c(tmp_path, args):
    """On a terminal: progress on stderr; Ctrl-C ends it with exit 130 (train
    reports the network as it is at that step, sweep says it was interrupted)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "actlab", *args], stdin=slave, stdout=subprocess.PIPE,
                            stderr=slave, cwd=tmp_path, env={**os.environ, "COLUMNS": "100", "TERM": "xterm"})
    os.close(slave)
    seen = b""
    try:
        while b"step" not in seen.lower():  # the progress line: "... steps/s" or "... step N"
            ready, _, _ = select.select([master], [], [], 120)
            assert ready, seen
            try:
                seen += os.read(master, 4096)
            except OSError:  # the terminal closed: the process ended before its progress showed
                raise AssertionError((seen, proc.wait(), proc.stdout.read())) from None
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 130
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        os.close(master)
    text = seen.decode(errors="replace")
    report = proc.stdout.read().decode()
    assert "Traceback" not in text
    assert ("interrupted at step" in report) if args[0] == "train" else ("Interrupted." in text)
