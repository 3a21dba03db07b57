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


def interleaved(contenders: dict, rounds: int, *, warm_up: bool = True) -> dict:
    """Wall seconds of each contender (name -> fn), called round-robin
    ``rounds`` times so that a change in the machine's load hits all of them
    alike; each called once first to warm up (compile) unless ``warm_up`` is
    False. -> name -> list of seconds."""
    if warm_up:
        for fn in contenders.values():
            fn()
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def process(cmd, env=None) -> float:
    """Wall seconds of one process run to its end (output discarded)."""
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def row(name: str, seconds, unit: float = 1e3, suffix: str = "ms") -> str:
    """"name  min  median" of a list of seconds."""
    return f"{name:44s} {min(seconds) * unit:9.2f} {statistics.median(seconds) * unit:9.2f} {suffix}"


def load() -> str:
    """The 1-minute load average, for the record of a run."""
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
