"""The timers the benchmarks share: in-process, and contenders interleaved round-robin."""

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

# The installed entry point beside this Python, as a user runs it.
ACTLAB = [str(Path(sys.executable).with_name("actlab"))]


class Timing(NamedTuple):
    min: float
    median: float
    cpu_min: float | None = None  # CPU seconds of the processes a contender ran, when it says
    cpu_median: float | None = None

    def ratio(self, peer: "Timing") -> str:
        """This one against a peer: "1.23x (median 1.31x)", and the same in CPU
        time when both ran processes (on a busy machine the steadier measure)."""
        text = f"{self.min / peer.min:.2f}x (median {self.median / peer.median:.2f}x)"
        if self.cpu_min is not None and peer.cpu_min is not None:
            text += f" [CPU {self.cpu_min / peer.cpu_min:.2f}x]"
        return text


def interleaved(contenders: dict, rounds: int = 7, warmup: int = 1) -> dict:
    """Wall seconds of each contender (name -> callable), called in turn, round
    after round, so a change in the machine's load touches them all alike; the
    order rotates each round, so that none always runs right after the same one
    (a library whose threads keep spinning after a call slows the next). A
    contender that returns a float reports the CPU seconds it used.

    Returns:
      name -> Timing over ``rounds``, after ``warmup`` rounds (compilation
      included there).
    """
    names = list(contenders)
    times = {name: [] for name in names}
    cpu = {name: [] for name in names}
    for r in range(warmup + rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            used = contenders[name]()
            if r >= warmup:
                times[name].append(time.perf_counter() - start)
                if isinstance(used, float):
                    cpu[name].append(used)
    return {name: Timing(min(t), statistics.median(t), *((min(cpu[name]), statistics.median(cpu[name]))
                                                        if cpu[name] else ()))
            for name, t in times.items()}


def command(args, env=None):
    """A callable that runs ``args`` as a process, fails if it fails, and
    returns the CPU seconds (user + system) the process used; its last
    standard output stays in ``.stdout``."""
    def run():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        run.stdout = subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    run.stdout = ""
    return run


def row(name: str, t: Timing, unit: float = 1e3, suffix: str = "ms") -> str:
    """"name  min  median" of a Timing."""
    return f"{name:44s} {t.min * unit:9.2f} {t.median * unit:9.2f} {suffix}"


def load() -> str:
    """The 1, 5 and 15 minute load averages and the cores, for the record of a run."""
    return f"{' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} cores"
