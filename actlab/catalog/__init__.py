"""Text to resolved things: what a user types, turned into what the core takes.

    act = activation("leaky_relu", {"alpha": 0.2})   # a registered name (built-in or plugin)
    act = activation("x*tanh(softplus(x))")          # or a formula in x
    acts = activations(["relu,tanh", "gelu"])         # comma lists, --param spread over them
    opt = optimizer("adam")                          # Optimizer(name, default_lr, about)
    feats = features("x1,x2,x1*x2", ds)              # network inputs from formulas of ds's columns

Installed plugins are registered once per process, the first time anything
here needs the registry; the registry itself (``actlab.blocks.activations``)
is passive. Formulas (``expr``) and plugins need jax: this module imports them
only when a name calls for them, so ``actlab list`` stays free of jax when no
plugin is installed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from actlab.blocks import activations as registry
from actlab.blocks import optim
from actlab.errors import ActlabError

__all__ = ["load_plugins", "activation_names", "registered", "activation", "activations", "split_list",
           "Optimizer", "optimizer", "optimizers", "features"]

_plugins_loaded = False


def load_plugins() -> None:
    """Registers the installed plugins' activations, once per process."""
    global _plugins_loaded
    if not _plugins_loaded:
        _plugins_loaded = True
        from actlab.catalog import plugins

        plugins.load()


def activation_names() -> list[str]:
    """Every activation name: built-in and plugins."""
    load_plugins()
    return registry.names()


def registered() -> list[registry.Activation]:
    """Every registered activation (built-in and plugins) at its default parameters."""
    return [registry.get(name) for name in activation_names()]


def activation(text: str, params: Mapping[str, float] | None = None) -> registry.Activation:
    """The activation a user means: a registered name (built-in or plugin),
    else a formula in x such as ``"x*tanh(softplus(x))"``. A plain word that is
    no name keeps the registry's "did you mean".

    Raises:
      ActlabError: unknown name, bad parameter, or a formula outside the grammar.
    """
    load_plugins()
    from actlab.catalog import expr

    text = text.strip()
    if registry.known(text) or not expr.looks_like_expression(text):
        return registry.get(text, **(params or {}))
    if params:
        raise ActlabError(f"--param applies to named activations, not to the expression {text!r}; "
                          "write the value into it, e.g. 'leaky_relu(x, alpha=0.2)'")
    return expr.parse(text)


def activations(texts: Iterable[str], params: Mapping[str, float] | None = None, *,
                what: str = "activation list") -> list:
    """Activations for NAME arguments (each may be a comma list or a formula),
    each with the ``params`` it has.

    With one activation every parameter must fit it (a typo is an error); with
    several, each takes the parameters it has, and one that none has is an error.
    """
    flat = [name for text in texts for name in split_list(text, what)]
    params = dict(params or {})
    if len(flat) == 1:
        return [activation(flat[0], params)]
    bare = [activation(name) for name in flat]
    for key in params:
        if not any(key in act.params for act in bare):
            have = sorted({k for act in bare for k in act.params})
            raise ActlabError(f"bad --param {key!r}: none of {', '.join(flat)} has it; "
                              f"their parameters: {', '.join(have) or 'none'}")
    return [registry.get(act.name, **{k: v for k, v in params.items() if k in act.params})
            if set(params) & set(act.params) else act for act in bare]


def split_list(text: str, what: str) -> list[str]:
    """``"relu,tanh"`` -> ``["relu", "tanh"]``; an empty list or item is refused.

    Commas inside parentheses do not split, so a formula such as
    ``leaky_relu(x, alpha=0.2)`` stays one item.
    """
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth <= 0:
            items.append(text[start:i].strip())
            start = i + 1
    items.append(text[start:].strip())
    if not text.strip() or any(not item for item in items):
        raise ActlabError(f"bad {what} {text!r}: expected a comma-separated list, e.g. relu,tanh")
    return items


class Optimizer(NamedTuple):
    """An optimizer of ``actlab.blocks.optim`` by name, with its default learning rate."""

    name: str
    default_lr: float
    about: str


def optimizer(name: str) -> Optimizer:
    """The optimizer ``name`` (did-you-mean for a typo)."""
    name = optim.check_name(name.strip())
    _, lr, about = optim.OPTIMIZERS[name]
    return Optimizer(name, lr, about)


def optimizers(text: str) -> list[Optimizer]:
    """Optimizers from a comma list, in order, each once."""
    return [optimizer(name) for name in dict.fromkeys(split_list(text, "--opt"))]


def features(text: str, ds):
    """The ``--features`` formulas (a comma list) of the columns of ``ds``
    (``actlab.catalog.expr.parse_features``), checked on every row of it.

    Raises:
      ActlabError: a formula outside the grammar, naming no column, or giving
        nan or inf on a row of the data.
    """
    load_plugins()
    import numpy as np

    from actlab.catalog import expr

    feats = expr.parse_features(tuple(split_list(text, "--features")), tuple(ds.feature_names))
    x = np.concatenate([ds.x_train, ds.x_test]) if ds.has_test else ds.x_train
    for formula, column in zip(feats.formulas, np.asarray(feats(x)).T):
        bad = np.flatnonzero(~np.isfinite(column))
        if bad.size:
            where = ", ".join(f"{n}={v:g}" for n, v in zip(ds.feature_names, x[bad[0]]))
            raise ActlabError(f"bad --features formula {formula!r}: nan or inf on {bad.size} of "
                              f"{len(column)} rows, e.g. at {where}")
    return feats
