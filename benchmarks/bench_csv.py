"""CSV loading against ``np.loadtxt`` on 1e6 rows (interleaved; min and median).

A file of 4 float columns and an integer label (40 MB). actlab reads it with
numpy's C parser and checks it (header, shape, finite values); a file that
parser refuses is read again cell by cell, which names the line and column at
fault: that slow path is timed too, on the same file with one bad cell on its
last line.

    python benchmarks/bench_csv.py [--rows 1000000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

from _timing import interleaved, load, row
from actlab.blocks import data
from actlab.errors import ActlabError


def write(path, n, bad=False):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 4))
    y = (x[:, 0] * x[:, 1] > 0).astype(int)
    with open(path, "w") as f:
        f.write("a,b,c,d,label\n")
        np.savetxt(f, np.column_stack([x, y]), fmt=["%.6f"] * 4 + ["%d"], delimiter=",")
        if bad:
            f.write("1.0,oops,3.0,4.0,1\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        good, bad = os.path.join(tmp, "good.csv"), os.path.join(tmp, "bad.csv")
        write(good, args.rows)
        write(bad, args.rows, bad=True)
        print(f"{args.rows:,} rows x 5 columns ({os.path.getsize(good) / 1e6:.0f} MB), {load()}")

        def refused():
            try:
                data.read_table(bad)
            except ActlabError as e:
                return str(e)
            raise AssertionError("the bad file was read")

        contenders = {
            "np.loadtxt": lambda: np.loadtxt(good, delimiter=",", skiprows=1),
            "actlab read_table": lambda: data.read_table(good),
            "actlab load_csv (+ split, targets)": lambda: data.load_csv(good, ["label"]),
        }
        times = interleaved(contenders, args.rounds, warmup=0)
        print(f"{'':44s} {'min':>9s} {'median':>9s}")
        for name, t in times.items():
            print(row(name, t, unit=1, suffix="s"))
        base = times["np.loadtxt"].min
        for name in ("actlab read_table", "actlab load_csv (+ split, targets)"):
            print(f"ratio {name} / np.loadtxt (min): {times[name].min / base:5.2f}x  (goal <= 1.5x)")
        slow = interleaved({"a bad cell on the last line (careful reader)": refused}, 1, warmup=0)
        print(row("a bad cell on the last line (careful reader)", next(iter(slow.values())), unit=1, suffix="s"))
        print(f"  its message: {refused().replace(bad, 'bad.csv')}")
        print(load())


if __name__ == "__main__":
    main()
