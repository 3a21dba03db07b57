"""`actlab train --live`: frames drawn in a pseudo-terminal (the real entry
point), Ctrl-C keeps what was learned and exits 130, piped output falls back to
the plain report; in the core, one compiled chunk per frame and no step in Python."""

import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from actlab.blocks import activations, data
from actlab.cli import cli
from actlab.lab import setup, train

pty = pytest.importorskip("pty")  # POSIX only
import fcntl  # noqa: E402
import struct  # noqa: E402
import termios  # noqa: E402

STEP = re.compile(rb"step (\d+) of (\d+)")


def run_in_terminal(args, tmp_path, *, interrupt_after_frame=False, timeout=120):
    """Runs `python -m actlab ARGS` on an 80x40 pseudo-terminal; -> (exit code, raw output)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 80, 0, 0))
    env = {**os.environ, "COLUMNS": "80", "LINES": "40", "TERM": "xterm", "NO_COLOR": "1",
           "ACTLAB_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen([sys.executable, "-m", "actlab", *args], stdin=slave, stdout=slave, stderr=slave,
                            env=env, start_new_session=True)
    os.close(slave)
    out, sent, deadline = b"", False, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if interrupt_after_frame and not sent and STEP.search(out):
                os.killpg(proc.pid, signal.SIGINT)  # what the terminal sends its foreground group on Ctrl-C
                sent = True
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        return proc.wait(timeout=30), out
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()


def test_live_draws_frames_in_a_terminal_and_ends_cleanly(tmp_path):
    # a held-out split, noise and mini-batches, as a user would set them
    code, out = run_in_terminal(["train", "moons", "--live", "--live-seconds", "0.5", "--steps", "240",
                                 "--noise", "0.2", "--test-frac", "0.3", "--batch", "32"], tmp_path)
    assert code == 0, out[-2000:]
    steps = [int(m.group(1)) for m in STEP.finditer(out)]
    assert len(set(steps)) >= 3 and steps == sorted(steps) and steps[-1] == 240
    assert b"\x1b[2K" in out  # lines erased and redrawn in place
    last = out.rfind(b"step 240 of 240")
    assert out.rfind(b"\x1b[?25h") > last  # the cursor is shown again after the last frame
    frames, report = out[:last], out[last:]
    assert b"train and test loss" in frames and b"regions: predicted class" in frames
    assert b"hidden layers at step" in frames
    assert b"actlab train moons" in report and b"test accuracy" in report  # then the usual report
    assert b"Traceback" not in out


def test_ctrl_c_keeps_what_was_learned_and_exits_130(tmp_path):
    code, out = run_in_terminal(["train", "moons", "--live", "--live-seconds", "120", "--steps", "100000"],
                                tmp_path, interrupt_after_frame=True)
    assert code == 130, out[-2000:]
    done = re.search(rb"interrupted at step (\d+) of 100000", out)
    assert done and 0 < int(done.group(1)) < 100000
    report = out[done.start() - 3000:]
    assert b"test accuracy" in report and b"Traceback" not in out


def test_piped_live_falls_back_to_the_plain_report(runner):
    result = runner.invoke(cli, ["train", "xor", "--live", "--steps", "100", "--no-chart"])
    assert result.exit_code == 0, result.stderr
    assert "--live needs a terminal" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "actlab train xor" in result.stdout and "step 100 of" not in result.stdout


@pytest.mark.parametrize("args,message", [
    (["--live", "--json"], "--live"),
    (["--live-seconds", "-1"], "--live-seconds"),
])
def test_live_bad_input_exit_2(runner, args, message):
    result = runner.invoke(cli, ["train", "xor", *args])
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_frames_come_one_per_compiled_call():
    ds = data.make_dataset("moons", samples=100, seed=0)
    config, _ = setup.make_config(ds, activation=activations.get("tanh"), optimizer="adam", steps=300)
    frames = []
    result = train.train(config, ds, lr=0.01, seed=0, chunks=10, watch=frames.append)
    traces = train.trace_count()
    again = train.train(config, ds, lr=0.01, seed=0, chunks=10, watch=frames.append)
    assert train.trace_count() == traces  # the same compiled program, run again
    np.testing.assert_array_equal(again.history.loss, result.history.loss)
    frames = frames[: len(frames) // 2]
    steps = [f.step for f in frames]
    assert len(steps) >= 5 and steps == sorted(steps) and steps[-1] == 300
    every = steps[0]  # one call per frame, the same number of steps each
    assert steps == [min(every * k, 300) for k in range(1, len(steps) + 1)]
    last = frames[-1]
    np.testing.assert_array_equal(last.history.loss, result.history.loss)
    for f in frames:
        assert len(f.history.loss) == f.step and (f.layers.step <= f.step).all()
        assert f.regions is not None and f.checkpoints.step[-1] == f.step
    # the last frame's picture is the result's, and without a watcher the numbers are the same
    np.testing.assert_array_equal(last.regions.cls, result.regions.cls)
    plain = train.train(config, ds, lr=0.01, seed=0, chunks=10)
    np.testing.assert_array_equal(plain.history.loss, result.history.loss)


def test_ctrl_c_as_a_call_returns_keeps_its_result(monkeypatch):
    # The program call donates the state it is given: a Ctrl-C heard after the
    # call consumed it and before its result is kept would leave no state at all.
    ds = data.make_dataset("moons", samples=100, seed=0)
    config, _ = setup.make_config(ds, activation=activations.get("tanh"), optimizer="adam", steps=300)
    compiled = train.compiled_program

    def interrupt_in_second_call(*args, **kwargs):
        program, seconds = compiled(*args, **kwargs)
        calls = []

        def call(state, *rest):
            out = program.call(state, *rest)
            calls.append(out)
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGINT)  # handled at the next bytecode, before `call` returns
            return out
        return program._replace(call=call), seconds

    monkeypatch.setattr(train, "compiled_program", interrupt_in_second_call)
    stopped = train.train(config, ds, lr=0.01, seed=0, chunks=10, progress=lambda *_: None,
                          stop_on_interrupt=True)
    monkeypatch.undo()

    # the same run stopped where nothing is in flight: by the progress callback after two calls
    def stop_after_two(done, loss, seen=[]):
        seen.append(done)
        if len(seen) == 3:  # (0, nan) once compiled, then one per call
            raise KeyboardInterrupt
    safe = train.train(config, ds, lr=0.01, seed=0, chunks=10, progress=stop_after_two, stop_on_interrupt=True)
    assert stopped.interrupted and safe.interrupted and stopped.steps == safe.steps < 300
    for (w, b), (w0, b0) in zip(stopped.params, safe.params):
        np.testing.assert_array_equal(w, w0)
        np.testing.assert_array_equal(b, b0)
    np.testing.assert_array_equal(stopped.history.loss, safe.history.loss)
