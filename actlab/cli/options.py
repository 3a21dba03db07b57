"""Options shared by several commands, defined once, and the start-up of jax.

Nothing here imports jax at module level: ``--help`` must stay fast.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from actlab.errors import ActlabError

DTYPES = ("float16", "bfloat16", "float32", "float64")

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout, nothing else."
)
seed_option = click.option(
    "--seed", type=int, default=0, show_default=True, help="Random seed; the same seed gives the same numbers."
)


def dtype_option(default="float32", help="Floating-point type of the computation."):
    return click.option(
        "--dtype", type=click.Choice(DTYPES), default=default, show_default=True, help=help
    )


param_option = click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="An activation parameter, e.g. --param alpha=0.2 (repeatable).",
)
overwrite_option = click.option(
    "--overwrite", is_flag=True, help="Allow the output file or folder to replace an existing one."
)

# Names the options accept, kept here so --help needs neither numpy nor optax;
# tests check them against the core's own tables.
DATASET_NAMES = ("xor", "and", "or", "xor-noisy", "moons", "circles", "spiral", "blobs",
                 "multilabel", "sine", "parabola")
OPTIMIZER_NAMES = ("sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw", "nadam",
                   "amsgrad", "adamax", "adabelief", "radam", "lion")
TASK_NAMES = ("binary", "multi-class", "multi-label", "regression", "non-negative-regression")


def _compose(*decorators):
    """One decorator that applies several, in the order written."""

    def apply(f):
        for decorator in reversed(decorators):
            f = decorator(f)
        return f

    return apply


# The data of `train` and `sweep`: a generated set by name, or the user's CSV.
dataset_options = _compose(
    click.argument("dataset", required=False, metavar="[DATASET]"),
    click.option("--data", "data_path", type=click.Path(dir_okay=False),
                 help="Use a CSV file (a header row, numeric columns) instead of a generated set."),
    click.option("--target", help="With --data: the target column(s), comma-separated, e.g. y or tag1,tag2."),
    click.option("--task", help="With --data: override the inferred task: " + ", ".join(TASK_NAMES) + "."),
    click.option("--no-standardize", is_flag=True,
                 help="With --data: keep the inputs as they are (default: mean 0, std 1 by the training rows)."),
    click.option("--samples", type=int, help="Points to generate (train + test); default per dataset."),
    click.option("--noise", type=float,
                 help="Noise level of the generated set (a standard deviation); default per dataset."),
    click.option("--classes", type=int, default=3, show_default=True, help="Classes of spiral and blobs."),
    click.option("--test-frac", type=float, default=0.25, show_default=True,
                 help="Fraction held out for testing (the four-point gates have no split)."),
)

# The network and the optimizer's loop, shared by `train` and `sweep`.
training_options = _compose(
    click.option("--hidden", help="Hidden widths, e.g. 8 or 16,16 (0: none); default per dataset."),
    click.option("--init", "init_name", default="auto", show_default=True,
                 help="Weight init: auto, he, glorot, lecun or normal:STD."),
    click.option("--steps", type=int, help="Optimizer steps; default per dataset."),
    click.option("--batch", type=int, help="Mini-batch size (default: the full batch)."),
    click.option("--l2", type=float, default=0.0, show_default=True,
                 help="L2 penalty (l2/2)*||W||^2 on the weights."),
)


def init_jax():
    """Turns on float64 and the persistent compilation cache; returns jax.

    The cache lives in ``$ACTLAB_CACHE_DIR`` (default: the user's cache folder,
    ``$XDG_CACHE_HOME/actlab/jax``); ``ACTLAB_NO_CACHE=1`` turns it off. A
    second run of a command then compiles nothing.
    """
    import jax

    jax.config.update("jax_enable_x64", True)
    if not os.environ.get("ACTLAB_NO_CACHE") and not getattr(init_jax, "_cache_done", False):
        try:
            jax.config.update("jax_compilation_cache_dir", str(cache_dir()))
            jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
            jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
        except Exception:  # an old jax without these options: run uncached
            pass
        init_jax._cache_done = True
    return jax


def cache_dir() -> Path:
    if os.environ.get("ACTLAB_CACHE_DIR"):
        return Path(os.environ["ACTLAB_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "actlab" / "jax"


def parse_params(items) -> dict[str, float]:
    """``("alpha=0.2", ...)`` -> ``{"alpha": 0.2}``; a malformed item is an ActlabError."""
    params = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ActlabError(f"bad --param {item!r}: expected KEY=VALUE, e.g. alpha=0.2")
        params[key.strip()] = parse_float(value, f"--param {key.strip()}")
    return params


def parse_float(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ActlabError(f"bad {what} value {text!r}: expected a number") from None
    return value


def parse_floats(text: str, what: str) -> list[float]:
    """``"1000,0,-5"`` -> ``[1000.0, 0.0, -5.0]``; empty items or non-numbers are refused."""
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise ActlabError(f"bad {what} {text!r}: expected comma-separated numbers, e.g. 0,2,5")
    return [parse_float(item, what) for item in items]


def parse_names(text: str, what: str) -> list[str]:
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


def parse_hidden(text: str) -> tuple[int, ...]:
    """``"16,16"`` -> ``(16, 16)``; ``"0"`` or ``""`` (no hidden layer) -> ``()``."""
    text = text.strip()
    if text in ("", "0", "none"):
        return ()
    widths = []
    for item in text.split(","):
        try:
            w = int(item.strip())
        except ValueError:
            w = 0
        if w < 1:
            raise ActlabError(f"bad --hidden {text!r}: expected positive widths, e.g. 8 or 16,16 "
                              "(0 for no hidden layer)")
        widths.append(w)
    return tuple(widths)


def resolve_activation(name: str, params: dict | None = None):
    """The activation for a name typed on the command line: a registered name
    (built-in or plugin), else a formula in x such as ``"x*tanh(softplus(x))"``.
    A plain word that is no name keeps the registry's "did you mean"."""
    from actlab.blocks import activations
    from actlab.catalog import expr

    if activations.known(name) or not expr.looks_like_expression(name):
        return activations.get(name, **(params or {}))
    if params:
        raise ActlabError(f"--param applies to named activations, not to the expression {name!r}; "
                          "write the value into it, e.g. 'leaky_relu(x, alpha=0.2)'")
    return expr.parse(name)


def resolve_activations(names, params: dict | None = None):
    """Activations for NAME arguments (each may be a comma list or a formula),
    each with the --param values it has.

    With one activation every --param must fit it (a typo is an error); with
    several, each takes the parameters it has, and one that none has is an error.
    """
    flat = [n for name in names for n in parse_names(name, "activation list")]
    params = params or {}
    if len(flat) == 1:
        return [resolve_activation(flat[0], params)]
    bare = [resolve_activation(name) for name in flat]
    for key in params:
        if not any(key in act.params for act in bare):
            have = sorted({k for act in bare for k in act.params})
            raise ActlabError(f"bad --param {key!r}: none of {', '.join(flat)} has it; "
                              f"their parameters: {', '.join(have) or 'none'}")
    return [resolve_activation(name, {k: v for k, v in params.items() if k in act.params})
            if params else act for name, act in zip(flat, bare)]
