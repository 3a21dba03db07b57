import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import jax
import pytest

# The CLI turns float64 on at start-up; the tests run the same way.
jax.config.update("jax_enable_x64", True)


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
