import atexit
import contextlib
import csv
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# The suite neither reads nor fills the user's cache folder: its compiled
# programs go to a folder of its own, shared by the tests and the processes
# they start, and removed at the end. (A program an earlier run left there
# would change what the tests count, e.g. the compilations of a training run.)
os.environ["ACTLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="actlab-tests-")
atexit.register(shutil.rmtree, os.environ["ACTLAB_CACHE_DIR"], ignore_errors=True)

import jax  # noqa: E402
import pytest  # noqa: E402

# The CLI turns float64 on at start-up; the tests run the same way.
jax.config.update("jax_enable_x64", True)


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs():
    """After each test module, the compiled programs are let go: the suite
    compiles thousands of small programs in one process, and each holds memory
    mappings of its code; past the kernel's limit on mappings per process
    (vm.max_map_count, 65530 by default) the compiler fails for want of one."""
    yield
    for module in [m for name, m in sys.modules.items() if name.startswith("actlab.")]:
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)) and hasattr(value, "cache_info"):
                value.cache_clear()
        programs = vars(module).get("_PROGRAMS")
        if isinstance(programs, dict):
            programs.clear()
    jax.clear_caches()


@pytest.fixture(autouse=True)
def _mpmath_precision(request):
    """Each test at its module's mpmath precision (``MP_DPS``): the modules'
    ``mp.dps = N`` lines all run at collection, and the last one would win."""
    dps = getattr(request.module, "MP_DPS", None)
    if dps is None:
        yield
        return
    import mpmath

    with mpmath.workdps(dps):
        yield


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()


@pytest.fixture
def read_only_folder():
    """Makes a folder nobody may write in: mode 0555, or for root (who writes
    anyway) the immutable attribute; a context manager that undoes it."""

    @contextlib.contextmanager
    def make(path: Path):
        path.mkdir()
        if os.geteuid() != 0:
            os.chmod(path, 0o555)
            undo = ["chmod", "755", str(path)]
        elif shutil.which("chattr") and subprocess.run(["chattr", "+i", str(path)]).returncode == 0:
            undo = ["chattr", "-i", str(path)]
        else:
            pytest.skip("root without chattr: no folder is read-only")
        try:
            yield path
        finally:
            subprocess.run(undo, check=True)

    return make


@pytest.fixture
def write_csv():
    """write_csv(path, header, rows) -> path: a CSV file as a user would have one."""

    def write(path: Path, header, rows) -> Path:
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
        return path

    return write
