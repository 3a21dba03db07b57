"""What fits: numbers in a dtype, work in memory, files actlab reads.

Plain Python (neither numpy nor jax), so the command line checks options with
it before anything heavy is imported, and every layer shares the same rules:

    in_dtype(1e300, "float32", "--lr")     # ActlabError: beyond float32's range
    check_memory(need, "this network (...)", "a smaller --hidden")   # ActlabError before allocating
    text = read_text("data.csv", what="--data")   # a regular file of at most MAX_READ_BYTES

A size that cannot fit is refused before anything is allocated: each
experiment estimates what it will need (``training_bytes`` and its own
arithmetic) and ``check_memory`` compares it with what this process may still
allocate. An allocation that fails anyway (the estimate is a few-fold
approximation) is turned into the same message by ``out_of_memory``.
"""

from __future__ import annotations

import os
import re
import stat
import sys

from actlab.errors import ActlabError

# Step counters and sizes: what an int32 holds, the index type of the compiled programs.
MAX_COUNT = 2**31 - 1
MAX_SEED = 2**32 - 1
# A CSV file is parsed in memory: at most this many bytes (some 25 million numbers).
MAX_READ_BYTES = 250_000_000

DTYPE_MAX = {"float16": 65504.0, "bfloat16": 3.3895313892515355e38,
             "float32": 3.4028234663852886e38, "float64": 1.7976931348623157e308}
# N(0, std^2) draws stay within this many std (beyond: probability 1e-15).
DRAW_SIGMAS = 8
# The smallest normal number: XLA on CPU flushes smaller ones to zero.
DTYPE_TINY = {"float16": 6.103515625e-05, "bfloat16": 1.1754943508222875e-38,
              "float32": 1.1754943508222875e-38, "float64": 2.2250738585072014e-308}


# --- numbers in a dtype ----------------------------------------------------------------


def in_dtype(value: float, dtype: str, what: str, *, positive: bool = False, std: bool = False) -> float:
    """``value`` if ``dtype`` holds it, else an ActlabError naming ``what``.

    Held: finite and at most the dtype's largest number (a standard deviation,
    ``std``: its draws, up to ``DRAW_SIGMAS`` times it); with ``positive``, at
    least the dtype's smallest normal number.
    """
    largest, tiny = DTYPE_MAX[dtype], DTYPE_TINY[dtype]
    if std and not abs(value) <= largest / DRAW_SIGMAS:
        raise ActlabError(f"bad {what} {value:g}: its draws (up to {DRAW_SIGMAS} times it) overflow {dtype} "
                          f"(largest {largest:.6g}); it must be at most {largest / DRAW_SIGMAS:.6g}")
    if not abs(value) <= largest:  # also nan
        raise ActlabError(f"bad {what} {value:g}: beyond the range of {dtype} (largest {largest:.6g}); "
                          "use a smaller value or a wider --dtype")
    if positive and not value >= tiny:
        raise ActlabError(f"bad {what} {value:g}: must be at least {tiny:.6g} in {dtype} (its smallest "
                          "normal number; below it the value rounds toward 0)")
    return value


# --- memory ----------------------------------------------------------------------------


def training_bytes(sizes, rows: int, itemsize: int) -> int:
    """About what one network of layer widths ``sizes`` (inputs first) needs
    while it trains on ``rows`` examples at once: its parameters eight times
    (weights, gradients, two optimizer moments, the update and the step's
    copies) and its units six times per row (z, f(z), f'(z) and their gradients)."""
    params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    return itemsize * (8 * params + 6 * rows * sum(sizes))


def check_memory(need: int, what: str, hint: str, *, device=None) -> None:
    """Refuses work whose estimate does not fit.

    Args:
      need: bytes the work needs.
      what: the work, in words a user recognises ("the 2-16-1 network on 4 rows").
      hint: what to change, e.g. "use a smaller --hidden".
      device: a jax device: the work's arrays live there (on a CPU, in the
        host's memory); None: on the host.

    Raises:
      ActlabError: the one-line message of ``too_big``.
    """
    have = free_memory(device)
    if have is not None and need > have[0]:
        raise too_big(what, need, have, hint)


def free_memory(device=None) -> tuple[int, str] | None:
    """(bytes, where) free on ``device`` (an accelerator, as jax says), else on the host."""
    return _device_stats(device) or available_memory()


def too_big(what: str, need: int | None, have: tuple[int, str] | None, hint: str) -> ActlabError:
    """The one message for work that does not fit in memory."""
    needs = f"needs about {fmt_bytes(need)} of memory, more than" if need else "needs more memory than"
    where = f"the {fmt_bytes(have[0])} {have[1]}" if have else "there is"
    return ActlabError(f"{what} {needs} {where}; {hint}")


def out_of_memory(error: BaseException) -> ActlabError | None:
    """An allocation that failed (a MemoryError, or XLA's RESOURCE_EXHAUSTED) as
    the message of ``too_big``; None for any other error."""
    text = str(error)
    if not (isinstance(error, MemoryError) or "RESOURCE_EXHAUSTED" in text):
        return None
    asked = re.search(r"allocat\w* (\d+) bytes", text)
    jax = sys.modules.get("jax")  # the run's device: an accelerator's memory, or the host's
    device = jax.devices()[0] if jax is not None and not isinstance(error, MemoryError) else None
    return too_big("this run", int(asked.group(1)) if asked else None, free_memory(device),
                   "use smaller sizes (--hidden, --samples, --batch, --seeds, --max-batch, --width)")


def fmt_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.3g} {unit}"
        n /= 1000
    return ""


def available_memory() -> tuple[int, str] | None:
    """(bytes, where they are) that this process may still allocate on the host:
    the smallest of what the kernel says is available, what the cgroup (a
    container's limit) leaves, and what the address-space and data limits
    (``ulimit -v``, ``ulimit -d``) leave; None where none of these can be read."""
    found = []
    meminfo = _read_kv("/proc/meminfo")
    if "MemAvailable" in meminfo:
        found.append((meminfo["MemAvailable"] * 1024, "available on this machine"))
    elif hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        found.append((os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"), "on this machine"))
    for limit, usage in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                         ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                          "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        cap, used = _read_int(limit), _read_int(usage)
        if cap is not None and used is not None and cap < 2**60:
            found.append((max(0, cap - used), "left in this container"))
            break
    found += _rlimits()
    return min(found) if found else None


def _rlimits():
    try:
        import resource
    except ImportError:  # not on Windows
        return []
    status = _read_kv("/proc/self/status")
    out = []
    for name, field in (("RLIMIT_AS", "VmSize"), ("RLIMIT_DATA", "VmData")):
        soft = resource.getrlimit(getattr(resource, name))[0]
        if soft != resource.RLIM_INFINITY:
            used = status.get(field, 0) * 1024
            out.append((max(0, soft - used), f"left under the limit of ulimit -{'v' if field == 'VmSize' else 'd'}"))
    return out


def _device_stats(device):
    """(free bytes, where) of an accelerator; None on a CPU or where jax cannot say."""
    if device is None or getattr(device, "platform", "cpu") == "cpu":
        return None
    try:
        stats = device.memory_stats() or {}
    except Exception:  # a backend without memory statistics
        return None
    if "bytes_limit" not in stats:
        return None
    return (stats["bytes_limit"] - stats.get("bytes_in_use", 0), f"free on {device.platform} {device.id}")


def _read_kv(path: str) -> dict[str, int]:
    out = {}
    try:
        with open(path) as f:
            for line in f:
                key, _, rest = line.partition(":")
                words = rest.split()
                if words and words[0].isdigit():
                    out[key] = int(words[0])
    except OSError:
        pass
    return out


def _read_int(path: str) -> int | None:
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):  # missing, or "max"
        return None


# --- files actlab reads ------------------------------------------------------------------


def read_text(path, *, what: str, limit: int = MAX_READ_BYTES) -> str:
    """The text (UTF-8, a byte-order mark allowed) of a regular file of at most
    ``limit`` bytes. A FIFO, a device or a folder is refused without waiting on
    it or reading it.

    Raises:
      ActlabError: missing, not a regular file, too large, unreadable or not UTF-8.
    """
    name = os.fspath(path)
    with open_regular(path, what=what, limit=limit) as f:
        try:
            content = f.read(limit + 1)
        except OSError as e:
            raise ActlabError(f"cannot read {what} file {name!r}: {e.strerror or e}") from None
    if len(content) > limit:  # it grew while read
        raise ActlabError(f"bad {what} {name!r}: over the {fmt_bytes(limit)} that actlab reads")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ActlabError(f"cannot read {what} file {name!r}: not UTF-8 text (byte {e.start})") from None


def open_regular(path, *, what: str, limit: int = MAX_READ_BYTES):
    """``path`` opened for reading in binary, once checked to be a regular file
    of at most ``limit`` bytes: a FIFO, a device or a folder is refused without
    waiting on it or reading it. Read what the check saw: a name the file could
    be swapped under is not opened twice.

    Raises:
      ActlabError: missing, not a regular file, too large or unreadable.
    """
    name = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(name, flags)  # O_NONBLOCK: a FIFO opens without waiting for a writer
    except FileNotFoundError:
        raise ActlabError(f"{what} file {name!r} does not exist") from None
    except OSError as e:
        raise ActlabError(f"cannot read {what} file {name!r}: {e.strerror or e}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            mode = info.st_mode
            kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else
                    "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")
            raise ActlabError(f"bad {what} {name!r}: it is {kind}; expected a regular file")
        if info.st_size > limit:
            raise ActlabError(f"bad {what} {name!r}: {fmt_bytes(info.st_size)} is over the {fmt_bytes(limit)} "
                              "that actlab reads (it parses the file in memory)")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
