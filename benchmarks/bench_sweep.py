"""`actlab sweep` against its peers, whole processes, warm compilation cache.

Contenders run in turn, round after round (interleaved), minimum and median:
  * 4096 XOR networks with the chunk the sweep picks from the memory a run
    needs (one program call) against the same sweep in actlab's first release
    (``FIRST_RELEASE``, taken from git into a temporary folder; its fixed chunk
    was 1024 runs): goal at least 1.4x faster. Also against today's sweep with
    that fixed chunk (``--max-batch 1024``);
  * 1024 XOR networks x 2000 steps in one sweep against one
    ``actlab train xor`` of 2000 steps: goal under 2.5x its wall time.
Also printed: the sweep's own train time per network, from its JSON.

    python benchmarks/bench_sweep.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from _timing import ACTLAB, command, interleaved, load

FIRST_RELEASE = "3623af7"  # the last commit of actlab's first release


def first_release(folder: str) -> bool:
    """Writes the first release's ``actlab`` package into ``folder`` (from this
    checkout's git history); False where git or the commit is not at hand."""
    root = Path(__file__).resolve().parent.parent
    try:
        tar = subprocess.run(["git", "-C", str(root), "archive", FIRST_RELEASE, "actlab"], capture_output=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return False
    safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python 3.11.4 and later
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(folder, **safe)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    sweep4096 = [*ACTLAB, "sweep", "xor", "--seeds", "4096", "--json"]
    sweep1024 = [*ACTLAB, "sweep", "xor", "--seeds", "1024", "--steps", "2000", "--json"]
    train = [*ACTLAB, "train", "xor", "--steps", "2000", "--json"]
    print(f"load average before: {load()}")
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as old:
        env = {**os.environ, "ACTLAB_CACHE_DIR": cache}
        runs = {"4096, memory": command(sweep4096, env),
                "4096, 1024 a call": command([*sweep4096, "--max-batch", "1024"], env),
                "1024 sweep": command(sweep1024, env), "one train": command(train, env)}
        if first_release(old):  # run from that folder; it keeps its cache under $XDG_CACHE_HOME
            old_env = {**env, "PYTHONPATH": old, "XDG_CACHE_HOME": os.path.join(cache, "first")}
            # -P: not this checkout's actlab from the current folder
            runs["4096, first release"] = command([sys.executable, "-P", "-m", "actlab", *sweep4096[1:]], old_env)
        t = interleaved(runs, rounds=args.rounds)  # the warm-up round fills the caches
        out = {"4096": json.loads(runs["4096, memory"].stdout), "1024": json.loads(runs["1024 sweep"].stdout)}
    print(f"actlab sweep xor --seeds 4096 (whole processes, {args.rounds} rounds, warm cache):")
    memory, fixed = t["4096, memory"], t["4096, 1024 a call"]
    print(f"  chunk from memory ({out['4096']['chunk_runs']} runs a call): min {memory.min:.2f} s, "
          f"median {memory.median:.2f} s")
    if "4096, first release" in t:
        first, chunk = t["4096, first release"], json.loads(runs["4096, first release"].stdout)["chunk_runs"]
        print(f"  first release ({FIRST_RELEASE}, {chunk} runs a call): min {first.min:.2f} s, median {first.median:.2f} s: "
              f"{first.ratio(memory)} as long (goal >= 1.4x)")
    else:
        print(f"  first release: not measured (no git history of {FIRST_RELEASE} here)")
    print(f"  --max-batch 1024 (4 calls):            min {fixed.min:.2f} s, median {fixed.median:.2f} s: "
          f"{fixed.ratio(memory)} as long")
    many, one = out["1024"], t["one train"]
    print("1024 XOR networks x 2000 steps (actlab sweep) against one network (actlab train xor --steps 2000):")
    print(f"  actlab train xor: min {one.min:.2f} s, median {one.median:.2f} s")
    print(f"  actlab sweep xor: min {t['1024 sweep'].min:.2f} s = {t['1024 sweep'].ratio(one)} of one run "
          f"(goal < 2.5x); train {many['train_seconds']:.2f} s = "
          f"{1e3 * many['train_seconds'] / many['runs']:.2f} ms a network")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
