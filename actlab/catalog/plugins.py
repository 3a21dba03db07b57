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

Everything registered carries ``source="plugin:<distribution name>"``. A plugin
that fails to import, declares something invalid, reuses a taken name or fails
a smoke test on ``[-1, 0, 1]`` is reported once on stderr and skipped; it never
breaks the CLI. ``ACTLAB_NO_PLUGINS=1`` turns plugin loading off.

The registry loads plugins itself, once, the first time ``activations.names()``
is called or an unknown name is asked for; nothing else needs to call ``load``.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

import jax
import jax.numpy as jnp

from actlab.blocks import activations

__all__ = ["GROUP", "Loaded", "load"]

GROUP = "actlab.activations"


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
        decl = dict(
            name=obj.name, formula=obj.formula, value_and_derivative_fn=obj.value_and_derivative_fn,
            output_range=obj.output_range, defaults=dict(obj.params), open_ends=obj.open_ends,
            zero_centred=obj.zero_centred, monotonic=obj.monotonic, saturates=obj.saturates,
            max_slope=obj.max_slope, uses=obj.uses, note=obj.note,
        )
    elif isinstance(obj, Mapping):
        decl = {"name": ep.name, **obj}
        if "value_and_derivative_fn" not in decl or "formula" not in decl:
            raise TypeError("a declaration needs 'formula' and 'value_and_derivative_fn'")
    elif callable(obj):
        decl = _from_function(ep.name, obj, ep.value)
    else:
        raise TypeError(f"{ep.value} is a {type(obj).__name__}; expected a function, "
                        "a dict of register() arguments or an Activation")
    decl["source"] = source
    _smoke_test(decl["value_and_derivative_fn"], decl.get("defaults") or {})
    activations.register(**decl)
    return decl["name"]


def _from_function(name: str, fn: Callable, where: str) -> dict:
    """A declaration for ``f(x)``: autodiff derivative, sampled facts."""
    from actlab.catalog import expr

    def value_and_derivative(x):
        return jax.jvp(fn, (x,), (jnp.ones_like(x),))

    doc = (getattr(fn, "__doc__", None) or "").strip().splitlines()
    _smoke_test(value_and_derivative, {})
    return dict(name=name, formula=doc[0] if doc else where,
                value_and_derivative_fn=value_and_derivative,
                **expr.estimate_facts(value_and_derivative))


def _smoke_test(value_and_derivative: Callable, defaults: Mapping) -> None:
    """Calls (f, f') on [-1, 0, 1] in float32: a plugin that cannot do that is broken."""
    x = jnp.asarray([-1.0, 0.0, 1.0], jnp.float32)
    out = value_and_derivative(x, **defaults)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError("value_and_derivative_fn must return a pair (f(x), f'(x))")
    for part in out:
        part = jnp.asarray(part)
        if not jnp.issubdtype(part.dtype, jnp.floating):
            raise TypeError(f"value_and_derivative_fn returned dtype {part.dtype}, expected a float")
        jnp.broadcast_to(part, x.shape)  # raises if the shape is wrong


def _report(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _one_line(e: BaseException) -> str:
    text = " ".join(f"{type(e).__name__}: {e}".split())
    return text if len(text) <= 200 else text[:197] + "..."
