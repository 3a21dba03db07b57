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
import sys
import tempfile

from _timing import ACTLAB, command, interleaved, load


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"load average before: {load()}")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "ACTLAB_CACHE_DIR": cache}
        lessons = command([*ACTLAB, "lessons", "--json"], env)
        cold = interleaved({"cold": lessons}, rounds=1, warmup=0)["cold"]  # fills the cache
        t = interleaved({"import jax": command([sys.executable, "-c", "import jax"], env), "lessons": lessons},
                        rounds=args.repeats, warmup=0)
    base, warm = t["import jax"], t["lessons"]
    print(f"python -c 'import jax':          {base.median:6.2f} s wall, {base.cpu_median:6.2f} s CPU "
          f"(median of {args.repeats})")
    print(f"actlab lessons, cold cache:      {cold.median:6.2f} s wall, {cold.cpu_median:6.2f} s CPU")
    print(f"actlab lessons, warm cache:      {warm.median:6.2f} s wall, {warm.cpu_median:6.2f} s CPU  "
          f"(min {warm.min:.2f} s wall; {warm.median / base.median:.1f}x import jax; goal about 60 s)")
    print("the costliest lessons (last warm run, seconds in the process):")
    for lesson in sorted(json.loads(lessons.stdout)["lessons"], key=lambda entry: -entry["seconds"])[:8]:
        print(f"  {lesson['id']:26s} {lesson['seconds']:6.2f} s  {lesson['verdict']}")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
