"""A short training command from start to exit: ``actlab train xor`` with a
warm compilation cache, against ``python -c "import jax"`` (interleaved; min
and median), and what jax does for it: traces, lowered modules, compilations
(from jax's own log of one run).

Goal: one compiled program per training run, and the warm command close to
1.5x ``import jax``.

    python benchmarks/bench_train_start.py [--rounds 7] [-- actlab args ...]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter

from _timing import interleaved, load, process, row


def jax_log(cmd, env):
    """What jax logs for one run of ``cmd``: counts of traces, lowerings and
    compilations, and the seconds each kind took."""
    out = subprocess.run(cmd, env={**env, "JAX_LOG_COMPILES": "1"}, capture_output=True, text=True, check=True)
    counts, seconds = Counter(), Counter()
    kinds = {"Finished tracing": "traces", "Finished jaxpr to MLIR module conversion": "lowered modules",
             "Finished XLA compilation": "compilations (or cache loads)"}
    for line in out.stderr.splitlines():
        for prefix, kind in kinds.items():
            if line.startswith(prefix):
                counts[kind] += 1
                seconds[kind] += float(re.search(r"in ([0-9.e-]+) sec", line).group(1))
    hits = out.stderr.count("Persistent compilation cache hit")
    return counts, seconds, hits


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("args", nargs="*", default=["train", "xor"], help="the actlab command (default: train xor)")
    args = parser.parse_args()
    actlab = [sys.executable, "-m", "actlab", *args.args]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "ACTLAB_CACHE_DIR": cache}
        process(actlab, env)  # fills the compilation cache
        counts, seconds, hits = jax_log(actlab, env)
        print(f"actlab {' '.join(args.args)} (warm cache): {load()}")
        for kind in ("traces", "lowered modules", "compilations (or cache loads)"):
            print(f"  {kind:32s} {counts[kind]:3d}  {seconds[kind]:.3f} s")
        print(f"  persistent cache hits            {hits:3d}")
        times = interleaved({"python -c 'import jax'": lambda: process([sys.executable, "-c", "import jax"], env),
                             f"actlab {' '.join(args.args)}, warm": lambda: process(actlab, env)},
                            args.rounds, warm_up=0)
        print(f"{'':44s} {'min':>9s} {'median':>9s}")
        for name, t in times.items():
            print(row(name, t, unit=1, suffix="s"))
        base, ours = (times[name] for name in times)
        print(f"ratio actlab / import jax: min {min(ours) / min(base):.2f}x, median "
              f"{sorted(ours)[len(ours) // 2] / sorted(base)[len(base) // 2]:.2f}x  (goal: close to 1.5x)")
        print(load())


if __name__ == "__main__":
    main()
