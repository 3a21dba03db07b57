"""Start-up cost of the actlab process, against `python -c "import jax"`.

Goals: `actlab --help` and `actlab CMD --help` under 0.5x of importing jax (they
never import it); a second `actlab plot relu --derivative` (compilation cache
warm) under 1.5x.

    python benchmarks/bench_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def wall(cmd, env, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "ACTLAB_CACHE_DIR": cache}
        base = wall([sys.executable, "-c", "import jax"], env, args.repeats)
        print(f"python -c 'import jax': {base:.2f} s (median of {args.repeats})")
        cases = [
            ("actlab --help", ["actlab", "--help"], 0.5),
            ("actlab plot --help", ["actlab", "plot", "--help"], 0.5),
            ("actlab train --help", ["actlab", "train", "--help"], 0.5),
        ]
        for label, cmd, goal in cases:
            t = wall(cmd, env, args.repeats)
            print(f"{label:40s} {t:6.2f} s  {t / base:5.2f}x import jax  (goal < {goal}x)")
        cmd = ["actlab", "plot", "relu", "--derivative"]
        cold = wall(cmd, {**env, "ACTLAB_NO_CACHE": "1"}, args.repeats)
        wall(cmd, env, 1)  # fills the cache
        warm = wall(cmd, env, args.repeats)
        print(f"{'actlab plot relu --derivative, no cache':40s} {cold:6.2f} s  {cold / base:5.2f}x import jax")
        print(f"{'actlab plot relu --derivative, warm cache':40s} {warm:6.2f} s  {warm / base:5.2f}x import jax  (goal < 1.5x)")


if __name__ == "__main__":
    main()
