"""The compilation cache: a folder that cannot be used is said once, in one line,
and the run goes on without it; a cache that breaks while in use (corrupt or
odd entries, failed writes) costs a recompile and says nothing. Real
processes: the cache is set up once per process."""

import json
import os
import pickle
import subprocess
import sys
import zlib

import numpy as np
import pytest

ARGS = ["plot", "relu", "--points", "3", "--json"]
pytestmark = pytest.mark.multiprocess

PRELUDE_SMALL_FILES = ("import resource\nresource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))\n"
                       "from actlab.cli import main\nmain()\n")


def run(cache, cwd, prelude=None):
    env = {**os.environ, "ACTLAB_CACHE_DIR": str(cache), "ACTLAB_NO_PLUGINS": "1"}
    env.pop("ACTLAB_NO_CACHE", None)
    head = ["-c", prelude] if prelude else ["-m", "actlab"]
    proc = subprocess.run([sys.executable, *head, *ARGS], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    # the numbers are right, cache or not: relu(x) = max(0, x) on [-5, 0, 5]
    assert out["series"][0]["y"] == [max(0.0, x) for x in out["x"]] == [0.0, 0.0, 5.0]
    return proc.stderr


def said_once(stderr: str, words: str) -> None:
    assert stderr.count("\n") == 1 and stderr.startswith("actlab: compilation cache"), stderr
    assert words in stderr and "running without it" in stderr and "site-packages" not in stderr


@pytest.mark.parametrize("make, words", [
    (lambda p: p.write_text("a file"), "cannot be created"),
    (lambda p: p.symlink_to(p.parent / "nowhere"), "cannot be created"),
])
def test_a_cache_path_that_is_no_folder(tmp_path, make, words):
    cache = tmp_path / "cache"
    make(cache)
    said_once(run(cache, tmp_path), words)
    said_once(run(tmp_path / "cache" / "under", tmp_path), "cannot be created")


def test_a_read_only_cache_folder(tmp_path, read_only_folder):
    with read_only_folder(tmp_path / "ro") as ro:
        said_once(run(ro, tmp_path), "is not writable")
        said_once(run(ro / "sub", tmp_path), "cannot be created")
        assert os.listdir(ro) == []


def test_broken_entries_cost_a_recompile_and_say_nothing(tmp_path):
    cache = tmp_path / "cache"
    assert run(cache, tmp_path) == ""
    entries = sorted(p for p in cache.rglob("*") if p.is_file())
    assert entries
    for k, entry in enumerate(entries):
        if k % 2:  # an entry that is a folder
            entry.unlink()
            entry.mkdir()
        else:  # an entry that is garbage
            entry.write_bytes(b"not a compiled program")
    assert run(cache, tmp_path) == ""


def test_cache_writes_that_fail_say_nothing(tmp_path):
    """Every write past 100 bytes fails, as on a full disk (Python ignores SIGXFSZ)."""
    cache = tmp_path / "cache"
    assert run(cache, tmp_path, PRELUDE_SMALL_FILES) == ""
    assert run(cache, tmp_path) == ""  # and the half-written entries it left are read past


def train_json(cache, cwd, *args, prelude=None):
    """`actlab train moons --json` in a process of its own (after ``prelude``,
    a script that then runs the command line), its timings left out; ``cache``
    None: no cache at all."""
    env = {**os.environ, "ACTLAB_NO_PLUGINS": "1"}
    env.pop("ACTLAB_NO_CACHE", None)
    if cache is None:
        env["ACTLAB_NO_CACHE"] = "1"
    else:
        env["ACTLAB_CACHE_DIR"] = str(cache)
    start = ["-m", "actlab"] if prelude is None else ["-c", prelude]
    proc = subprocess.run([sys.executable, *start, "train", "moons", "--steps", "200", "--json", *args],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    out = json.loads(proc.stdout)
    for timing in ("compile_seconds", "train_seconds", "measure_seconds"):
        out.pop(timing)
    return out


def test_saved_training_programs_give_the_numbers_of_a_fresh_compile(tmp_path):
    # A train run keeps its compiled program in the cache folder; later runs
    # load it. Against runs with no cache at all, each compiling its own program:
    cache = tmp_path / "cache"
    fresh = {act: train_json(None, tmp_path, "--act", act) for act in ("tanh", "relu")}
    assert train_json(cache, tmp_path, "--act", "tanh") == fresh["tanh"]  # compiled and saved
    saved = sorted((cache / "actlab-programs").iterdir())
    assert len(saved) == 1 and saved[0].suffix == ".pkl"
    assert train_json(cache, tmp_path, "--act", "tanh") == fresh["tanh"]  # loaded
    # another activation is another program, not the saved one
    assert train_json(cache, tmp_path, "--act", "relu") == fresh["relu"]
    assert len(list((cache / "actlab-programs").iterdir())) == 2
    # a saved program cut short is compiled again, and saved again whole
    size = saved[0].stat().st_size
    saved[0].write_bytes(saved[0].read_bytes()[: size // 2])
    assert train_json(cache, tmp_path, "--act", "tanh") == fresh["tanh"]
    assert len(pickle.loads(zlib.decompress(saved[0].read_bytes()))) == 4  # whole again: program, trees, blank state
    # a FIFO or a folder in its place: the run neither waits nor fails
    saved[0].unlink()
    os.mkfifo(saved[0])
    assert train_json(cache, tmp_path, "--act", "tanh") == fresh["tanh"]
    saved[0].unlink()
    saved[0].mkdir()
    assert train_json(cache, tmp_path, "--act", "tanh") == fresh["tanh"]
    assert not [p for p in (cache / "actlab-programs").iterdir() if p.suffix != ".pkl"]  # no temporary left


def test_a_training_program_that_cannot_be_saved_says_nothing(tmp_path):
    """Writes past 100 bytes fail, as on a full disk: the run is as without a cache."""
    cache = tmp_path / "cache"
    assert train_json(cache, tmp_path, prelude=PRELUDE_SMALL_FILES) == train_json(None, tmp_path)
    assert [p.name for p in (cache / "actlab-programs").iterdir()] == []  # no temporary file left


SAVE_AFTER_JAX_CACHED = """
import sys, jax, jax.numpy as jnp, numpy as np
jax.config.update("jax_compilation_cache_dir", sys.argv[1])
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
from actlab import runtime
f = jax.jit(lambda x: jnp.tanh(x) * 3 + 1)
x = np.linspace(-2, 2, 5, dtype=np.float32)
if sys.argv[2] == "plain":  # jax's cache gets the program
    f.lower(x).compile()
else:
    program, note = runtime.saved_program("tanh*3+1", lambda options: (f.lower(x).compile(options), "note"))
    print(note, *np.asarray(program(x)).tolist())
"""


def test_a_program_jax_has_cached_is_saved_all_the_same(tmp_path):
    # jax's cache holds the program (compiled the plain way): the program to save
    # is compiled afresh, saved, and a later process loads and runs it
    def run(mode):
        proc = subprocess.run([sys.executable, "-c", SAVE_AFTER_JAX_CACHED, str(tmp_path / "cache"), mode],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split()

    run("plain")
    assert not (tmp_path / "cache" / "actlab-programs").exists()
    expected = np.tanh(np.linspace(-2, 2, 5, dtype=np.float32)) * 3 + 1
    first = run("save")
    (saved,) = (tmp_path / "cache" / "actlab-programs").iterdir()
    assert first[0] == "note" and np.allclose([float(v) for v in first[1:]], expected, rtol=1e-6)
    written = saved.stat()
    assert run("load") == first  # the same numbers
    assert (saved.stat().st_ino, saved.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)  # read, not rebuilt
