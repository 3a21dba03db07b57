"""Options shared by several commands, defined once, and the small parsers of
their text.

Nothing here imports jax, numpy or optax: ``--help`` must stay fast. The name
lists in the help come from the core's own tables (``actlab.blocks.data``,
``actlab.blocks.optim``), which are plain Python.
"""

from __future__ import annotations

import functools
import math

import click

from actlab.blocks.data import DATASETS, TASKS, Request
from actlab.blocks.optim import OPTIMIZERS
from actlab.errors import ActlabError
from actlab.limits import DTYPE_MAX, MAX_COUNT, MAX_READ_BYTES, MAX_SEED, fmt_bytes, in_dtype

DTYPES = tuple(DTYPE_MAX)


class _Range(click.ParamType):
    """A finite number in [lo, hi] (ends open where asked); a bad value is an
    ActlabError naming the option and the value: "bad --seeds 0: must be >= 1".
    A whole number is at most ``MAX_COUNT`` unless told otherwise, so that no
    size or count overflows the int32 and int64 of numpy and jax."""

    def __init__(self, kind, lo=None, hi=None, *, lo_open=False):
        if kind is int and hi is None:
            hi = MAX_COUNT
        self.kind, self.lo, self.hi, self.lo_open = kind, lo, hi, lo_open
        self.name = kind.__name__

    def convert(self, value, param, ctx):
        if isinstance(value, self.kind) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = self.kind(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} is not a {'whole ' if self.kind is int else ''}number", param, ctx)
        return self.check(number, param.opts[0] if param is not None else "value", shown=value)

    def check(self, number, name: str, shown=None):
        """``number`` if it is in range, else an ActlabError naming ``name`` and
        the value as given (``shown``, default the number)."""
        below = self.lo is not None and (number <= self.lo if self.lo_open else number < self.lo)
        above = self.hi is not None and number > self.hi
        if below or above or (self.kind is float and not math.isfinite(number)):
            raise ActlabError(f"bad {name} {number if shown is None else shown}: must be {self._allowed()}")
        return number

    def _allowed(self) -> str:
        lo = None if self.lo is None else f"{'>' if self.lo_open else '>='} {self._text(self.lo)}"
        if self.hi is None:
            return f"a finite number {lo}" if self.kind is float else lo
        hi = f"<= {self._text(self.hi)}"
        return f"{lo} and {hi}" if lo else hi

    def _text(self, bound) -> str:
        return str(bound) if self.kind is int else f"{bound:g}"


def whole(lo=None, hi=None) -> _Range:
    """A whole number in [lo, hi] (hi: ``MAX_COUNT`` unless given)."""
    return _Range(int, lo, hi)


def number(lo=None, hi=None, *, lo_open=False) -> _Range:
    """A finite number in [lo, hi] ((lo, hi] with ``lo_open``)."""
    return _Range(float, lo, hi, lo_open=lo_open)

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout, nothing else."
)
seed_option = click.option(
    "--seed", type=whole(0, MAX_SEED), default=0, show_default=True,
    help="Random seed; the same seed gives the same numbers.")


MIXED_HELP = ("float16 trains in mixed precision: float32 master weights and optimizer state, float16 "
              "forward and backward passes, a dynamic loss scale.")


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


def _compose(*decorators):
    """One decorator that applies several, in the order written."""

    def apply(f):
        for decorator in reversed(decorators):
            f = decorator(f)
        return f

    return apply


def _as_request(f):
    """Hands the command one ``data`` (an ``actlab.blocks.data.Request``) for the
    options of ``dataset_options``; its seed is --data-seed where the command
    has it and it is given, else --seed."""

    @functools.wraps(f)
    def command(*, dataset, data_path, target, task, no_standardize, samples, noise, classes,
                test_frac, train_frac, digits, **rest):
        data_seed = rest.pop("data_seed", None)
        data = Request(name=dataset, path=data_path,
                       target=tuple(split_words(target, "--target")) if target else (),
                       task=task, standardize=not no_standardize, samples=samples, noise=noise,
                       classes=classes, test_frac=test_frac, train_frac=train_frac,
                       digits=parse_ints(digits, "--digits", example="0,1") if digits is not None else None,
                       seed=rest["seed"] if data_seed is None else data_seed)
        return f(data=data, **rest)

    return command


# The data of `train` and `sweep`: a generated set by name, or the user's CSV.
dataset_options = _compose(
    click.argument("dataset", required=False, metavar="[DATASET]"),
    click.option("--data", "data_path", type=click.Path(dir_okay=False),
                 help="Use a CSV file (a header row, numeric columns; a regular file of at most "
                      f"{fmt_bytes(MAX_READ_BYTES)}) instead of a generated set."),
    click.option("--target", help="With --data: the target column(s), comma-separated, e.g. y or tag1,tag2."),
    click.option("--task", help="With --data: override the inferred task: " + ", ".join(TASKS) + "."),
    click.option("--no-standardize", is_flag=True,
                 help="With --data: keep the inputs as they are (default: mean 0, std 1 by the training rows)."),
    click.option("--samples", type=whole(1),
                 help="Points to generate (train + test); default per dataset."),
    click.option("--noise", type=number(0),
                 help="Noise level of the generated set (a standard deviation); default per dataset."),
    click.option("--classes", type=whole(2, 10), default=3, show_default=True,
                 help="Classes of spiral and blobs."),
    click.option("--test-frac", type=number(0, 1), default=0.25, show_default=True,
                 help="Fraction held out for testing (the four-point gates have no split; the real "
                      "sets keep each class's share in both parts)."),
    click.option("--train-frac", type=number(0, 1, lo_open=True), default=1.0, show_default=True,
                 help="Train on this fraction of the training rows (the test rows stay the same), "
                      "e.g. 0.1 to see overfitting."),
    click.option("--digits", metavar="D,D[,...]",
                 help="With digits: the digits to tell apart, e.g. 0,1 (binary, as in the course) or "
                      "3,5,8; default all ten."),
    _as_request,
)

# The network and the optimizer's loop, shared by `train` and `sweep`.
training_options = _compose(
    click.option("--hidden", help="Hidden widths, e.g. 8 or 16,16 (0: none); default per dataset."),
    click.option("--init", "init_name", default="auto", show_default=True,
                 help="Weight init: auto (the activation's family: He for ReLU-like units, LeCun "
                      "for selu, Glorot otherwise), he, glorot, lecun or normal:STD."),
    click.option("--steps", type=whole(1), help="Optimizer steps; default per dataset."),
    click.option("--epochs", type=whole(1),
                 help="Passes over the training rows, instead of --steps (Keras' epochs): "
                      "n_train // batch steps each."),
    click.option("--batch", type=whole(1),
                 help="Mini-batch size (Keras' batch_size); default per dataset (digits 32), else the "
                      "full batch. Each epoch is one shuffle of the training rows, cut into batches "
                      "(sampling without replacement; the n mod batch rows the shuffle puts last sit "
                      "that epoch out)."),
    click.option("--conv", is_flag=False, flag_value="", default=None, metavar="[C,C...]",
                 help="Image data (digits): 3x3 convolutional layers with these channels (stride 2) "
                      "before the dense layers; --conv alone: 8,16. Dense --hidden then defaults to none."),
    click.option("--l2", type=number(0), default=0.0, show_default=True,
                 help="L2 penalty (l2/2)*||W||^2 on the weights."),
    click.option("--l1", type=number(0), default=0.0, show_default=True,
                 help="L1 penalty l1*sum|W| on the weights (pulls small weights to 0)."),
    click.option("--features", "features_text", metavar="FORMULAS",
                 help="The network's inputs as formulas of the data's columns, comma-separated: "
                      "x1, x2, ... by position or a CSV column's name, e.g. "
                      "\"x1,x2,x1*x2,x1**2,sin(x1)\" (same grammar as formula activations)."),
    dtype_option(help="Floating-point type of parameters and data. " + MIXED_HELP),
)

DATASETS_HELP = "Datasets: " + ", ".join(DATASETS) + "."
OPTIMIZERS_HELP = ", ".join(OPTIMIZERS)


def parse_params(items, dtype: str) -> dict[str, float]:
    """``("alpha=0.2", ...)`` -> ``{"alpha": 0.2}``; a malformed item, or a value
    that ``dtype`` cannot hold, is an ActlabError."""
    params = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ActlabError(f"bad --param {item!r}: expected KEY=VALUE, e.g. alpha=0.2")
        what = f"--param {key.strip()}"
        params[key.strip()] = in_dtype(parse_float(value, what), dtype, what)
    return params


def parse_float(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ActlabError(f"bad {what} value {text!r}: expected a number") from None
    return value


def parse_floats(text: str, what: str, within: _Range | None = None) -> list[float]:
    """``"1000,0,-5"`` -> ``[1000.0, 0.0, -5.0]``; empty items, non-numbers and
    numbers outside ``within`` (a ``number(...)``) are refused."""
    values = [parse_float(item, what) for item in split_words(text, what, example="0,2,5")]
    return [within.check(v, what, shown=f"{v:g}") for v in values] if within else values


def split_words(text: str, what: str, example: str = "a,b") -> list[str]:
    """``"a, b"`` -> ``["a", "b"]``; an empty list or item is refused."""
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise ActlabError(f"bad {what} {text!r}: expected a comma-separated list, e.g. {example}")
    return items


def parse_ints(text: str, what: str, example: str = "1,2", within: _Range | None = None) -> tuple[int, ...]:
    """``"3,5,8"`` -> ``(3, 5, 8)``; a non-integer item, or one outside
    ``within`` (a ``whole(...)``), is refused."""
    items = split_words(text, what, example=example)
    try:
        values = tuple(int(item) for item in items)
    except ValueError:
        raise ActlabError(f"bad {what} {text!r}: expected whole numbers, e.g. {example}") from None
    return tuple(within.check(v, what) for v in values) if within else values


def parse_conv(text: str | None) -> tuple[int, ...] | None:
    """``--conv`` -> channels: None without it, () for the default, else positive whole numbers."""
    if text is None:
        return None
    return parse_ints(text, "--conv", example="8,16", within=whole(1)) if text.strip() else ()


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
        if not 1 <= w <= MAX_COUNT:
            raise ActlabError(f"bad --hidden {text!r}: expected widths from 1 to {MAX_COUNT}, e.g. 8 or "
                              "16,16 (0 for no hidden layer)")
        widths.append(w)
    return tuple(widths)
