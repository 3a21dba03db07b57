"""Formula activations: values and derivatives against sympy/mpmath, jit/vmap/grad,
dtypes, hostile input refused (with its position) and never executed, and a
hypothesis fuzz: parse returns an Activation or raises ActlabError, nothing else."""

import ast
import importlib
import inspect
import math
from pathlib import Path

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actlab.blocks import activations
from actlab.catalog import expr
from actlab.errors import ActlabError

MP_DPS = 30  # mpmath digits of this module's references (conftest sets them per test)
mp.mp.dps = MP_DPS
X = sp.Symbol("x", real=True)
# The reference reads the same text with sympy, with the activations written out
# from their textbook definitions (not actlab's), then differentiates symbolically.
SYMPY_NAMES = {
    "x": X, "sigmoid": lambda u: 1 / (1 + sp.exp(-u)), "softplus": lambda u: sp.log(1 + sp.exp(u)),
    "tanh": sp.tanh, "exp": sp.exp, "log": sp.log, "log1p": lambda u: sp.log(1 + u),
    "expm1": lambda u: sp.exp(u) - 1, "sqrt": sp.sqrt, "erf": sp.erf, "sin": sp.sin,
    "cos": sp.cos, "abs": sp.Abs, "pi": sp.pi, "e": sp.E,
    "gelu": lambda u: u * (1 + sp.erf(u / sp.sqrt(2))) / 2,
}

SMOOTH = [
    "x**3 - 2*x",
    "x*sigmoid(1.702*x)",
    "x*tanh(softplus(x))",
    "log1p(exp(x)) - log(2)",
    "sqrt(x**2 + 1) - 1",
    "erf(x/sqrt(2)) * pi / e",
    "-x**2 + 3*x/2",
    "2**-1 * x + sin(x)**2",
    "gelu(x) - x*cos(x)",
    "abs(x)**0.5 + exp(-x**2/2)",
]
POINTS = [-3.7, -1.0, -0.25, 0.5, 1.5, 2.9]


def reference(text):
    f = sp.sympify(text, locals=SYMPY_NAMES)
    df = sp.diff(f, X)
    return (lambda v: float(f.subs(X, v).evalf(30)), lambda v: float(df.subs(X, v).evalf(30)))


@pytest.mark.parametrize("text", SMOOTH)
def test_value_and_derivative_match_sympy(text):
    act = expr.parse(text)
    f, df = reference(text)
    xs = np.asarray(POINTS)
    y, dy = act.value_and_derivative(jnp.asarray(xs, jnp.float64))
    np.testing.assert_allclose(np.asarray(y), [f(v) for v in xs], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.asarray(dy), [df(v) for v in xs], rtol=1e-10, atol=1e-13)


def test_activation_calls_use_the_registry_with_parameters():
    act = expr.parse("leaky_relu(x, alpha=0.2) + elu(x, alpha=2)")
    xs = np.array([-2.0, -0.5, 0.5, 3.0])
    y, dy = act.value_and_derivative(jnp.asarray(xs))
    want = np.where(xs > 0, xs, 0.2 * xs) + np.where(xs > 0, xs, 2 * np.expm1(xs))
    dwant = np.where(xs > 0, 1, 0.2) + np.where(xs > 0, 1, 2 * np.exp(xs))
    np.testing.assert_allclose(np.asarray(y), want, rtol=1e-14)
    np.testing.assert_allclose(np.asarray(dy), dwant, rtol=1e-14)


@pytest.mark.parametrize("text, at, want", [
    ("-x**2", 3.0, -9.0),  # ** binds tighter than unary minus, as in Python and maths
    ("2**3**2 + 0*x", 1.0, 512.0),  # ** is right-associative
    ("x if x > 0 else 0.1*x", -2.0, -0.2),
    ("0 < x < 1", 0.5, 1.0),
    ("0 < x < 1", 1.5, 0.0),
    ("(x > 0) & (x < 1)", 0.5, 1.0),
    ("(x < 0) | (x > 1)", 0.5, 0.0),
    ("not x", 0.0, 1.0),
    ("~(x > 0)", 2.0, 0.0),
    ("x > 0 and x < 2 or x == -1", -1.0, 1.0),
    ("x % 2", 5.0, 1.0),
    ("x // 2", 5.0, 2.0),
    ("where(x >= 1, 10, -10)", 1.0, 10.0),
    ("clip(x, -1, 1)", 5.0, 1.0),
    ("maximum(x, 0) + minimum(x, 0) * 0.5", -4.0, -2.0),
    ("tau/2 - pi + e - e", 0.0, 0.0),
    ("x / inf", 3.0, 0.0),
])
def test_semantics_follow_python(text, at, want):
    assert float(expr.parse(text)(jnp.asarray([at]))[0]) == pytest.approx(want, abs=1e-15)


def test_integer_powers_are_exact_for_negative_x_and_differentiable_at_0():
    act = expr.parse("x**3")
    y, dy = act.value_and_derivative(jnp.asarray([-2.0, 0.0, 2.0]))
    assert np.asarray(y).tolist() == [-8.0, 0.0, 8.0]
    assert np.asarray(dy).tolist() == [12.0, 0.0, 12.0]


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64])
def test_dtype_and_shape_are_kept(dtype):
    act = expr.parse("x*sigmoid(1.702*x) + pi*exp(-x**2)")
    x = jnp.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
    y, dy = act.value_and_derivative(x)
    assert y.dtype == dtype and dy.dtype == dtype and y.shape == (3, 4) and dy.shape == (3, 4)
    ref = 1.702 * np.asarray(x, np.float64)
    ref = np.asarray(x, np.float64) / (1 + np.exp(-ref)) + np.pi * np.exp(-np.asarray(x, np.float64) ** 2)
    tol = {jnp.float16: 2e-3, jnp.bfloat16: 2e-2, jnp.float32: 1e-6, jnp.float64: 1e-14}[dtype]
    np.testing.assert_allclose(np.asarray(y, np.float64), ref, rtol=tol, atol=tol)


def test_constant_expression_broadcasts():
    y, dy = expr.parse("3").value_and_derivative(jnp.zeros((2, 3), jnp.float32))
    assert y.shape == (2, 3) and np.all(np.asarray(y) == 3) and np.all(np.asarray(dy) == 0)


def test_works_inside_jit_vmap_and_grad():
    act = expr.parse("x**3 - 2*x")
    xs = jnp.asarray(POINTS)
    grads = jax.jit(jax.vmap(jax.grad(act.fn)))(xs)
    np.testing.assert_allclose(np.asarray(grads), 3 * np.asarray(POINTS) ** 2 - 2, rtol=1e-13)
    second = jax.vmap(jax.grad(jax.grad(act.fn)))(xs)  # the custom_jvp rule is differentiable too
    np.testing.assert_allclose(np.asarray(second), 6 * np.asarray(POINTS), rtol=1e-13)
    loss = jax.jit(jax.grad(lambda w: jnp.sum(act.fn(w * xs))))(2.0)
    np.testing.assert_allclose(float(loss), float(np.sum((3 * (2 * xs) ** 2 - 2) * xs)), rtol=1e-12)


def test_derivative_agrees_with_finite_differences_in_float64():
    act = expr.parse("x*tanh(softplus(x)) / (1 + x**2)")
    xs = np.linspace(-5, 5, 41) + 0.013
    h = 1e-6
    fd = (np.asarray(act(jnp.asarray(xs + h))) - np.asarray(act(jnp.asarray(xs - h)))) / (2 * h)
    np.testing.assert_allclose(np.asarray(act.derivative(jnp.asarray(xs))), fd, rtol=1e-7, atol=1e-9)


def test_a_naive_formula_keeps_its_naive_derivative_and_says_so():
    # 1 / (1 + exp(-x)) differentiates to exp(-x) / (1 + exp(-x))^2 = inf / inf for
    # x < -710: autodiff is exact about the formula given, so use sigmoid(x) instead.
    naive, stable = expr.parse("1/(1 + exp(-x))"), expr.parse("sigmoid(x)")
    x = jnp.asarray([-800.0, 0.0])
    assert math.isnan(float(naive.derivative(x)[0]))
    assert float(stable.derivative(x)[0]) == 0.0 and float(stable.derivative(x)[1]) == 0.25
    assert "f' is not finite at some x" in naive.note and "not finite" not in stable.note


def test_activation_record():
    act = expr.parse("  x*sigmoid(1.702*x) ")
    assert act.source == "expression"
    assert act.name == "x * sigmoid(1.702 * x)"  # normalised
    assert act.formula == "x*sigmoid(1.702*x)"  # as typed
    assert expr.parse("x * sigmoid(1.702*x)") is not act or act.name == "x * sigmoid(1.702 * x)"
    assert "estimated" in act.note
    assert act.params == {}


@pytest.mark.parametrize("text, lo, hi, monotonic, odd, saturates", [
    ("sigmoid(x)", 0.0, 1.0, True, False, "both"),
    ("tanh(x)", -1.0, 1.0, True, True, "both"),
    ("x*x", 0.0, math.inf, False, False, "none"),
    ("x**3", -math.inf, math.inf, True, True, "none"),
    ("maximum(x, 0)", 0.0, math.inf, True, False, "negative"),
    ("log1p(abs(x))", 0.0, math.inf, False, False, "both"),  # unbounded, yet f' -> 0
])
def test_estimated_facts(text, lo, hi, monotonic, odd, saturates):
    act = expr.parse(text)
    assert act.open_ends == (math.isinf(lo) or text.startswith(("sigmoid", "tanh")),
                             math.isinf(hi) or text.startswith(("sigmoid", "tanh")))
    assert act.output_range[0] == pytest.approx(lo, abs=1e-9)
    assert act.output_range[1] == pytest.approx(hi, abs=1e-9)
    assert (act.monotonic, act.zero_centred, act.saturates) == (monotonic, odd, saturates)


# --- refused ------------------------------------------------------------------------

HOSTILE = [
    # text, position (1-based), words in the message
    ("__import__('os').system('x')", 17, "attribute access"),
    ("__import__('os')", 1, "unknown function '__import__'"),
    ("open('/tmp/actlab-pwned', 'w')", 1, "unknown function 'open'"),
    ("x.__class__", 2, "attribute access"),
    ("exp(x).real", 7, "attribute access"),
    ("x[0]", 2, "subscripts"),
    ("exp(x)[1:2]", 7, "subscripts"),
    ("lambda: 1", 1, "lambdas"),
    ("(lambda y: y)(x)", 2, "lambdas"),
    ("[i for i in x]", 1, "comprehensions"),
    ("sum(i for i in x)", 1, "unknown function 'sum'"),
    ("(y := x)", 2, "assignment"),
    ("[x]", 1, "lists"),
    ("(x, x)", 1, "tuples"),
    ("{x: 1}", 1, "dicts"),
    ("f'{x}'", 1, "f-strings"),
    ("'rm -rf /'", 1, "strings"),
    ("b'x'", 1, "bytes"),
    ("1j * x", 1, "complex"),
    ("True", 1, "True/False"),
    ("None", 1, "None"),
    ("y", 1, "unknown name 'y'"),
    ("X", 1, "did you mean 'x'"),
    ("sigmod(x)", 1, "did you mean 'sigmoid'"),
    ("exp(x=1)", 7, "keyword"),
    ("exp(*x)", 5, "starred"),
    ("maximum(x)", 1, "takes 2 arguments"),
    ("leaky_relu(x, 0.2)", 1, "parameters by name"),
    ("leaky_relu(x, alpha=x)", 21, "name=number"),
    ("leaky_relu(x, beta=1)", 1, "no parameter 'beta'"),
    ("elu(x, alpha=-1)", 1, "alpha must be > 0"),
    ("x @ x", 1, "operator @"),
    ("x << 2", 1, "operator <<"),
    ("x is x", 1, "operator is"),
    ("x +* 2", 4, "syntax error"),
    ("x + ", 4, "syntax error"),
    ("x; import os", 2, "syntax error"),
    ("import os", 1, "syntax error"),
    ("x**100000", 4, "exponent"),
    ("x**-1e9", 4, "exponent"),
    ("1e400 * x", 1, "finite"),
    ("9" * 400, 1, "finite"),
    ("x" * 501, 501, "too long"),
    ("(" * 40 + "x" + ")" * 40, 33, "nested too deeply"),
    ("-" * 100 + "x", 33, "nested too deeply"),
    ("exp(" * 40 + "x" + ")" * 40, 132, "nested too deeply"),
    ("+".join(["x"] * 240), None, "nested too deeply"),
    ("*".join(["(" + "+".join(["x*x*x*x"] * 8) + ")"] * 4), None, "too many terms"),
    ("\uff58", 1, "character"),  # fullwidth x, which Python would normalise to x
    ("x\x00", 2, "character"),
    ("", None, "empty"),
]


@pytest.mark.parametrize("text, pos, words", HOSTILE, ids=[repr(h[0])[:40] for h in HOSTILE])
def test_hostile_input_is_refused_with_its_position(text, pos, words):
    with pytest.raises(ActlabError) as info:
        expr.parse(text)
    message = str(info.value)
    assert words in message
    assert "\n" not in message
    if pos is not None:
        assert f"at position {pos}:" in message


def test_refused_text_is_never_executed(tmp_path, monkeypatch):
    target = tmp_path / "pwned"
    calls = []
    monkeypatch.setattr("os.system", lambda *a: calls.append(a))
    for text in [f"__import__('os').system('touch {target}')", f"open('{target}', 'w')",
                 f"exec(\"open('{target}', 'w')\")", f"eval(\"open('{target}', 'w')\")",
                 f"(lambda: open('{target}', 'w'))()", f"[open('{target}', 'w') for _ in [1]]"]:
        with pytest.raises(ActlabError):
            expr.parse(text)
    assert not target.exists() and calls == []


def test_the_parser_never_calls_eval_exec_or_compile():
    # A static check of the module itself: no eval/exec/compile/__import__ anywhere.
    tree = ast.parse(Path(inspect.getfile(expr)).read_text())
    called = {node.func.id for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__", "getattr", "open"}


def test_limits_are_inclusive():
    assert expr.parse("x" + " " * (expr.MAX_LENGTH - 1)).name == "x"
    assert expr.parse("x**1024").name == "x ** 1024"
    assert expr.parse("(" * 20 + "x" + ")" * 20).name == "x"


def test_looks_like_expression():
    assert expr.looks_like_expression("x*tanh(x)")
    assert expr.looks_like_expression("-x")
    assert expr.looks_like_expression("x")
    assert not expr.looks_like_expression("rleu")
    assert not expr.looks_like_expression("leaky_relu")
    assert not expr.looks_like_expression("")


def test_name_lists_keep_commas_inside_calls():
    from actlab.catalog import split_list as parse_names

    assert parse_names("relu, maximum(x, 0.1*x),tanh", "--act") == ["relu", "maximum(x, 0.1*x)", "tanh"]
    assert parse_names("where(x > 0, x, clip(x, -1, 0))", "--act") == ["where(x > 0, x, clip(x, -1, 0))"]
    with pytest.raises(ActlabError):
        parse_names("relu,,tanh", "--act")


# --- fuzz ---------------------------------------------------------------------------

TOKENS = ["x", "x", "1", "2.5", "1e3", "pi", "e", "inf", "+", "-", "*", "/", "**", "%", "//",
          "(", ")", "(", ")", ",", " ", "<", ">=", "==", "&", "|", "~", "not ", " and ", " if ",
          " else ", "exp(", "log(", "sqrt(", "maximum(", "where(", "sigmoid(", "leaky_relu(",
          "alpha=", "relu(", "erf(", "clip(", ".", "[", "]", "lambda ", ":", "'", "__import__",
          "os", "=", "{", "}", "@", "\\", "#", ";", "\n", "yield ", "await ", "y", "*x"]


def _check_fuzz(text):
    try:
        act = expr.parse(text)
    except ActlabError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert isinstance(act, activations.Activation)
    y, dy = act.value_and_derivative(jnp.asarray([-1.5, 0.0, 2.0], jnp.float32))
    assert y.shape == dy.shape == (3,) and y.dtype == dy.dtype == jnp.float32


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=14).map("".join))
def test_fuzz_token_soup(text):
    _check_fuzz(text)


@settings(max_examples=250, deadline=None)
@given(st.text(max_size=40))
def test_fuzz_any_text(text):
    _check_fuzz(text)


def _grammar():
    leaf = st.sampled_from(["x", "1", "0.5", "-2", "pi", "e", "1e-3", "1e3"])
    return st.recursive(leaf, lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "<", "%"]), inner)
        .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["exp", "log", "tanh", "sigmoid", "abs", "softplus", "erf"]), inner)
        .map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"maximum({t[0]}, {t[1]})"),
    ), max_leaves=8)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_grammar())
def test_fuzz_grammar_always_parses_and_keeps_dtype(text):
    act = expr.parse(text)  # in the grammar: never refused
    y, dy = act.value_and_derivative(jnp.asarray([-1.5, 0.0, 2.0], jnp.float32))
    assert y.dtype == dy.dtype == jnp.float32 and y.shape == (3,)


# --- CLI ----------------------------------------------------------------------------


def _needs(command):
    from actlab.cli import COMMANDS

    module = COMMANDS[command].split(":")[0]
    try:
        importlib.import_module(module)
    except ModuleNotFoundError:
        pytest.skip(f"actlab {command} is not built yet")


def test_cli_plot_expression_with_derivative(runner):
    import json

    result = runner.invoke(
        __import__("actlab.cli", fromlist=["cli"]).cli,
        ["plot", "x*sigmoid(1.702*x)", "gelu", "--derivative", "--points", "5", "--json"])
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    names = [(s["name"], s["kind"]) for s in out["series"]]
    assert ("x * sigmoid(1.702 * x)", "derivative") in names and ("gelu", "value") in names
    xs = np.asarray(out["x"], np.float64)
    series = {(s["name"], s["kind"]): np.asarray(s["y"], np.float64) for s in out["series"]}
    np.testing.assert_allclose(series[("x * sigmoid(1.702 * x)", "value")],
                               xs / (1 + np.exp(-1.702 * xs)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("args, words", [
    (["plot", "x.real"], "at position 2: attribute access is not allowed"),
    (["plot", "__import__('os').system('echo hi')"], "attribute access"),
    (["plot", "x*"], "syntax error"),
    (["plot", "rleu"], "did you mean 'relu'"),  # a mistyped name stays a name
    (["plot", "x*2", "--param", "alpha=0.1"], "--param applies to named activations"),
])
def test_cli_refuses_with_one_line(runner, args, words):
    from actlab.cli import cli

    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_cli_grad_expression(runner):
    import json

    from actlab.cli import cli

    _needs("grad")
    result = runner.invoke(cli, ["grad", "x**3 - 2*x", "--at", "1.5", "--json"])
    assert result.exit_code == 0, result.stderr
    (point,) = json.loads(result.stdout)["points"]
    assert point["value"] == pytest.approx(1.5**3 - 3, rel=1e-6)
    assert point["derivative"] == pytest.approx(3 * 1.5**2 - 2, rel=1e-6)


def test_cli_train_expression(runner):
    import json

    from actlab.cli import cli

    _needs("train")
    result = runner.invoke(cli, ["train", "xor", "--act", "x*tanh(softplus(x))", "--json"])
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["accuracy"] == 1.0


def test_python_syntax_warnings_are_refusals_not_stderr_noise(recwarn):
    with pytest.raises(ActlabError, match="position 1"):
        expr.parse("2if x else 1")  # Python only warns: "invalid decimal literal"
    assert not [w for w in recwarn if issubclass(w.category, SyntaxWarning)]


def test_a_formula_has_no_slope_at_nan_as_the_built_ins():
    """Autodiff of where(x > 0, x, 0) would give 0 at NaN; relu gives NaN."""
    import jax.numpy as jnp

    x = jnp.asarray([np.nan, 1.0], jnp.float32)
    _, dy = expr.parse("where(x > 0, x, 0)").value_and_derivative(x)
    _, ref = activations.get("relu").value_and_derivative(x)
    assert np.isnan(dy[0]) and np.isnan(ref[0]) and dy[1] == ref[1] == 1.0
