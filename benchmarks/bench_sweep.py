"""1024 XOR networks x 2000 steps in one `actlab sweep` against one `actlab train xor`.

Whole processes on the same machine in the same run, so start-up, jax import
and loading compiled programs count on both sides. Goal: the sweep under 2.5x
the wall time of the single run. Both are measured with a warm compilation
cache (a first run of each fills it; that cold time is printed too) and with
a cold one (ACTLAB_NO_CACHE=1), median of several repeats. Also printed: the
sweep's own train time per network, from its JSON.

    python benchmarks/bench_sweep.py [--repeats 3] [--networks 1024] [--steps 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def wall(cmd, env, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        out = proc.stdout
    return statistics.median(times), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--networks", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=2000)
    args = ap.parse_args()
    actlab = [sys.executable, "-m", "actlab"]
    train = [*actlab, "train", "xor", "--steps", str(args.steps), "--json"]
    sweep = [*actlab, "sweep", "xor", "--seeds", str(args.networks), "--steps", str(args.steps), "--json"]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "ACTLAB_CACHE_DIR": cache}
        cold = {**env, "ACTLAB_NO_CACHE": "1"}
        print(f"{args.networks} XOR networks x {args.steps} steps (actlab sweep) vs one network "
              f"(actlab train xor), whole processes, median of {args.repeats}")
        for label, e in (("no compilation cache", cold), ("warm compilation cache", env)):
            if e is env:  # fill the cache first
                wall(train, env, 1)
                wall(sweep, env, 1)
            t_train, out_train = wall(train, e, args.repeats)
            t_sweep, out_sweep = wall(sweep, e, args.repeats)
            one, many = json.loads(out_train), json.loads(out_sweep)
            c = many["configs"][0]
            print(f"  {label}:")
            print(f"    actlab train xor      {t_train:6.2f} s  (compile {one['compile_seconds']:.2f} s, "
                  f"train {one['train_seconds']:.2f} s)")
            print(f"    actlab sweep xor      {t_sweep:6.2f} s  (compile {many['compile_seconds']:.2f} s, "
                  f"train {many['train_seconds']:.2f} s = "
                  f"{1e3 * many['train_seconds'] / many['runs']:.2f} ms "
                  f"a network; success {c['successes']}/{c['seeds']}, {many['devices']} device(s))")
            goal = "  (goal < 2.5x)" if e is env else ""
            print(f"    ratio sweep / train   {t_sweep / t_train:6.2f}x{goal}")


if __name__ == "__main__":
    main()
