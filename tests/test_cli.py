"""The CLI contract shared by every command: fast help, one-line errors,
strict JSON, exit codes, the real entry point."""

import json
import os
import subprocess
import sys

import pytest

from actlab.cli import COMMANDS, cli


def test_help_imports_no_jax():
    # --help of the group and of every command must not import jax (start-up speed).
    code = (
        "import sys\n"
        "from actlab.cli import cli, COMMANDS\n"
        "for args in [['--help']] + [[c, '--help'] for c in COMMANDS]:\n"
        "    try:\n"
        "        cli.main(args, prog_name='actlab', standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "bad = [m for m in ('jax', 'jaxlib', 'optax', 'matplotlib') if m in sys.modules]\n"
        "print('HEAVY', bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help_with_an_example(runner, command):
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout and f"actlab {command}" in result.stdout


def test_unknown_command_suggests(runner):
    result = runner.invoke(cli, ["plto"])
    assert result.exit_code == 2
    assert "did you mean 'plot'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_click_usage_errors_are_one_line(runner):
    result = runner.invoke(cli, ["plot", "relu", "--points", "abc"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--points" in lines[0] and "Traceback" not in result.stderr


def test_real_entry_point_runs_and_emits_strict_json(tmp_path):
    env = {**os.environ, "ACTLAB_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run(["actlab", "plot", "sigmoid", "--derivative", "--points", "5", "--json"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)  # exactly one object
    assert [s["kind"] for s in data["series"]] == ["value", "derivative"]
    assert data["series"][1]["y"][2] == 0.25  # sigmoid'(0)
    assert any((tmp_path / "cache").iterdir())  # the compilation cache was written
    proc = subprocess.run([sys.executable, "-m", "actlab", "plot", "nope"], capture_output=True, text=True, env=env)
    assert proc.returncode == 2 and proc.stderr.startswith("Error: unknown activation 'nope'")


def test_json_non_finite_numbers_are_strings():
    from actlab.render.terminal import jsonable

    assert jsonable({"a": [float("nan"), float("inf"), -float("inf"), 1.5]}) == {"a": ["nan", "inf", "-inf", 1.5]}
    json.dumps(jsonable(float("nan")), allow_nan=False)


def _cache_files(folder):
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_second_run_compiles_nothing_and_the_cache_can_be_turned_off(tmp_path):
    cache = tmp_path / "cache"
    cmd = ["actlab", "plot", "relu", "--derivative", "--json"]
    env = {**os.environ, "ACTLAB_CACHE_DIR": str(cache)}
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    first = _cache_files(cache)
    assert first  # compiled programs were stored
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    assert _cache_files(cache) == first  # the second run found them all: nothing new compiled
    off = tmp_path / "off"
    subprocess.run(cmd, env={**env, "ACTLAB_CACHE_DIR": str(off), "ACTLAB_NO_CACHE": "1"},
                   check=True, capture_output=True)
    assert not off.exists() or not _cache_files(off)


@pytest.mark.parametrize("typo, choices, expected", [
    ("adma", ["adamax", "adam", "sgd"], "adam"),      # a swap of neighbours is one step
    ("rleu", ["elu", "celu", "relu", "selu"], "relu"),
    ("gelu_tan", ["gelu", "gelu_tanh"], "gelu_tanh"),
    ("zzz", ["relu", "tanh"], None),
])
def test_did_you_mean_picks_the_closest(typo, choices, expected):
    from actlab.errors import did_you_mean

    assert did_you_mean(typo, choices) == (f" (did you mean {expected!r}?)" if expected else "")


def test_an_internal_error_exits_1_with_one_line(runner, monkeypatch):
    from actlab.lab import curves

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(curves, "sample", broken)
    result = runner.invoke(cli, ["plot", "relu"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Internal error: RuntimeError: boom (set ACTLAB_DEBUG=1 for the traceback)"]


# --- the end of the process ---------------------------------------------------------------------
# `actlab` ends with os._exit once its result is out, skipping the interpreter's
# teardown; these check that nothing that teardown would have done is lost.


def _entry_point(args, tmp_path, **env):
    env = {**os.environ, "ACTLAB_CACHE_DIR": str(tmp_path / "cache"), **env}
    return subprocess.run(["actlab", *args], capture_output=True, text=True, env=env)


def test_exit_runs_exit_handlers_and_waits_for_working_threads(tmp_path):
    # A sitecustomize stands in for any library that registers an exit handler
    # or leaves a (non-daemon) thread working when the command returns.
    (tmp_path / "sitecustomize.py").write_text(
        "import atexit, threading, time\n"
        f"out = {str(tmp_path)!r}\n"
        "atexit.register(lambda: open(out + '/handler', 'w').close())\n"
        "def late():\n"
        "    time.sleep(0.5)\n"
        "    open(out + '/thread', 'w').close()\n"
        "threading.Thread(target=late).start()\n")
    proc = _entry_point(["plot", "relu", "--points", "5", "--json"], tmp_path, PYTHONPATH=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "handler").exists() and (tmp_path / "thread").exists()
    proc = _entry_point(["plot", "nope"], tmp_path, PYTHONPATH=str(tmp_path))
    assert proc.returncode == 2 and proc.stderr.startswith("Error: unknown activation 'nope'")


def test_exit_loses_no_output_and_no_file(tmp_path):
    proc = _entry_point(["plot", "relu", "--points", "100000", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["x"]) == 100000  # a long stdout, whole
    assert _cache_files(tmp_path / "cache")  # the compiled programs were stored
    run = tmp_path / "run"
    proc = _entry_point(["train", "xor", "--steps", "20", "--save", str(run), "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    saved = json.loads(proc.stdout)
    assert json.loads((run / "result.json").read_text())["final_loss"] == saved["final_loss"]
    import numpy as np

    with np.load(run / "params.npz") as params:
        assert len(params.files) >= 2
    history = (run / "history.csv").read_text().splitlines()
    assert len(history) == 1 + 20 and history[-1].startswith("20,")
    png = next(run.glob("*.png")).read_bytes()
    assert png.endswith(b"IEND\xaeB`\x82")  # the last chunk of a complete PNG


def test_commands_close_every_file_they_open(tmp_path):
    # An open file object at the end would lose its buffer under os._exit;
    # collecting garbage after the command names any that were left open.
    code = (
        "import gc, sys, warnings\n"
        "warnings.simplefilter('always', ResourceWarning)\n"
        "from actlab.cli import cli\n"
        f"d = {str(tmp_path)!r}\n"
        "for args in (['train', 'xor', '--steps', '20', '--save', d + '/run'],\n"
        "             ['sweep', 'xor', '--seeds', '2', '--steps', '20', '--csv', d + '/s.csv'],\n"
        "             ['plot', 'relu', '--save', d + '/f.png'], ['grad', 'relu', '--depth', '2', '--json']):\n"
        "    assert cli.main(args, prog_name='actlab', standalone_mode=False) == 0, args\n"
        "gc.collect()\n")
    env = {**os.environ, "ACTLAB_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-X", "dev", "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "unclosed" not in proc.stderr, proc.stderr
