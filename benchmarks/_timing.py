"""The timers the benchmarks share."""

import os
import statistics
import subprocess
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


def interleaved(contenders: dict, rounds: int, *, warm_up: int = 2) -> dict:
    """Wall seconds of each contender (name -> fn): after ``warm_up`` calls
    each (compilation included there), they take turns ``rounds`` times, so
    that a change in the machine's load hits all of them alike; the order
    rotates each round, so that none always runs right after the same one (a
    library whose threads keep spinning after a call slows the next).
    -> name -> list of seconds."""
    for fn in contenders.values():
        for _ in range(warm_up):
            fn()
    names = list(contenders)
    times = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - start)
    return times


def spread(seconds) -> tuple[float, float]:
    """(median, fastest) of a list of seconds."""
    return statistics.median(seconds), min(seconds)


def process(cmd, env=None) -> float:
    """Wall seconds of one process run to its end (output discarded)."""
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def row(name: str, seconds, unit: float = 1e3, suffix: str = "ms") -> str:
    """"name  min  median" of a list of seconds."""
    return f"{name:44s} {min(seconds) * unit:9.2f} {statistics.median(seconds) * unit:9.2f} {suffix}"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def load() -> str:
    """The load averages and the cores, for the record of a run."""
    return f"load average {load_average()} on {os.cpu_count()} cores"
