"""jax's process-wide settings, made once before anything computes.

    jax = configure()   # float64 available, compiled programs cached on disk

float64 is turned on so that every command can show it; nothing relies on
jax's default dtype. Compiled programs are kept in ``$ACTLAB_CACHE_DIR``
(default: the user's cache folder as ``platformdirs`` finds it on Linux,
macOS or Windows, then ``actlab/jax``), so a second run of a command compiles
nothing; ``ACTLAB_NO_CACHE=1`` turns the cache off. A cache folder that cannot
be used is said once, in one line on stderr, and the run goes on without it.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

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
