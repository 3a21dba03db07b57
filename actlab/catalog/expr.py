"""Activations written as formulas in ``x``, parsed safely.

A formula such as ``"x * sigmoid(1.702 * x)"`` is parsed with Python's ``ast``
and every node is checked against a short whitelist, then turned into a
``jax.numpy`` function. User text is never passed to ``eval``, ``exec`` or
``compile``: anything outside the grammar is refused with an ``ActlabError``
that says what and where (the position is 1-based, counted in characters).

Grammar:
  numbers (finite, real), ``x``, the constants ``pi``, ``e``, ``tau``, ``inf``;
  ``+ - * / // % **``, unary ``-``/``+``, parentheses;
  comparisons ``< <= > >= == !=`` (true is 1.0, false 0.0), ``&``, ``|``, ``~``,
  ``and``, ``or``, ``not`` and ``a if cond else b``;
  calls of the math functions in ``FUNCTIONS`` and of every registered
  activation, e.g. ``leaky_relu(x, alpha=0.2)`` (parameters by name, as numbers).

The derivative is JAX autodiff of the built function (one ``jax.jvp``), so
``plot --derivative``, ``grad`` and training work as for built-ins. The facts
of an expression (output range, monotonicity, saturation, oddness, largest
slope) are estimated by sampling on [-1e6, 1e6], not proved (``sampled``, and
its ``note`` says so). Activation names in a formula are the registry's at
parse time: ``actlab.catalog`` loads the plugins before it parses.

    >>> act = parse("x * sigmoid(1.702 * x)")
    >>> y, dy = act.value_and_derivative(jnp.linspace(-3, 3, 7))
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import keyword
import math
import re
import warnings
from typing import NamedTuple

import jax.numpy as jnp
from jax import lax
from jax.scipy import special

from actlab.blocks import activations
from actlab.blocks.facts import autodiff_pair, estimate_facts
from actlab.errors import ActlabError, did_you_mean

__all__ = ["parse", "parse_features", "Features", "looks_like_expression", "FUNCTIONS", "CONSTANTS",
           "RESERVED",
           "MAX_LENGTH", "MAX_DEPTH", "MAX_NODES", "MAX_EXPONENT"]

MAX_LENGTH = 500  # characters
MAX_DEPTH = 32  # nesting of the syntax tree
MAX_NODES = 200  # nodes of the syntax tree
MAX_EXPONENT = 1024  # |p| of a literal exponent in a ** p

CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf}


def _flt(fn):
    # Comparisons and logic give 1.0 / 0.0 in the dtype of their operands, so
    # every value is a float array and no combination is a type error.
    return lambda *args: fn(*args).astype(args[0].dtype)


def _truth(v):
    return v != 0


# name -> (function of jnp arrays, number of arguments)
FUNCTIONS = {
    "exp": (jnp.exp, 1), "exp2": (jnp.exp2, 1), "expm1": (jnp.expm1, 1),
    "log": (jnp.log, 1), "log2": (jnp.log2, 1), "log10": (jnp.log10, 1), "log1p": (jnp.log1p, 1),
    "sqrt": (jnp.sqrt, 1), "cbrt": (jnp.cbrt, 1), "square": (jnp.square, 1),
    "abs": (jnp.abs, 1), "sign": (jnp.sign, 1), "floor": (jnp.floor, 1), "ceil": (jnp.ceil, 1),
    "sin": (jnp.sin, 1), "cos": (jnp.cos, 1), "tan": (jnp.tan, 1),
    "arcsin": (jnp.arcsin, 1), "arccos": (jnp.arccos, 1), "arctan": (jnp.arctan, 1),
    "asin": (jnp.arcsin, 1), "acos": (jnp.arccos, 1), "atan": (jnp.arctan, 1),
    "sinh": (jnp.sinh, 1), "cosh": (jnp.cosh, 1), "tanh": (jnp.tanh, 1),
    "arcsinh": (jnp.arcsinh, 1), "arctanh": (jnp.arctanh, 1),
    "asinh": (jnp.arcsinh, 1), "atanh": (jnp.arctanh, 1),
    "erf": (special.erf, 1), "erfc": (special.erfc, 1),
    "maximum": (jnp.maximum, 2), "minimum": (jnp.minimum, 2),
    "max": (jnp.maximum, 2), "min": (jnp.minimum, 2),
    "logaddexp": (jnp.logaddexp, 2), "hypot": (jnp.hypot, 2), "atan2": (jnp.arctan2, 2),
    "arctan2": (jnp.arctan2, 2),
    "where": (lambda c, a, b: jnp.where(_truth(c), a, b), 3),
    "clip": (lambda v, lo, hi: jnp.minimum(jnp.maximum(v, lo), hi), 3),
}

# Names a formula reads as its own: no activation (a plugin) may take them.
RESERVED = frozenset({"x", *CONSTANTS, *FUNCTIONS})

_BINARY = {
    ast.Add: jnp.add, ast.Sub: jnp.subtract, ast.Mult: jnp.multiply, ast.Div: jnp.divide,
    ast.FloorDiv: jnp.floor_divide, ast.Mod: jnp.mod, ast.Pow: jnp.power,
    ast.BitAnd: _flt(lambda a, b: _truth(a) & _truth(b)),
    ast.BitOr: _flt(lambda a, b: _truth(a) | _truth(b)),
}
_COMPARE = {
    ast.Lt: jnp.less, ast.LtE: jnp.less_equal, ast.Gt: jnp.greater,
    ast.GtE: jnp.greater_equal, ast.Eq: jnp.equal, ast.NotEq: jnp.not_equal,
}
_UNARY = {
    ast.USub: jnp.negative, ast.UAdd: lambda v: v,
    ast.Invert: _flt(lambda v: ~_truth(v)), ast.Not: _flt(lambda v: ~_truth(v)),
}

# What a refused node is, in the user's words.
_REFUSED = {
    ast.Attribute: "attribute access is", ast.Subscript: "subscripts are", ast.Slice: "slices are",
    ast.Lambda: "lambdas are", ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are", ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "comprehensions are", ast.List: "lists are", ast.Tuple: "tuples are",
    ast.Set: "sets are", ast.Dict: "dicts are", ast.NamedExpr: "assignment (:=) is",
    ast.Starred: "starred arguments are", ast.JoinedStr: "f-strings are",
    ast.FormattedValue: "f-strings are", ast.Await: "await is", ast.Yield: "yield is",
    ast.YieldFrom: "yield is",
}



def _allowed(variables) -> str:
    return (f"numbers, {', '.join([*variables, *CONSTANTS])}, + - * / // % **, comparisons, "
            "& | ~, a if c else b, and calls of math functions and activations")


_IDENT = re.compile(r"[A-Za-z0-9_]+")


def looks_like_expression(text: str) -> bool:
    """Whether a command-line word is meant as a formula rather than a name.

    True when it holds a character outside ``[A-Za-z0-9_]`` (``x*tanh(x)``,
    ``-x``) or is the bare variable ``x``; a plain word like ``rleu`` is a
    mistyped name and gets the registry's "did you mean".
    """
    text = text.strip()
    return bool(text) and (_IDENT.fullmatch(text) is None or text == "x")


def parse(text: str) -> activations.Activation:
    """The activation given by a formula in ``x``.

    Args:
      text: the formula, e.g. ``"x * tanh(softplus(x))"``.

    Returns:
      An ``Activation`` with ``source="expression"``, ``name`` the normalised
      formula, ``formula`` the text as typed, the derivative from autodiff and
      facts estimated by sampling.

    Raises:
      ActlabError: the text is not in the grammar; the message names the
        problem and its position. Nothing in the text is executed.
    """
    if not isinstance(text, str):
        raise ActlabError(f"bad expression {text!r}: expected text, a formula in x")
    return _parse(text)


@functools.lru_cache(maxsize=256)
def _parse(text: str) -> activations.Activation:
    # Cached so one formula is one Activation and compiles once per dtype.
    name, g = _compile(text)

    value_and_derivative = autodiff_pair(lambda x: g((x,)))
    facts = estimate_facts(value_and_derivative)
    return activations.Activation(
        name=name, formula=text.strip(), value_and_derivative_fn=value_and_derivative,
        source="expression", **facts,
    )


# --- input features: formulas of the data's columns ---------------------------------


@dataclasses.dataclass(frozen=True)
class Features:
    """Network inputs computed from the data's input columns by formulas.

    ``features(x)`` maps x of shape (n, columns) to (n, len(formulas)), in x's
    dtype, with jax: it runs inside the compiled training program.

    Attributes:
      formulas: the formulas, normalised (``x1 * x2``).
      columns: the names of the input columns the formulas read.
    """

    formulas: tuple[str, ...]
    columns: tuple[str, ...]
    fns: tuple = dataclasses.field(repr=False, compare=False)
    take: tuple[int, ...] = dataclasses.field(repr=False, compare=False)  # column of each variable

    @property
    def size(self) -> int:
        return len(self.formulas)

    def __call__(self, x):
        xs = tuple(x[:, j] for j in self.take)
        return jnp.stack([jnp.broadcast_to(f(xs), x.shape[:1]).astype(x.dtype) for f in self.fns], axis=1)


@functools.lru_cache(maxsize=64)
def parse_features(formulas: tuple[str, ...], columns: tuple[str, ...]) -> Features:
    """Input features from formulas of the columns.

    A column is named ``x1, x2, ...`` by its position, or by its own name when
    that is a plain identifier that no function or constant takes (a column
    named ``x2`` is ``x2``, wherever it stands). The grammar is that of
    ``parse``; cached, so the same formulas are the same object.

    Raises:
      ActlabError: a formula outside the grammar or naming no column.
    """
    by_name = [(name, j) for j, name in enumerate(columns)
               if name.isidentifier() and not keyword.iskeyword(name) and name not in RESERVED
               and not activations.known(name)]
    by_position = [(f"x{j + 1}", j) for j in range(len(columns))]
    variables = tuple(name for name, _ in by_name + by_position)
    take = tuple(j for _, j in by_name + by_position)
    compiled = [_compile(text, variables, label="--features formula") for text in formulas]
    return Features(tuple(name for name, _ in compiled), tuple(columns), tuple(f for _, f in compiled), take)


# --- checking the text -------------------------------------------------------------


class _Refused(Exception):
    """A refusal at a node; turned into an ActlabError with the position."""

    def __init__(self, what: str, node: ast.AST | None = None, pos: int | None = None):
        super().__init__(what)
        self.what, self.node, self.pos = what, node, pos


class _Scope(NamedTuple):
    variables: dict  # name -> position in the tuple of arrays the function takes
    calls: dict  # id(call node) -> the activation it names


def _compile(text: str, variables: tuple[str, ...] = ("x",), label: str = "expression"):
    """(normalised text, f) for a formula; f maps a tuple of arrays, one per
    name of ``variables`` (a name may repeat: its first position counts), to
    an array. ``label`` names the formula in an error."""
    shown = text if len(text) <= 60 else text[:57] + "..."
    positions = {}
    for i, name in enumerate(variables):
        positions.setdefault(name, i)

    def fail(what: str, pos: int | None = None):
        where = f" at position {pos}" if pos is not None else ""
        # What the grammar allows, after a refusal of a construct or of the syntax.
        allowed = (f"; allowed: {_allowed(positions)}" if "not allowed" in what or "syntax" in what
                   else "")
        return ActlabError(f"bad {label} {shown!r}{where}: {what}{allowed}")

    if len(text) > MAX_LENGTH:
        raise fail(f"too long ({len(text)} characters, at most {MAX_LENGTH})", MAX_LENGTH + 1)
    for i, ch in enumerate(text):
        if not (ch.isascii() and (ch.isprintable() or ch in " \t\n")):
            raise fail(f"character {ch!r} is not allowed", i + 1)
    depth = 0
    for i, ch in enumerate(text):  # before the parser, which recurses on nesting
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth > MAX_DEPTH:
            raise fail(f"nested too deeply (at most {MAX_DEPTH} levels)", i + 1)
    stripped = text.lstrip()
    lead = len(text) - len(stripped)
    if not stripped.strip():
        first = next(iter(positions))
        raise fail(f"empty; write a formula in {', '.join(positions)}, e.g. '{first} * tanh({first})'")
    try:
        with warnings.catch_warnings():
            # Python only warns about "2if x else 1" (invalid decimal literal);
            # here it is an error with a position, not a line on stderr.
            warnings.simplefilter("error", SyntaxWarning)
            tree = ast.parse(stripped, mode="eval")
    except SyntaxError as e:
        if e.offset and e.offset > 0:
            pos = _position(stripped, e.lineno, e.offset - 1, chars=True)
        else:  # Python gives no column when the text ends too early ("x +")
            pos = len(stripped.rstrip()) + 1
        raise fail(f"syntax error ({e.msg})", pos + lead if pos else None) from None
    except (RecursionError, MemoryError, ValueError):
        raise fail(f"nested too deeply (at most {MAX_DEPTH} levels)") from None
    try:
        scope = _Scope(positions, {})
        _check(tree.body, 1, [0], scope)
        f = _build(tree.body, scope)
    except _Refused as e:
        pos = e.pos
        if e.node is not None and hasattr(e.node, "lineno"):
            pos = _position(stripped, e.node.lineno, e.node.col_offset)
        raise fail(e.what, pos + lead if pos else None) from None
    return ast.unparse(tree.body), f


def _position(text: str, lineno: int | None, col: int, chars: bool = False) -> int | None:
    """1-based character position of (line, column); ast columns count UTF-8 bytes."""
    if not lineno:
        return None
    lines = text.split("\n")
    if lineno > len(lines):
        return len(text)
    line = lines[lineno - 1]
    if not chars:
        col = len(line.encode()[:col].decode("utf-8", "ignore"))
    return sum(len(prev) + 1 for prev in lines[: lineno - 1]) + col + 1


def _number(node: ast.AST) -> float | None:
    """The value of a numeric literal, optionally signed; else None."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return sign * node.value
    return None


def _check(node: ast.AST, depth: int, count: list[int], scope: _Scope) -> None:
    """Refuses anything outside the grammar, before anything is built; the
    activations that calls name are resolved here, once, into ``scope.calls``."""
    count[0] += 1
    if depth > MAX_DEPTH:
        raise _Refused(f"nested too deeply (at most {MAX_DEPTH} levels)", node)
    if count[0] > MAX_NODES:
        raise _Refused(f"too many terms (at most {MAX_NODES})", node)
    kind = type(node)
    if kind in _REFUSED:
        raise _Refused(f"{_REFUSED[kind]} not allowed", _pointer(node))
    if kind is ast.Constant:
        value = node.value
        if type(value) not in (int, float):
            what = {str: "strings are", bytes: "bytes are", bool: "True/False are",
                    complex: "complex numbers are"}
            raise _Refused(f"{what.get(type(value), f'the constant {value!r} is')} not allowed", node)
        try:
            finite = math.isfinite(float(value))
        except OverflowError:
            finite = False
        if not finite:
            raise _Refused("numbers must be finite and below 1.8e308", node)
    elif kind is ast.Name:
        if node.id not in scope.variables and node.id not in CONSTANTS:
            known = [*scope.variables, *CONSTANTS]
            hint = (f" (did you mean {node.id.lower()!r}?)" if node.id.lower() in known
                    else did_you_mean(node.id, known + _callables()))
            raise _Refused(f"unknown name {node.id!r}{hint}; names: {', '.join(known)}", node)
    elif kind is ast.BinOp:
        if type(node.op) not in _BINARY:
            raise _Refused(f"the operator {_op_text(node.op)} is not allowed", node)
        if isinstance(node.op, ast.Pow):
            p = _number(node.right)
            if p is not None and abs(p) > MAX_EXPONENT:
                raise _Refused(f"exponent {p:g} is too large (|p| <= {MAX_EXPONENT})", node.right)
        _check(node.left, depth + 1, count, scope)
        _check(node.right, depth + 1, count, scope)
    elif kind is ast.UnaryOp:
        _check(node.operand, depth + 1, count, scope)
    elif kind is ast.Compare:
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise _Refused(f"the operator {_op_text(op)} is not allowed", node)
        for sub in (node.left, *node.comparators):
            _check(sub, depth + 1, count, scope)
    elif kind is ast.BoolOp:
        for sub in node.values:
            _check(sub, depth + 1, count, scope)
    elif kind is ast.IfExp:
        for sub in (node.test, node.body, node.orelse):
            _check(sub, depth + 1, count, scope)
    elif kind is ast.Call:
        _check_call(node, depth, count, scope)
    else:
        raise _Refused(f"{type(node).__name__} is not allowed", node)


def _pointer(node: ast.AST) -> ast.AST:
    """Where to point for a refused node: the ``.name`` or ``[`` rather than its start."""
    if isinstance(node, (ast.Attribute, ast.Subscript)) and hasattr(node.value, "end_col_offset"):
        spot = ast.AST()
        spot.lineno, spot.col_offset = node.value.end_lineno, node.value.end_col_offset
        return spot
    return node


def _op_text(op: ast.AST) -> str:
    return {ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>", ast.BitXor: "^",
            ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}.get(
        type(op), type(op).__name__)


def _callables() -> list[str]:
    return sorted(set(FUNCTIONS) | set(activations.names()))


def _check_call(node: ast.Call, depth: int, count: list[int], scope: _Scope) -> None:
    if not isinstance(node.func, ast.Name):
        if type(node.func) in _REFUSED:
            raise _Refused(f"{_REFUSED[type(node.func)]} not allowed", _pointer(node.func))
        raise _Refused("only named functions can be called, e.g. exp(x)", node.func)
    name = node.func.id
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise _Refused("starred arguments are not allowed", arg)
    if activations.known(name):
        if len(node.args) != 1:
            raise _Refused(f"{name} takes one argument; give parameters by name, "
                           f"e.g. {_example_call(name)}", node)
        params = {}
        for kw in node.keywords:
            value = _number(kw.value)
            if kw.arg is None or value is None:
                raise _Refused(f"{name}: parameters are name=number, e.g. {_example_call(name)}",
                               kw.value)
            params[kw.arg] = value
        try:
            scope.calls[id(node)] = activations.get(name, **params)
        except ActlabError as e:
            raise _Refused(str(e), node) from None
    elif name in FUNCTIONS:
        arity = FUNCTIONS[name][1]
        if node.keywords:
            raise _Refused(f"{name} takes no keyword arguments", node.keywords[0].value)
        if len(node.args) != arity:
            raise _Refused(f"{name} takes {arity} argument{'s' * (arity > 1)}, "
                           f"got {len(node.args)}", node)
    else:
        hint = did_you_mean(name, _callables())
        raise _Refused(f"unknown function {name!r}{hint}; functions: {', '.join(_callables())}",
                       node.func)
    for arg in node.args:
        _check(arg, depth + 1, count, scope)


def _example_call(name: str) -> str:
    params = activations.get(name).params
    inner = "".join(f", {k}={v:g}" for k, v in params.items())
    return f"{name}(x{inner})"


# --- building the function ---------------------------------------------------------


def _build(node: ast.AST, scope: _Scope):
    """A function ``xs -> array`` for a checked node, ``xs`` one array per
    variable (all of one shape and dtype); constants take their dtype."""
    kind = type(node)
    if kind is ast.Constant:
        value = float(node.value)
        return lambda xs: jnp.asarray(value, xs[0].dtype)
    if kind is ast.Name:
        if node.id in scope.variables:
            index = scope.variables[node.id]
            return lambda xs: xs[index]
        value = CONSTANTS[node.id]
        return lambda xs: jnp.asarray(value, xs[0].dtype)
    if kind is ast.UnaryOp:
        op, operand = _UNARY[type(node.op)], _build(node.operand, scope)
        return lambda xs: op(operand(xs))
    if kind is ast.BinOp:
        left = _build(node.left, scope)
        p = _number(node.right)
        if isinstance(node.op, ast.Pow) and p is not None and p == int(p):
            # x ** 3 as integer_pow: exact for negative x, derivative 3x^2 also at 0.
            n = int(p)
            return lambda xs: lax.integer_pow(left(xs), n)
        op, right = _BINARY[type(node.op)], _build(node.right, scope)
        return lambda xs: op(left(xs), right(xs))
    if kind is ast.Compare:
        parts = [_build(sub, scope) for sub in (node.left, *node.comparators)]
        ops = [_COMPARE[type(op)] for op in node.ops]

        def compare(xs):
            values = [part(xs) for part in parts]
            result = ops[0](values[0], values[1])
            for op, a, b in zip(ops[1:], values[1:], values[2:]):
                result = result & op(a, b)
            return result.astype(values[0].dtype)

        return compare
    if kind is ast.BoolOp:
        parts = [_build(sub, scope) for sub in node.values]
        combine = jnp.logical_and if isinstance(node.op, ast.And) else jnp.logical_or

        def boolop(xs):
            values = [_truth(part(xs)) for part in parts]
            result = values[0]
            for v in values[1:]:
                result = combine(result, v)
            return result.astype(xs[0].dtype)

        return boolop
    if kind is ast.IfExp:
        test, body, orelse = _build(node.test, scope), _build(node.body, scope), _build(node.orelse, scope)
        return lambda xs: jnp.where(_truth(test(xs)), body(xs), orelse(xs))
    if kind is ast.Call:
        name = node.func.id
        args = [_build(arg, scope) for arg in node.args]
        if id(node) in scope.calls:
            fn = scope.calls[id(node)].fn
            (arg,) = args
            return lambda xs: fn(arg(xs))
        fn = FUNCTIONS[name][0]
        return lambda xs: fn(*(arg(xs) for arg in args))
    raise _Refused(f"{kind.__name__} is not allowed", node)  # _check lets none through
