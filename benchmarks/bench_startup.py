"""Start-up cost of whole actlab processes, against `python -c "import jax"`.

Every contender is a fresh process of the installed entry point, run in turn
round after round (interleaved, so a change in the machine's load touches them
all alike); minimum and median of the rounds. Goals:
  * `actlab --help` and `actlab list` (neither imports jax): at most 0.5x and
    0.3x of importing jax;
  * a warm `actlab train xor` (its program saved by an earlier run): at
    most 1.5x; beside it, the same command ending the ordinary way (the
    interpreter's teardown of its modules, which actlab skips once its output
    is out), whose difference is the teardown's cost;
  * `actlab plot relu --derivative`, warm: at most 1.5x;
  * a cold first run of `actlab sweep xor --act relu,tanh,linear --seeds 100`
    (an empty cache folder each round) at most 2x its warm run.

    python benchmarks/bench_startup.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter

from _timing import ACTLAB, command, interleaved, load

# The same command ending as Python ends by default: sys.exit, then the teardown.
ORDINARY_EXIT = [sys.executable, "-c", "import sys; from actlab.cli import cli; "
                 "sys.exit(cli.main(sys.argv[1:], prog_name='actlab', standalone_mode=False))"]
TRAIN = ["train", "xor"]
SWEEP = ["sweep", "xor", "--act", "relu,tanh,linear", "--seeds", "100"]


def jax_log(cmd, env) -> None:
    """Prints what jax logs for one run of ``cmd``: counts of traces, lowerings
    and compilations, the seconds each kind took, and the persistent cache's hits."""
    out = subprocess.run(cmd, env={**env, "JAX_LOG_COMPILES": "1"}, capture_output=True, text=True, check=True)
    counts, seconds = Counter(), Counter()
    kinds = {"Finished tracing": "traces", "Finished jaxpr to MLIR module conversion": "lowered modules",
             "Finished XLA compilation": "compilations (or cache loads)"}
    for line in out.stderr.splitlines():
        for prefix, kind in kinds.items():
            if line.startswith(prefix):
                counts[kind] += 1
                seconds[kind] += float(re.search(r"in ([0-9.e-]+) sec", line).group(1))
    print(f"what jax does for a warm `actlab {' '.join(cmd[len(ACTLAB):])}`:")
    for kind in kinds.values():
        print(f"  {kind:32s} {counts[kind]:3d}  {seconds[kind]:.3f} s")
    print(f"  {'persistent cache hits':32s} {out.stderr.count('Persistent compilation cache hit'):3d}")
    if not counts:
        print("  (none: the program was loaded as an earlier run saved it)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"load average before: {load()}")
    # As installed: Python may keep the bytecode it compiles (some shells forbid it).
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        warm = {**base, "ACTLAB_CACHE_DIR": f"{tmp}/warm"}

        def cold(argv):  # a new, empty cache folder each time: the first run on a machine
            return lambda: command(argv, {**base, "ACTLAB_CACHE_DIR": tempfile.mkdtemp(dir=tmp)})()

        t = interleaved({
            "import jax": command([sys.executable, "-c", "import jax"], warm),
            "--help": command([*ACTLAB, "--help"], warm),
            "list": command([*ACTLAB, "list"], warm),
            "train": command([*ACTLAB, *TRAIN], warm),
            "train, ordinary exit": command([*ORDINARY_EXIT, *TRAIN], warm),
            "plot": command([*ACTLAB, "plot", "relu", "--derivative"], warm),
            "sweep": command([*ACTLAB, *SWEEP], warm),
            "sweep, cold": cold([*ACTLAB, *SWEEP]),
        }, rounds=args.rounds)  # the warm-up round fills the warm cache
        jax_log([*ACTLAB, *TRAIN], warm)
    jax = t["import jax"]
    print(f"python -c 'import jax': min {jax.min:.2f} s, median {jax.median:.2f} s, CPU {jax.cpu_min:.2f} s "
          f"({args.rounds} rounds; [CPU]: the ratio of CPU seconds, steadier on a busy machine)")
    for name, label, goal in (("--help", "actlab --help", "0.5x"), ("list", "actlab list", "0.3x"),
                              ("train", "actlab train xor, warm", "1.5x"),
                              ("plot", "actlab plot relu --derivative, warm", "1.5x")):
        print(f"{label:36s} min {t[name].min:5.2f} s = {t[name].ratio(jax)} import jax  (goal <= {goal})")
    ordinary = t["train, ordinary exit"]
    print(f"{'  ending the ordinary way instead':36s} min {ordinary.min:5.2f} s: the teardown costs "
          f"{ordinary.min - t['train'].min:+.2f} s (min), {ordinary.median - t['train'].median:+.2f} s (median)")
    print(f"{'actlab ' + ' '.join(SWEEP)}:")
    print(f"{'  warm':36s} min {t['sweep'].min:5.2f} s = {t['sweep'].ratio(jax)} import jax")
    print(f"{'  cold (empty cache)':36s} min {t['sweep, cold'].min:5.2f} s = {t['sweep, cold'].ratio(t['sweep'])} "
          "warm  (goal <= 2x)")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
