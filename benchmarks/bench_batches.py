"""Mini-batches in O(batch): training seconds per step at 1e4 rows against 1e6
rows, same network, same batch (contenders interleaved; min and median).

A table of 8 standardized columns and a binary target (one CSV's worth of
rows, made in numpy), a 16-16 ReLU network, Adam, mini-batches of 256: 1000
and 2000 steps at n = 1e4 and at n = 1e6 (75% of the rows train). An epoch is
a pseudorandom permutation of the rows computed position by position, so a
step costs O(batch) and nothing is O(n) but the data itself. The seconds are
the training program's (``train_seconds``: steps and checkpoints; the final
measurement of every row is timed apart).

    python benchmarks/bench_batches.py [--rounds 5] [--batch 256]
"""

from __future__ import annotations

import argparse
import statistics

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

from _timing import load  # noqa: E402
from actlab.blocks import activations  # noqa: E402
from actlab.blocks.data import Dataset, split  # noqa: E402
from actlab.lab import setup, train  # noqa: E402


def table(n: int, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 8))
    y = (x[:, 0] * x[:, 1] + 0.5 * x[:, 2] > 0).astype(np.int64)
    return split(f"table-{n}", "binary", x, y, tuple(f"c{k}" for k in range(8)), ("0", "1"), 1, 0.25,
                 np.random.default_rng(seed + 1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    act = activations.get("relu")
    runs = {}
    for n in (10_000, 1_000_000):
        ds = table(n)
        for steps in (1000, 2000):
            config, _ = setup.make_config(ds, activation=act, optimizer="adam", hidden=(16, 16), steps=steps,
                                          batch=args.batch)
            runs[(n, steps)] = (config, ds)
    print(f"16-16 relu on 8 columns, adam, batch {args.batch}; backend {jax.default_backend()}, {load()}")
    for config, ds in runs.values():  # compile
        train.train(config, ds, lr=0.01, seed=0)
    seconds = {key: [] for key in runs}
    accuracy = {}
    for _ in range(args.rounds):
        for key, (config, ds) in runs.items():
            r = train.train(config, ds, lr=0.01, seed=0)
            seconds[key].append(r.train_seconds)
            accuracy[key] = r.accuracy
    print(f"{'rows':>10s} {'steps':>6s} {'train s min':>12s} {'median':>9s} {'ms/step':>8s}  test accuracy")
    for (n, steps), t in seconds.items():
        print(f"{n:10,d} {steps:6d} {min(t):12.4f} {statistics.median(t):9.4f} {1e3 * min(t) / steps:8.4f}  "
              f"{accuracy[(n, steps)]:.4f}")
    for steps in (1000, 2000):
        for name, pick in (("min", min), ("median", statistics.median)):
            ratio = pick(seconds[(1_000_000, steps)]) / pick(seconds[(10_000, steps)])
            print(f"ratio 1e6 / 1e4 rows, seconds per step, {steps} steps ({name}): {ratio:5.2f}x  (goal <= 1.5x)")
    print(load())


if __name__ == "__main__":
    main()
