"""What actlab writes: checked before the work, written whole at the end, never
replacing what it did not check. In-process cases for each rule, and real
processes for what only processes show: two writers at once, a signal in the
middle of a write, a full disk, a folder the user cannot write."""

import errno
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from actlab.cli import cli
from actlab.errors import ActlabError
from actlab.render import files

PNG = b"\x89PNG\r\n\x1a\n"

# A run folder of xor: every file but the pictures of misread images.
XOR_RUN_FILES = sorted(["params.npz", "history.csv", "result.json", "figure.png", "layers.csv", "run.json"])


def leftovers(folder: Path) -> list[str]:
    """Temporary files or folders actlab may have left (their names start with a dot)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --- checked before the work -----------------------------------------------------------


@pytest.mark.parametrize("make, overwrite, words", [
    (lambda p: p.symlink_to(p.parent / "nowhere.png"), False, "symbolic link"),
    (lambda p: p.symlink_to(p.parent / "nowhere.png"), True, "symbolic link"),
    (lambda p: p.mkdir(), True, "folder"),
    (lambda p: os.mkfifo(p), True, "FIFO"),
    (lambda p: p.write_bytes(b"mine"), False, "--overwrite"),
])
def test_only_regular_files_are_ever_replaced(tmp_path, make, overwrite, words):
    path = tmp_path / "out.png"
    make(path)
    before = os.lstat(path)
    with pytest.raises(ActlabError, match=words):
        files.check_save_path(str(path), overwrite=overwrite)
    after = os.lstat(path)
    assert (after.st_mode, after.st_ino, after.st_size) == (before.st_mode, before.st_ino, before.st_size)
    assert not (tmp_path / "nowhere.png").exists()  # a dangling link is never followed into a file


def test_a_character_device_is_never_replaced(runner, tmp_path):
    # A private /dev/null: were the check broken, the machine's own would be replaced.
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs root")
    result = runner.invoke(cli, ["sweep", "xor", "--seeds", "2", "--steps", "5", "--csv", str(device),
                                 "--overwrite"])
    assert result.exit_code == 2 and "character device" in result.stderr and "--csv" in result.stderr
    assert stat.S_ISCHR(os.lstat(device).st_mode)


@pytest.mark.parametrize("args", [["plot", "relu", "--save", ""],
                                  ["grad", "relu", "--depth", "2", "--save", ""],
                                  ["train", "xor", "--steps", "5", "--save", ""],
                                  ["sweep", "xor", "--seeds", "2", "--steps", "5", "--csv", ""]])
def test_an_empty_output_name_is_refused(runner, args):
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "''" in result.stderr
    assert ("--csv" if "--csv" in args else "--save") in result.stderr


# --- written at the end, exclusively --------------------------------------------------


def test_a_file_created_during_the_work_is_kept(tmp_path):
    path = tmp_path / "late.csv"
    target = files.check_save_path(str(path), formats=None, option="--csv")
    path.write_text("the user's own\n")  # while the work runs
    with pytest.raises(ActlabError, match="--csv .*kept"):
        files.write_text(target, "a,b\n1,2\n")
    assert path.read_text() == "the user's own\n"
    assert leftovers(tmp_path) == []
    # with --overwrite a regular file is replaced; a link that took its place is not
    target = files.check_save_path(str(path), formats=None, option="--csv", overwrite=True)
    files.write_text(target, "a,b\n1,2\n")
    assert path.read_text() == "a,b\n1,2\n"
    path.unlink()
    path.symlink_to(tmp_path / "elsewhere.csv")
    with pytest.raises(ActlabError, match="symbolic link"):
        files.write_text(target, "x\n")
    assert path.is_symlink() and not (tmp_path / "elsewhere.csv").exists()


def test_sweep_csv_created_while_the_sweep_ran_is_kept(runner, tmp_path, monkeypatch):
    from actlab.lab import sweep

    path = tmp_path / "late.csv"
    real = sweep.sweep

    def sweep_then_user_writes(*args, **kw):
        out = real(*args, **kw)
        path.write_text("the user's own\n")
        return out

    monkeypatch.setattr(sweep, "sweep", sweep_then_user_writes)
    result = runner.invoke(cli, ["sweep", "xor", "--seeds", "2", "--steps", "5", "--json", "--csv", str(path)])
    assert result.exit_code == 2 and "--overwrite" in result.stderr
    assert path.read_text() == "the user's own\n"
    assert leftovers(tmp_path) == []


def test_a_folder_appears_whole_or_not_at_all(tmp_path):
    folder = tmp_path / "run"
    target = files.check_save_dir(str(folder))
    written = []

    def write(tmp, fail_at="c.txt"):
        for name in ("a.txt", "b.txt", "c.txt", "d.txt"):
            if name == fail_at:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp / name))
            (tmp / name).write_text("x")
            written.append(name)

    with pytest.raises(ActlabError, match="No space left"):
        files.write_folder(target, write)
    assert written == ["a.txt", "b.txt"] and not folder.exists() and leftovers(tmp_path) == []
    # a rerun is not refused, and a non-empty folder that appeared meanwhile is kept
    target = files.check_save_dir(str(folder))
    folder.mkdir()
    (folder / "mine.txt").write_text("mine")
    with pytest.raises(ActlabError, match="kept"):
        files.write_folder(target, lambda tmp: write(tmp, fail_at=None))
    assert os.listdir(folder) == ["mine.txt"] and leftovers(tmp_path) == []


def test_overwrite_replaces_a_run_folder_whole_and_nothing_else(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    for name in files.RUN_FILES:
        (folder / name).write_text("old")
    target = files.check_save_dir(str(folder), overwrite=True)
    files.write_folder(target, lambda tmp: (tmp / "result.json").write_text("{}"))
    assert os.listdir(folder) == ["result.json"] and (folder / "result.json").read_text() == "{}"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~_umask()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(ActlabError, match="notes.txt"):
        files.check_save_dir(str(folder), overwrite=True)
    assert leftovers(tmp_path) == []


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- real processes ------------------------------------------------------------------

# Runs the real command line after a prelude that stands in for the world
# around it: what happens while the figure is being written.
MAIN = "import sys\nfrom actlab.cli import main\nmain()\n"
GATE = '''
import os, time, matplotlib.figure
_save = matplotlib.figure.Figure.savefig
def savefig(self, *args, **kw):
    # both processes have checked their path and finished their work: write together
    open(os.path.join({gate!r}, str(os.getpid())), "w").close()
    deadline = time.monotonic() + 120
    while len(os.listdir({gate!r})) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    return _save(self, *args, **kw)
matplotlib.figure.Figure.savefig = savefig
'''
SIGNAL = '''
import os, signal, matplotlib.figure
def savefig(self, fname, *args, **kw):
    with open(fname, "wb") as f:
        f.write(b"half a figure")
        f.flush()
        os.kill(os.getpid(), signal.{name})
        f.write(b" and the rest")
matplotlib.figure.Figure.savefig = savefig
'''
STUCK = '''
import os, matplotlib.figure
def savefig(self, fname, *args, **kw):
    with open(fname, "wb") as f:
        f.write(b"half a figure")
        f.flush()
        # the signal arrives while the main thread waits in a library call (as
        # in a long compiled step), where no Python signal handler can run
        os.system(f"kill -TERM {os.getpid()}; exec sleep 100 >/dev/null 2>&1")
matplotlib.figure.Figure.savefig = savefig
'''


def actlab(args, *, cwd, prelude="", wait=True, **kw):
    env = {**os.environ, "ACTLAB_NO_PLUGINS": "1", "COLUMNS": "80", **kw.pop("env", {})}
    proc = subprocess.Popen([sys.executable, "-c", prelude + MAIN, *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    return finish(proc) if wait else proc


def finish(proc, timeout=300):
    """(stdout, stderr, exit code); a process still running after ``timeout`` is killed."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return out, err, proc.returncode


@pytest.mark.multiprocess
@pytest.mark.parametrize("args, name", [(["plot", "relu", "--save", "out.png"], "out.png"),
                                        (["train", "xor", "--steps", "20", "--save", "run"], "run")])
def test_two_writers_at_once_one_result_is_kept_whole(tmp_path, args, name):
    gate = tmp_path / "gate"
    gate.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    procs = [actlab(args, cwd=work, prelude=GATE.format(gate=str(gate)), wait=False) for _ in range(2)]
    outs = [finish(p) for p in procs]
    codes = sorted(code for _, _, code in outs)
    assert codes == [0, 2], outs
    (err,) = [e for _, e, code in outs if code == 2]
    assert "was created while actlab worked" in err and err.count("\n") == 1
    out = work / name
    if out.is_dir():
        assert sorted(os.listdir(out)) == XOR_RUN_FILES
        assert json.loads((out / "result.json").read_text())["dataset"] == "xor"
        out = out / "figure.png"
    assert out.read_bytes().startswith(PNG)
    assert leftovers(work) == []


@pytest.mark.multiprocess
@pytest.mark.parametrize("sig, code", [("SIGTERM", 143), ("SIGHUP", 129), ("SIGINT", 130)])
def test_a_signal_during_a_figure_write_leaves_nothing(tmp_path, sig, code):
    _, err, rc = actlab(["plot", "relu", "--save", "out.png"], cwd=tmp_path, prelude=SIGNAL.format(name=sig))
    assert rc == code, err
    assert os.listdir(tmp_path) == []
    assert err.strip().splitlines()[-1] in ("Interrupted.", f"Stopped by {sig}.")


@pytest.mark.multiprocess
def test_a_signal_while_a_library_call_blocks_still_stops_and_cleans_up(tmp_path):
    proc = actlab(["plot", "relu", "--save", "out.png"], cwd=tmp_path, prelude=STUCK, wait=False,
                  start_new_session=True)
    try:
        _, err, rc = finish(proc, timeout=60)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the shell's sleep outlives the process
    assert rc == 143 and err.strip().splitlines()[-1].startswith("Stopped by SIGTERM. (forced")
    assert os.listdir(tmp_path) == []


@pytest.mark.multiprocess
def test_a_signal_during_a_run_folder_write_leaves_nothing_and_a_rerun_works(tmp_path):
    args = ["train", "xor", "--steps", "20", "--save", "run"]
    _, err, rc = actlab(args, cwd=tmp_path, prelude=SIGNAL.format(name="SIGTERM"))
    assert rc == 143 and "Stopped by SIGTERM." in err
    assert os.listdir(tmp_path) == []
    _, err, rc = actlab(args, cwd=tmp_path)
    assert rc == 0, err
    assert sorted(os.listdir(tmp_path / "run")) == XOR_RUN_FILES


# Past 16 KB a write fails as on a full disk (Python ignores SIGXFSZ).
SMALL_FILES = "import resource\nresource.setrlimit(resource.RLIMIT_FSIZE, (16384, 16384))\n"


@pytest.mark.multiprocess
def test_a_full_disk_leaves_no_run_folder(tmp_path):
    import matplotlib.font_manager  # noqa: F401  (its cache is written before the limit applies)

    _, err, rc = actlab(["train", "xor", "--steps", "20", "--save", "run"], cwd=tmp_path,
                        prelude=SMALL_FILES, env={"ACTLAB_NO_CACHE": "1"})
    assert rc == 2, err
    assert err.count("\n") == 1 and "could not write --save 'run'" in err and "nothing was written" in err
    assert os.listdir(tmp_path) == []


@pytest.mark.multiprocess
def test_an_unwritable_folder_is_refused_before_the_work(tmp_path, read_only_folder):
    with read_only_folder(tmp_path / "ro") as ro:
        # a billion steps: were the folder checked after training, this would not end
        _, err, rc = actlab(["train", "xor", "--steps", "1000000000", "--save", "ro/run1"], cwd=tmp_path)
        assert rc == 2 and err.count("\n") == 1, err
        assert "cannot write in folder 'ro'" in err
        _, err, rc = actlab(["plot", "relu", "--save", "ro/x.png"], cwd=tmp_path)
        assert rc == 2 and "cannot write in folder 'ro'" in err
        assert os.listdir(ro) == []
