"""The in-process timers the benchmarks share."""

import os
import statistics
import time


def median_time(fn, repeats: int = 15) -> float:
    """Median wall seconds of ``fn()`` over ``repeats`` calls, after one
    warm-up call (which also compiles)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved(fns: dict, repeats: int = 21, warmup: int = 2) -> dict:
    """{name: (median, fastest)} wall seconds per callable. After ``warmup``
    calls each (compilation included there), the callables take turns, round
    after round, so a burst of load on the machine hits every one alike; the
    order rotates each round, so that none always runs right after the same
    one (a library whose threads keep spinning after a call slows the next)."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    names = list(fns)
    times = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(ts), min(ts)) for name, ts in times.items()}


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())
