"""The one in-process timer the benchmarks share."""

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
