"""The timers the benchmarks share: in-process, and contenders interleaved round-robin."""

import statistics
import subprocess
import time
from typing import NamedTuple


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


class Timing(NamedTuple):
    min: float
    median: float

    def ratio(self, peer: "Timing") -> str:
        """This one against a peer: "1.23x (median 1.31x)"."""
        return f"{self.min / peer.min:.2f}x (median {self.median / peer.median:.2f}x)"


def interleaved(contenders: dict, rounds: int = 7, warmup: int = 1) -> dict:
    """Wall seconds of each contender (name -> callable), called in turn, round
    after round, so a change in the machine's load touches them all alike.

    Returns:
      name -> Timing(min, median) over ``rounds``, after ``warmup`` rounds.
    """
    times = {name: [] for name in contenders}
    for r in range(warmup + rounds):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            if r >= warmup:
                times[name].append(time.perf_counter() - start)
    return {name: Timing(min(t), statistics.median(t)) for name, t in times.items()}


def command(args, env=None):
    """A callable that runs ``args`` as a process (output discarded) and fails if it fails."""
    return lambda: subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)


def load() -> str:
    """The load average as /proc/loadavg says it (1, 5 and 15 minutes)."""
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"
