"""Every script in examples/ runs as a user would run it, and prints what its
comments promise.

The scripts run in bash, as written. Their `actlab` commands are answered by
this test process (through a small client on PATH), so jax starts once and
compiled programs are shared; a command with its own PYTHONPATH (a plugin
installed for the example) runs the real entry point instead.
"""

import json
import os
import socketserver
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from actlab.cli import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".sh", ".py"))

# What each script's comments promise a reader will see.
PROMISES = {
    "api.py": ["f'(x)", "softplus'(x) = sigmoid(x)", "{'alpha': 0.1}"],
    "expressions.sh": ["gelu", "position 1", "snake", "squareplus(x, b=1)"],
    "lessons.sh": ["derivative-amplification", "sigmoid-slope: holds", "0.25", "roundoff holds",
                   "gelu-approx.png"],
    "grad.sh": ["kink", "below FD", "vanishing", "healthy", "exploding", "collapses", "FD/rev"],
    "plot.sh": ["actlab activations", "sigmoid", "0.25", '"series"'],
    "stability.sh": ["from_logits=True", "3.6", "float16", "ulp"],
    "sweep.sh": ["linear", "0%", "activation,optimizer,lr", '"configs"'],
    "train.sh": ["1.0000", "75%", "regions: predicted class", "sigmoid", "params.npz", "xor 1.0"],
}
FILES = {"lessons.sh": ["handout/lessons.md"], "plot.sh": ["gelu.svg"], "sweep.sh": ["grid.csv"]}

CLIENT = textwrap.dedent("""\
    #!{python}
    import json, os, socket, sys
    if os.environ.get("PYTHONPATH", "") != {pythonpath!r}:  # a plugin on its own path: the real thing
        os.execv({python!r}, [{python!r}, "-m", "actlab", *sys.argv[1:]])
    s = socket.socket(socket.AF_UNIX)
    s.connect({address!r})
    s.sendall(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd()}}).encode() + b"\\n")
    reply = json.loads(s.makefile().readline())
    sys.stdout.write(reply["stdout"]); sys.stderr.write(reply["stderr"])
    sys.exit(reply["code"])
""")


class _Actlab(socketserver.StreamRequestHandler):
    """Runs one command line in this process; one at a time."""

    lock = threading.Lock()

    def handle(self):
        request = json.loads(self.rfile.readline())
        with self.lock:
            here = os.getcwd()
            os.chdir(request["cwd"])
            try:
                result = CliRunner().invoke(cli, request["argv"], env={"COLUMNS": "100"})
            finally:
                os.chdir(here)
        reply = {"stdout": result.stdout, "stderr": result.stderr, "code": result.exit_code}
        self.wfile.write(json.dumps(reply).encode() + b"\n")


@pytest.fixture(scope="module")
def actlab_on_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bin")
    address = str(folder / "actlab.sock")
    server = socketserver.ThreadingUnixStreamServer(address, _Actlab)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = folder / "actlab"
    client.write_text(CLIENT.format(python=sys.executable, address=address,
                                    pythonpath=os.environ.get("PYTHONPATH", "")))
    client.chmod(0o755)
    yield {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "100"}
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs_and_shows_what_it_promises(script, actlab_on_path, tmp_path):
    path = EXAMPLES / script
    cmd = ["bash", str(path), str(tmp_path)] if path.suffix == ".sh" else [sys.executable, str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=actlab_on_path,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for words in PROMISES[script]:
        assert words in proc.stdout, words
    for name in FILES.get(script, ()):
        assert (tmp_path / name).stat().st_size > 0


def test_the_client_answers_like_the_entry_point(actlab_on_path, tmp_path):
    """The stand-in passes arguments, exit codes and both streams through."""
    env = actlab_on_path
    ok = subprocess.run(["actlab", "advise", "binary", "--json"], capture_output=True, text=True, env=env)
    bad = subprocess.run(["actlab", "plot", "nope"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and json.loads(ok.stdout)["output"] == "sigmoid"
    assert bad.returncode == 2 and bad.stdout == "" and "unknown activation 'nope'" in bad.stderr
