"""Plugin activations through the entry-point group ``actlab.activations``: a fake
distribution on sys.path for the unit tests (good and broken entry points), and
one real ``pip install --target`` of examples/plugin driven through the CLI."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest

from actlab.blocks import activations
from actlab import catalog
from actlab.catalog import expr, plugins

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "plugin"

FAKE_MODULE = '''
import jax.numpy as jnp
from actlab.blocks.activations import Activation

def _cube(x, k):
    return k * x**3, 3 * k * x**2

CUBE = dict(formula="k x^3", value_and_derivative_fn=_cube, defaults={"k": 1.0},
            output_range=(float("-inf"), float("inf")), zero_centred=True, note="a test cube")

def halfsq(x):
    """x^2 / 2"""
    return 0.5 * x * x

ABS_ACT = Activation(name="abs_act", formula="|x|",
                     value_and_derivative_fn=lambda x: (jnp.abs(x), jnp.sign(x)),
                     output_range=(0.0, float("inf")), monotonic=False)

NUMBER = 42
NO_FORMULA = dict(value_and_derivative_fn=_cube)
RELU_AGAIN = dict(name="relu", formula="x", value_and_derivative_fn=lambda x: (x, x))
ONE_OUTPUT = dict(formula="x", value_and_derivative_fn=lambda x: x)

def raises(x):
    raise RuntimeError("boom")

def _bad_range(k):
    raise ValueError("no range")

RANGE_RAISES = dict(formula="k x", value_and_derivative_fn=lambda x, k: (k * x, k + 0 * x),
                    defaults={"k": 1.0}, output_range=_bad_range)
SLOPE_NOT_TEXT = dict(formula="x", value_and_derivative_fn=lambda x: (x, 1 + 0 * x), max_slope=1.0)

def nan_everywhere(x):
    return x * jnp.nan

def scalar(x):
    return jnp.float32(1.0)

print("a plugin that talks at import")
'''

ENTRY_POINTS = """
[actlab.activations]
cube = fake_actlab_plugin:CUBE
halfsq = fake_actlab_plugin:halfsq
abs_act = fake_actlab_plugin:ABS_ACT
missing_module = fake_actlab_nowhere:thing
missing_attr = fake_actlab_plugin:nope
number = fake_actlab_plugin:NUMBER
no_formula = fake_actlab_plugin:NO_FORMULA
relu_again = fake_actlab_plugin:RELU_AGAIN
one_output = fake_actlab_plugin:ONE_OUTPUT
raises = fake_actlab_plugin:raises
exits = fake_actlab_exits:thing
range_raises = fake_actlab_plugin:RANGE_RAISES
slope_not_text = fake_actlab_plugin:SLOPE_NOT_TEXT
nan_everywhere = fake_actlab_plugin:nan_everywhere
scalar = fake_actlab_plugin:scalar
exp = fake_actlab_plugin:halfsq
x = fake_actlab_plugin:halfsq
"""
GOOD = {"cube", "halfsq", "abs_act"}
BROKEN = {"missing_module", "missing_attr", "number", "no_formula", "relu_again",
          "one_output", "raises", "exits", "range_raises", "slope_not_text", "nan_everywhere",
          "scalar", "exp", "x"}
SOURCE = "plugin:fake-actlab-plugin"


@pytest.fixture
def clean_registry(monkeypatch):
    """Puts the registry back as it was, whatever a test registered; the
    catalog loads the plugins again, once."""
    before = set(activations.names())
    monkeypatch.setattr(catalog, "_plugins_loaded", False)
    yield
    for name in set(activations.names()) - before:
        activations.unregister(name)


@pytest.fixture
def fake_plugin(tmp_path, monkeypatch, clean_registry):
    """A distribution 'fake-actlab-plugin' on sys.path, as pip would leave it."""
    site = tmp_path / "site"
    info = site / "fake_actlab_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-actlab-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    (site / "fake_actlab_plugin.py").write_text(textwrap.dedent(FAKE_MODULE))
    (site / "fake_actlab_exits.py").write_text("raise SystemExit(3)\n")
    monkeypatch.syspath_prepend(str(site))
    for name in ("fake_actlab_plugin", "fake_actlab_exits"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return site


def test_good_entry_points_register_with_their_source(fake_plugin, capsys):
    results = {r.name: r for r in plugins.load()}
    assert {name for name, r in results.items() if r.error is None} >= GOOD
    for name in GOOD:
        act = activations.get(name)
        assert act.source == SOURCE
    assert GOOD <= set(activations.names())
    x = np.array([-2.0, -0.5, 0.0, 1.5])
    # A declaration keeps its own derivative and parameters.
    y, dy = activations.get("cube", k=2.0).value_and_derivative(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(y), 2 * x**3, rtol=1e-15)
    np.testing.assert_allclose(np.asarray(dy), 6 * x**2, rtol=1e-15)
    assert activations.get("cube").note == "a test cube"
    # A function gets its derivative by autodiff and estimated facts.
    halfsq = activations.get("halfsq")
    y, dy = halfsq.value_and_derivative(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(y), x * x / 2, rtol=1e-15)
    np.testing.assert_allclose(np.asarray(dy), x, rtol=1e-15)
    assert halfsq.formula == "x^2 / 2" and not halfsq.monotonic and "estimated" in halfsq.note
    assert halfsq.output_range == (0.0, float("inf"))
    # An Activation object is taken as it is.
    y, dy = activations.get("abs_act").value_and_derivative(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(dy), np.sign(x))


def test_broken_entry_points_are_reported_once_and_skipped(fake_plugin, capsys):
    before = set(activations.names())
    catalog.activation_names()
    catalog.activation_names()  # loads once: a second call reports nothing again
    catalog.activation("halfsq")
    captured = capsys.readouterr()
    assert captured.out == ""  # what a plugin prints at import goes to stderr: stdout holds results
    err = [line for line in captured.err.strip().splitlines() if line != "a plugin that talks at import"]
    assert len(err) == len(BROKEN)
    for name in BROKEN:
        (line,) = [line for line in err if f"'{name}'" in line]
        assert "fake-actlab-plugin" in line and line.startswith("actlab: skipped plugin activation")
    assert set(activations.names()) - before == GOOD
    assert activations.get("relu").source == "built-in"  # a plugin cannot replace a built-in
    for text, words in [("missing_module", "ModuleNotFoundError"), ("missing_attr", "AttributeError"),
                        ("number", "expected a function"), ("no_formula", "needs 'formula'"),
                        ("relu_again", "already registered"), ("one_output", "pair"),
                        ("raises", "boom"), ("exits", "SystemExit"), ("range_raises", "no range"),
                        ("slope_not_text", "max_slope must be a string"),
                        ("nan_everywhere", "is not finite"), ("scalar", "elementwise"),
                        ("exp", "reserved"), ("x", "reserved")]:
        assert any(f"'{text}'" in line and words in line for line in err), text


def test_plugin_activations_work_in_expressions_and_the_cli(fake_plugin, runner):
    from actlab.cli import cli

    act = catalog.activation("cube(x, k=3) + halfsq(x)")
    np.testing.assert_allclose(np.asarray(act(jnp.asarray([2.0]))), [3 * 8 + 2.0])
    # a plugin may not take the names formulas use: exp(x) is still e^x, and x is x
    np.testing.assert_allclose(np.asarray(catalog.activation("exp(x)")(jnp.asarray([1.0]))), [np.e])
    np.testing.assert_allclose(np.asarray(catalog.activation("x")(jnp.asarray([3.0]))), [3.0])
    result = runner.invoke(cli, ["list", "--json"])
    assert result.exit_code == 0
    json.loads(result.stdout)
    sources = {a["name"]: a["source"] for a in json.loads(result.stdout)["activations"]}
    assert {name: sources[name] for name in GOOD} == dict.fromkeys(GOOD, SOURCE)
    assert sources["relu"] == "built-in"
    result = runner.invoke(cli, ["plot", "halfsq", "--derivative", "--points", "3", "--json"])
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    deriv = next(s for s in out["series"] if s["kind"] == "derivative")
    np.testing.assert_allclose(deriv["y"], out["x"], rtol=1e-6)


def test_plugins_can_be_turned_off(fake_plugin, monkeypatch):
    monkeypatch.setenv("ACTLAB_NO_PLUGINS", "1")
    assert "halfsq" not in catalog.activation_names()


# --- the example plugin ------------------------------------------------------------


@pytest.fixture(scope="module")
def squareplus_module():
    sys.path.insert(0, str(EXAMPLE))
    try:
        import actlab_squareplus

        yield actlab_squareplus
    finally:
        sys.path.remove(str(EXAMPLE))
        sys.modules.pop("actlab_squareplus", None)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_example_squareplus_against_mpmath(squareplus_module, dtype):
    xs = [-1e30, -1e4, -37.0, -1.0, 0.0, 0.5, 3.0, 1e4, 1e30]
    b = 4.0
    y, dy = squareplus_module._squareplus(jnp.asarray(xs, dtype), b)
    assert y.dtype == dtype and dy.dtype == dtype
    with mp.workdps(100):  # enough digits that the textbook form survives x = -1e30
        want = [float((mp.mpf(x) + mp.sqrt(mp.mpf(x) ** 2 + b)) / 2) for x in xs]
        dwant = [float((1 + mp.mpf(x) / mp.sqrt(mp.mpf(x) ** 2 + b)) / 2) for x in xs]
    rtol = 1e-6 if dtype == jnp.float32 else 1e-14
    # Relative accuracy in the left tail too, where the textbook form gives 0.
    np.testing.assert_allclose(np.asarray(y, np.float64), want, rtol=rtol, atol=0 if dtype == jnp.float64 else 1e-37)
    np.testing.assert_allclose(np.asarray(dy, np.float64), dwant, rtol=rtol, atol=0 if dtype == jnp.float64 else 1e-37)


def test_example_snake_derivative_by_autodiff(squareplus_module):
    import jax

    xs = jnp.linspace(-4, 4, 9)
    dy = jax.vmap(jax.grad(squareplus_module.snake))(xs)
    np.testing.assert_allclose(np.asarray(dy), 1 + np.sin(2 * np.asarray(xs)), rtol=1e-14, atol=1e-15)


def test_pip_installed_example_plugin_through_the_cli(tmp_path):
    """The real path: pip installs examples/plugin, the CLI finds it by its entry points."""
    source = tmp_path / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = tmp_path / "target"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=240)
    assert pip.returncode == 0, pip.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")]))}

    def actlab(*args):
        proc = subprocess.run([sys.executable, "-m", "actlab", *args], capture_output=True,
                              text=True, env=env, timeout=240, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "skipped plugin" not in proc.stderr
        return json.loads(proc.stdout)

    listed = {a["name"]: a for a in actlab("list", "--json")["activations"]}
    assert listed["squareplus"]["source"] == "plugin:actlab-squareplus"
    assert listed["snake"]["source"] == "plugin:actlab-squareplus"
    assert listed["squareplus"]["params"] == {"b": 4.0}
    assert listed["relu"]["source"] == "built-in"

    out = actlab("plot", "squareplus", "snake", "--derivative", "--param", "b=1",
                 "--points", "5", "--dtype", "float64", "--json")
    xs = np.asarray(out["x"], np.float64)
    series = {(s["name"], s["kind"]): np.asarray(s["y"], np.float64) for s in out["series"]}
    np.testing.assert_allclose(series[("squareplus(b=1)", "value")], (xs + np.sqrt(xs**2 + 1)) / 2, rtol=1e-12)
    np.testing.assert_allclose(series[("snake", "derivative")], 1 + np.sin(2 * xs), rtol=1e-12, atol=1e-14)
