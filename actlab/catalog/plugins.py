"""Activations from installed packages, through the entry-point group
``actlab.activations``.

A package declares, in its ``pyproject.toml``::

    [project.entry-points."actlab.activations"]
    squareplus = "actlab_squareplus:SQUAREPLUS"        # a declaration
    bent_identity = "actlab_squareplus:bent_identity"  # a function

An entry point names either

- a declaration: a dict of ``activations.register`` keyword arguments
  (``name`` defaults to the entry point's name), or an ``Activation``; or
- a function ``f(x) -> array``, elementwise in ``jax.numpy``: its derivative is
  JAX autodiff and its facts (range, monotonicity ...) are estimated by sampling.

Everything registered carries ``source="plugin:<distribution name>"``. A
declaration is checked whole before it is registered: its facts (types and
values), a name that formulas reserve (``x``, ``pi``, ``exp`` ...) or that is
taken, and a smoke test of (f, f') on a few points (float arrays of the
input's shape, or a scalar slope, finite there). A plugin that fails any of this,
or fails to import, is reported once on stderr and skipped; it never breaks the
CLI, and nothing it prints reaches stdout. ``ACTLAB_NO_PLUGINS=1`` turns plugin
loading off. ``actlab.catalog`` calls ``load`` once per process; jax is
imported only when there is a plugin to check.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from actlab.blocks import activations

__all__ = ["GROUP", "Loaded", "load"]

GROUP = "actlab.activations"
SMOKE_POINTS = (-3.0, -1.0, 0.0, 0.5, 2.0)


class Loaded(NamedTuple):
    """What happened to one entry point."""

    name: str  # the activation's name (the entry point's, if it never got one)
    source: str  # "plugin:<distribution>"
    error: str | None  # why it was skipped; None when registered


def load(entry_points: Iterable | None = None) -> list[Loaded]:
    """Registers the activations of the installed plugin packages.

    Args:
      entry_points: the entry points to load; by default those of the group
        ``actlab.activations`` of every installed distribution.

    Returns:
      one ``Loaded`` per entry point; the skipped ones were also reported on stderr.
    """
    if entry_points is None:
        if os.environ.get("ACTLAB_NO_PLUGINS"):
            return []
        try:
            entry_points = importlib.metadata.entry_points(group=GROUP)
        except Exception as e:  # a broken installation's metadata must not break the CLI
            _report(f"actlab: could not list plugins: {_one_line(e)}")
            return []
    results = []
    for ep in entry_points:
        dist = getattr(getattr(ep, "dist", None), "name", None) or "unknown"
        source = f"plugin:{dist}"
        try:
            # stdout holds the result alone (--json): a plugin's prints go to stderr
            with contextlib.redirect_stdout(sys.stderr):
                name = _register(ep, source)
            results.append(Loaded(name, source, None))
        except (Exception, SystemExit) as e:  # anything a plugin does wrong: report, skip
            reason = _one_line(e)
            _report(f"actlab: skipped plugin activation {ep.name!r} from {dist}: {reason}")
            results.append(Loaded(ep.name, source, reason))
    return results


def _register(ep, source: str) -> str:
    obj = ep.load()
    if isinstance(obj, activations.Activation):
        act = dataclasses.replace(obj, source=source)
        _smoke_test(act.value_and_derivative_fn, act.params)
        activations.register(dataclasses.replace(
            act, init=_checked_init(act.name, act.value_and_derivative_fn, act.params, act.init)))
        return act.name
    if isinstance(obj, Mapping):
        decl = {"name": ep.name, **obj}
        if "value_and_derivative_fn" not in decl or "formula" not in decl:
            raise TypeError("a declaration needs 'formula' and 'value_and_derivative_fn'")
        _smoke_test(decl["value_and_derivative_fn"], decl.get("defaults") or {})
    elif callable(obj):
        decl = _from_function(ep.name, obj, ep.value)  # smoke-tested before its facts are sampled
    else:
        raise TypeError(f"{ep.value} is a {type(obj).__name__}; expected a function, "
                        "a dict of register() arguments or an Activation")
    decl["init"] = _checked_init(decl["name"], decl["value_and_derivative_fn"], decl.get("defaults") or {},
                                 decl.get("init"))
    activations.register(**{**decl, "source": source})
    return decl["name"]


def _checked_init(name, value_and_derivative: Callable, params: Mapping, init):
    """The plugin's init family, estimated from its function when it declares
    none; refuses a name that formulas read as their own."""
    from actlab.blocks.facts import estimate_init

    _check_name(name)
    return init if init is not None else estimate_init(_bound(value_and_derivative, params))


def _check_name(name) -> None:
    from actlab.catalog.expr import RESERVED

    if name in RESERVED:
        raise ValueError(f"the name {name!r} is reserved: formulas read it as their own")


def _bound(fn: Callable, params: Mapping) -> Callable:
    return lambda x: fn(x, **params)


def _from_function(name: str, fn: Callable, where: str) -> dict:
    """A declaration for ``f(x)``: autodiff derivative, sampled facts."""
    from actlab.blocks.facts import autodiff_pair, estimate_facts

    value_and_derivative = autodiff_pair(fn)
    doc = (getattr(fn, "__doc__", None) or "").strip().splitlines()
    _smoke_test(value_and_derivative, {})
    return dict(name=name, formula=doc[0] if doc else where,
                value_and_derivative_fn=value_and_derivative,
                **estimate_facts(value_and_derivative))


def _smoke_test(value_and_derivative: Callable, defaults: Mapping) -> None:
    """Calls (f, f') on a few points in float32: each must be a float array of
    the input's shape (or broadcast to it) and finite there."""
    import jax.numpy as jnp
    import numpy as np

    x = jnp.asarray(SMOKE_POINTS, jnp.float32)
    out = value_and_derivative(x, **defaults)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError("value_and_derivative_fn must return a pair (f(x), f'(x))")
    for what, part in zip(("f", "f'"), out):
        part = jnp.asarray(part)
        if not jnp.issubdtype(part.dtype, jnp.floating):
            raise TypeError(f"{what} has dtype {part.dtype}, expected a float")
        if part.shape != x.shape and not (what == "f'" and part.ndim == 0):  # a constant slope may be a scalar
            raise TypeError(f"{what} has shape {part.shape} for an input of shape {x.shape}; "
                            "it must be elementwise")
        bad = ~np.isfinite(np.asarray(part, np.float64))
        if bad.any():
            raise ValueError(f"{what}({SMOKE_POINTS[int(np.argmax(bad))]:g}) is not finite")


def _report(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _one_line(e: BaseException) -> str:
    text = " ".join(f"{type(e).__name__}: {e}".split())
    return text if len(text) <= 200 else text[:197] + "..."
