"""The whole `actlab lessons` catalogue, as a user runs it, against `python -c "import jax"`.

Goal: about a minute on two CPU cores with a warm compilation cache. Prints the
wall and CPU seconds of each run (CPU time is what a busy machine does not
inflate), their ratio to importing jax, and the lessons that cost the most
(from the JSON's per-lesson seconds), which are the ones to trim.

    python benchmarks/bench_lessons.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def run(cmd, env) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "ACTLAB_CACHE_DIR": cache}
        cmd = ["actlab", "lessons", "--json"]
        cold_wall, cold_cpu, _ = run(cmd, env)  # fills the cache
        jax_runs, runs = [], []
        for _ in range(args.repeats):  # interleaved, so both see the same machine
            jax_runs.append(run([sys.executable, "-c", "import jax"], env)[:2])
            runs.append(run(cmd, env))
        base_wall = statistics.median(w for w, _ in jax_runs)
        base_cpu = statistics.median(c for _, c in jax_runs)
        walls, cpus = [w for w, _, _ in runs], [c for _, c, _ in runs]
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        print(f"python -c 'import jax':          {base_wall:6.2f} s wall, {base_cpu:6.2f} s CPU "
              f"(median of {args.repeats})")
        print(f"actlab lessons, cold cache:      {cold_wall:6.2f} s wall, {cold_cpu:6.2f} s CPU")
        print(f"actlab lessons, warm cache:      {wall:6.2f} s wall, {cpu:6.2f} s CPU  "
              f"(min {min(walls):.2f} s wall; {wall / base_wall:.1f}x import jax; goal about 60 s)")
        lessons = json.loads(runs[-1][2])["lessons"]
        print("the costliest lessons (last warm run, seconds in the process):")
        for lesson in sorted(lessons, key=lambda entry: -entry["seconds"])[:8]:
            print(f"  {lesson['id']:26s} {lesson['seconds']:6.2f} s  {lesson['verdict']}")


if __name__ == "__main__":
    main()
