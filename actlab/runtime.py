"""jax's process-wide settings, made once before anything computes.

    jax = configure()   # float64 available, compiled programs cached on disk

float64 is turned on so that every command can show it; nothing relies on
jax's default dtype. Compiled programs are kept in ``$ACTLAB_CACHE_DIR``
(default: the user's cache folder as ``platformdirs`` finds it on Linux,
macOS or Windows, then ``actlab/jax``), so a second run of a command compiles
nothing; ``ACTLAB_NO_CACHE=1`` turns the cache off. A cache folder that cannot
be used is said once, in one line on stderr, and the run goes on without it.

``saved_program(key, build)`` goes one step further for a program a command
compiles every time (``actlab train``'s): the compiled program itself is kept
in the cache folder under a key that names everything it is built from, so a
later process loads it without tracing or lowering anything.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import pickle
import sys
import tempfile
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path

from actlab.limits import open_regular

_configured = False


def cache_dir() -> Path:
    """Where compiled programs are cached."""
    if os.environ.get("ACTLAB_CACHE_DIR"):
        return Path(os.environ["ACTLAB_CACHE_DIR"]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("actlab", appauthor=False)) / "jax"


def configure():
    """Turns on float64 and the persistent compilation cache, once; returns jax."""
    global _configured
    import jax

    if _configured:
        return jax
    _configured = True
    jax.config.update("jax_enable_x64", True)
    if os.environ.get("ACTLAB_NO_CACHE"):
        return jax
    folder = cache_dir()
    problem = _unusable(folder)
    if problem:
        print(f"actlab: compilation cache {str(folder)!r} {problem}; running without it "
              "(set ACTLAB_CACHE_DIR, or ACTLAB_NO_CACHE=1)", file=sys.stderr)
        return jax
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    # A cache that fails later (a full disk) costs a recompile, never the run:
    # jax's own warnings about it would be noise with site-packages paths.
    warnings.filterwarnings("ignore", message=".*[Cc]ache.*", category=UserWarning, module="jax")
    return jax


def compile(lowered, device):
    """``lowered.compile()`` with XLA options that suit actlab's small programs on ``device``.

    On a CPU, LLVM's optimization level 1 instead of 2: the training programs
    compile in about 60% of the time and run as fast (measured on vmapped XOR
    and moons runs and a digits network). An XLA that lacks the option
    compiles with its defaults.
    """
    if device.platform != "cpu":
        return lowered.compile()
    try:
        return lowered.compile({"xla_backend_optimization_level": 1})
    except Exception as e:  # jax's runtime error type has moved between versions
        if "compile option" not in str(e):
            raise
        return lowered.compile()


PROGRAMS = "actlab-programs"  # the saved programs' folder, inside the cache folder


def saved_program(key, build: Callable[[dict], tuple]) -> tuple:
    """``build(compiler_options)`` -> (compiled program, companion), or what an
    earlier process saved under ``key`` when jax's cache folder is on (``configure``).

    ``key`` must name everything the program is built from besides actlab's
    own code, jax and the devices, which join it here (any change to a file of
    the actlab package gives other keys). ``companion`` is any picklable value
    that goes with the program. A file that cannot be read or loaded is built
    again; a save that fails costs only the next process a build.

    A program that jax took from its own cache cannot be written out whole (it
    would fail when run), so a program to save is compiled with a debug option
    that changes nothing in its code but makes jax's key new (``_fresh_options``):
    it is compiled afresh, and not written to jax's cache, where nothing would
    find it. Programs are saved on CPUs only, where this round trip is tested;
    elsewhere jax's cache serves. As with jax's cache, the folder must be the
    user's own: loading a program runs its code.
    """
    import jax

    path = _program_path(key)
    if path is None:
        return build(None)
    from jax.experimental import serialize_executable

    device = jax.devices()[0]
    try:
        with open_regular(path, what="saved program") as f:  # a FIFO put there does not stop the run
            serialized, in_tree, out_tree, companion = pickle.loads(zlib.decompress(f.read()))
        return serialize_executable.deserialize_and_load(serialized, in_tree, out_tree,
                                                         execution_devices=[device]), companion
    except Exception:  # missing, cut short, or from another build of jax: built again
        pass
    hits = _jax_cache_hits()
    least = jax.config.jax_persistent_cache_min_compile_time_secs
    jax.config.update("jax_persistent_cache_min_compile_time_secs", math.inf)  # jax need not keep it too
    try:
        compiled, companion = build(_fresh_options())
    finally:
        jax.config.update("jax_persistent_cache_min_compile_time_secs", least)
    if _jax_cache_hits() == hits:  # compiled now, as it should have been
        try:
            payload = pickle.dumps((*serialize_executable.serialize(compiled), companion))
            _write_new(path, zlib.compress(payload, 1))  # about a quarter of the size, in a few ms
        except Exception:  # a full disk, an executable that cannot be serialized
            pass
    return compiled, companion


def _fresh_options() -> dict:
    """An XLA option that only bounds a debug printout, which is never made:
    a number drawn anew each time keeps jax from finding the program in its own
    cache (jax's key leaves out the dump options, not this one)."""
    return {"xla_debug_buffer_assignment_show_max": int.from_bytes(os.urandom(3), "big") + 1}


def _program_path(key) -> Path | None:
    import jax
    import jaxlib

    folder = jax.config.jax_compilation_cache_dir
    device = jax.devices()[0]
    if not folder or device.platform != "cpu":  # on other devices, jax's cache alone
        return None
    code = _code_digest()
    if code is None:
        return None
    # jax's settings shape the traced program (x64, the PRNG, debug checks); those
    # of its cache and its logs do not
    settings = sorted((k, repr(v)) for k, v in jax.config.values.items()
                      if not any(word in k for word in ("cache", "log_compiles", "explain")))
    names = (key, code, jax.__version__, jaxlib.__version__, device.platform, device.device_kind,
             device.client.platform_version, _cpu_features(), jax.process_index(), settings,
             os.environ.get("XLA_FLAGS", ""))
    return Path(folder) / PROGRAMS / f"{hashlib.sha256(repr(names).encode()).hexdigest()}.pkl"


@functools.cache
def _cpu_features() -> str:
    """The host CPU's instruction sets (XLA compiles for them): a cache folder
    shared by machines does not hand one's program to another."""
    import platform

    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):  # x86, ARM
                    return line
    except OSError:
        pass
    return f"{platform.machine()} {platform.processor()}"


@functools.cache
def _code_digest() -> str | None:
    """A digest of every Python file of the actlab package (None without its
    sources, where a change of code could not be told)."""
    from actlab import __version__

    root = Path(__file__).parent
    digest = hashlib.sha256(__version__.encode())
    sources = sorted(root.rglob("*.py"))
    for path in sources:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest() if sources else None


_hits = [0]


@functools.cache
def _listen_to_jax_cache() -> None:
    import jax

    def heard(event, **_):
        if event == "/jax/compilation_cache/cache_hits":
            _hits[0] += 1

    jax.monitoring.register_event_listener(heard)


def _jax_cache_hits() -> int:
    _listen_to_jax_cache()
    return _hits[0]


def _write_new(path: Path, payload: bytes) -> None:
    """Writes ``path`` whole or not at all: a temporary file beside it, renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _unusable(folder: Path) -> str | None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return f"cannot be created ({e.strerror or e})"
    if not folder.is_dir():
        return "is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return "is not writable"
    return None
