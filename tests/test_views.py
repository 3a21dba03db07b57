"""Every command's view at 80 and at 120 columns: no line wider than the
terminal, nothing ellipsized, and every number the JSON of the same run has
for the table shown whole (correctly rounded to the digits printed) in the text.

The commands: every one that README.md shows, run as documented (sizes cut
down: at most 8 seeds, 200 steps and two activations a sweep), and the views'
variants (with and without --derivative, --scan, --roundoff, --temperature, the
sweep grid). Each runs in-process, so compiled programs are shared. Last, the
commands of examples/plugin/README.md, install included.
"""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from actlab.cli import cli

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = (80, 120)


def _blocks(path: Path):
    return re.findall(r"^```[^\n]*\n(.*?)^```", path.read_text(encoding="utf-8"), re.S | re.M)


def _readme_commands():
    """(arguments, expected exit code) of each `$ actlab ...` line of README's
    code blocks that runs on one machine: an `Error:` line after it means 2."""
    found = []
    for block in _blocks(ROOT / "README.md"):
        lines = block.splitlines()
        for k, line in enumerate(lines):
            if line.startswith("pip install") and "&& actlab " in line:
                command = line.split("&& ")[-1]
            elif line.startswith("$ actlab "):
                command = line.removeprefix("$ ")
            else:
                continue
            if "|" in command or "--distributed" in command:
                continue
            nxt = lines[k + 1] if k + 1 < len(lines) else ""
            found.append((_cut(shlex.split(command, comments=True)[1:]), 2 if nxt.startswith("Error:") else 0))
    return found


def _cut(args):
    """At most 8 seeds, 200 steps and two activations a sweep: the same code
    paths, a fraction of the compiling and the running."""
    out = list(args)
    for option, most in (("--seeds", 8), ("--steps", 200)):
        if option in out:
            k = out.index(option) + 1
            out[k] = str(min(int(out[k]), most))
    if out[0] == "sweep" and "--act" in out:
        k = out.index("--act") + 1
        out[k] = ",".join(out[k].split(",")[:2])
    return out


README_COMMANDS = _readme_commands()

COMMANDS = {
    "list": ["list"],
    "plot": ["plot", "sigmoid"],
    "plot-derivative": ["plot", "sigmoid", "--derivative"],
    "plot-overlay": ["plot", "leaky_relu", "elu", "swish", "gelu", "--derivative", "--points", "51"],
    "plot-formula": ["plot", "x*sigmoid(1.702*x)", "gelu", "--derivative", "--range", "-4", "4", "--points", "41"],
    "grad": ["grad", "sigmoid", "relu", "--at", "0,2,40"],
    "grad-wide-numbers": ["grad", "tanh", "elu", "--at", "-123456.5,-0.000123,7.5e-05", "--dtype", "float64"],
    "grad-formula": ["grad", "x**3 - 2*x", "--at", "1.5"],
    "grad-depth": ["grad", "sigmoid", "relu", "tanh", "linear", "--depth", "10"],
    "grad-cost": ["grad", "tanh", "--cost", "--widths", "4,8", "--depth", "1", "--repeats", "1"],
    "stability": ["stability", "--logits", "1000"],
    "stability-values": ["stability", "--values", "30,0,-2,1", "--label", "0"],
    "stability-binary": ["stability", "--binary", "--values", "40,-40", "--target", "1"],
    "stability-temperature": ["stability", "--values", "2,1,0.1", "--temperature", "0.5"],
    "stability-temperatures": ["stability", "--values", "2,1,0.1", "--temperature", "0.5,1,2,5"],
    "stability-scan": ["stability", "--scan", "--points", "9"],
    "stability-roundoff": ["stability", "--roundoff"],
    "train": ["train", "xor", "--opt", "adam"],
    "train-linear": ["train", "xor", "--act", "linear", "--steps", "200"],
    "train-moons": ["train", "moons", "--steps", "100"],
    "train-sine": ["train", "sine", "--steps", "100"],
    "train-multilabel": ["train", "multilabel", "--steps", "50"],
    "advise": ["advise"],
    "advise-one": ["advise", "multi-label"],
    "sweep": _cut(["sweep", "xor", "--act", "relu,tanh,sigmoid,linear", "--seeds", "64"]),
    "sweep-linear": ["sweep", "xor", "--act", "linear", "--seeds", "8", "--steps", "200"],
    "sweep-grid": _cut(["sweep", "xor", "--act", "relu,tanh,sigmoid", "--opt", "adam,sgd", "--lr",
                        "0.001,0.01,0.1,1", "--seeds", "100", "--steps", "500"]),
}


def _run(args, width=None, code=0):
    env = {"COLUMNS": str(width)} if width else {}
    result = CliRunner(env=env).invoke(cli, args)
    assert result.exit_code == code, (args, result.stderr, result.stdout)
    return result.stdout


_JSON = {}


def _json(name):
    if name not in _JSON:
        _JSON[name] = json.loads(_run(COMMANDS[name] + ["--json"]))
    return _JSON[name]


# --- what the table shows, from the JSON of the same run ---------------------------------


def _shown(name, data):
    """(numbers the view shows, percentages it shows, prose it shows word for word)."""
    numbers, percents, prose = [], [], []
    if name == "list":
        for a in data["activations"]:
            numbers += [v for v in a["output_range"] if v not in ("inf", "-inf")]
            prose += [a["formula"], ", ".join(a["uses"])]
    elif name.startswith("plot"):
        for f in data["facts"]:
            numbers += [f["value_at_0"], f["derivative_at_0"], f["max_slope"]]
    elif name.startswith("grad-depth"):
        for r in data["results"]:
            numbers += [r["ratio"], r["signal_ratio"]]
            for layer in r["layers"]:
                numbers += [layer["grad_norm"], layer["signal_norm"], layer["mean_abs_derivative"],
                            layer["activation_std"]]
    elif name == "grad-cost":
        for r in data["rows"]:
            numbers += [r["width"], r["n_params"], r["finite_diff_error"]]
    elif name.startswith("grad"):
        for a in data["activations"]:
            for p in a["points"]:
                numbers += [p["x"], p["value"], p["derivative"], p["finite_difference"], p["step"],
                            p["abs_error"], p["tolerance"]]
    elif name == "stability-temperatures":
        for r in data["temperatures"]:
            numbers += [r["temperature"], r["entropy"], *r["probabilities"]]
    elif name == "stability-scan":
        for s in data["scan"]["series"]:
            numbers += [s["overflow_threshold"], s["underflow_threshold"]]
            numbers += [s["first_broken"]] if s["first_broken"] is not None else []
            prose.append(s["note"])
    elif name == "stability-roundoff":
        for r in data["roundoff"]:
            numbers += [r["direct"], r["via_one"], r["direct_error_ulps"], r["via_one_error_ulps"]]
    elif name.startswith("stability"):
        for c in data["cases"]:
            numbers += [c["loss"], c["reference"], c["relative_error"], c["gradient_error"]]
            prose.append(c["note"])
        for r in data.get("temperatures", []):
            numbers += [r["entropy"], *r["probabilities"]]
    elif name.startswith("train"):
        numbers += [data["final_loss"], data["steps"], data["n_train"], data["lr"]]
        for row in data.get("truth_table", []):
            numbers.append(row["probability"])
        prose += data["notes"]
    elif name.startswith("advise"):
        for r in data.get("tasks", [data]):
            prose += [r["why"], r["command"]]
    elif name.startswith("sweep"):
        for c in data["configs"]:
            numbers += [c["lr"], c["final_loss_median"], c["final_loss_iqr"], c["accuracy_median"]]
            numbers += [c["median_steps_to_threshold"]] if c["median_steps_to_threshold"] is not None else []
            percents += [c["success_rate"], *c["ci95"]]
        prose += data["notes"]
    return numbers, percents, [p for p in prose if p]


NUMBER = re.compile(r"(?<![\w.])-?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?%?|(?<![\w.])-?(?:inf|nan)\b")


def _tokens(text):
    return NUMBER.findall(text)


def _agrees(value, token, percent=False) -> bool:
    """Whether ``token`` is ``value`` correctly rounded to the digits it shows."""
    if isinstance(value, str):  # "inf", "-inf", "nan"
        return token == value
    # A percent shows with its sign, or as the lower end of an interval (81-100%).
    if token in ("inf", "-inf", "nan") or (token.endswith("%") and not percent):
        return False
    text = token.rstrip("%").replace(",", "")
    if not re.fullmatch(r"-?\d+(\.\d+)?(e[-+]?\d+)?", text):  # cropped: "0.", "7.62e"
        return False
    mantissa, _, exponent = text.partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    half_step = 0.5 * 10.0 ** (int(exponent or 0) - decimals)
    shown = float(text)
    target = 100 * value if percent else value
    return abs(shown - target) <= half_step * (1 + 1e-9) + 1e-12 * abs(target)


def _fits(text, width, what):
    for line in text.splitlines():
        assert _cell_len(line) <= width, f"{what} at {width}: {line!r}"
    assert "…" not in text


def _check(name, width):
    text = _run(COMMANDS[name], width)
    _fits(text, width, name)
    numbers, percents, prose = _shown(name, _json(name))
    tokens = _tokens(text)
    for v in numbers:
        assert any(_agrees(v, t) for t in tokens), f"{name} at {width}: {v!r} not shown whole"
    for v in percents:
        assert any(_agrees(v, t, percent=True) for t in tokens), f"{name} at {width}: {v!r} not shown whole"
    words = set(text.split())
    for sentence in prose:
        for word in sentence.split():
            assert word in words or word.rstrip(".,;:") in words or any(word in w for w in words), \
                f"{name} at {width}: {word!r} broken"
    return text


def _cell_len(line):
    from rich.cells import cell_len

    return cell_len(line)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_view_fits_the_width_and_shows_every_number_whole(name, width):
    _check(name, width)


def test_readme_shows_the_tour():
    assert len(README_COMMANDS) >= 12
    assert (["stability", "--logits", "1000"], 0) in README_COMMANDS


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("args, code", README_COMMANDS, ids=lambda a: " ".join(a) if isinstance(a, list) else "")
def test_readme_command_runs_as_documented_and_fits(args, code, width):
    _fits(_run(args, width, code), width, " ".join(args))


def test_plugin_readme_commands_run(tmp_path):
    """Both install commands of the plugin's README, then its actlab commands,
    in a process that sees the plugin (pip offline here: no index, no build isolation)."""
    blocks = _blocks(ROOT / "examples" / "plugin" / "README.md")
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]
    installs = [line for line in lines if line.startswith("pip install")]
    assert "pip install -e examples/plugin" in installs
    target = tmp_path / "plugins"
    args = shlex.split(next(line for line in installs if "--target" in line).replace("DIR", str(target)))[2:]
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-index",
                          *args], capture_output=True, text=True, cwd=ROOT, timeout=240)
    assert pip.returncode == 0, pip.stderr[-2000:]
    commands = [shlex.split(line.removeprefix("PYTHONPATH=DIR "))[1:] for line in lines
                if line.startswith(("actlab ", "PYTHONPATH=DIR actlab "))]
    assert ["list"] in commands and ["plot", "squareplus", "snake", "--derivative"] in commands
    driver = ("from actlab.cli import cli\n"
              f"for args in {commands!r}:\n"
              "    code = cli.main(args, prog_name='actlab', standalone_mode=False)\n"
              "    assert code in (None, 0), (args, code)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")])),
           "COLUMNS": "80"}
    proc = subprocess.run([sys.executable, "-c", driver], capture_output=True, text=True, env=env, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "plugin:actlab-squareplus" in proc.stdout
    _fits(proc.stdout, 80, "plugin commands")


def test_the_number_check_catches_a_cropped_number():
    """The checks above can fail: a cropped cell does not pass for the number."""
    assert _agrees(0.001, "0.001") and _agrees(0.0123456, "0.0123") and _agrees(0.996, "99.6%", percent=True)
    assert not _agrees(0.01, "0.") and not _agrees(7.62e-05, "7.62e") and not _agrees(1.0, "10%", percent=True)
    assert not any(_agrees(0.001, t) for t in _tokens("lr 0.… 0.…"))
