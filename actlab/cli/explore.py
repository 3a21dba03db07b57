"""``actlab list`` and ``actlab plot``: the registry as a table, activations as charts."""

from __future__ import annotations

import click

from actlab.cli.options import (dtype_option, json_option, number, overwrite_option, param_option,
                                parse_params, whole)
from actlab.errors import ActlabError
from actlab.limits import in_dtype

MAX_POINTS = 100_000


@click.command("list")
@json_option
def list_cmd(as_json):
    """The activation registry: formula, output range, properties, typical use.

    \b
    Examples:
      actlab list
      actlab list --json
    """
    from actlab import catalog
    from actlab.render import explore

    explore.print_list(catalog.registered(), as_json=as_json)


@click.command("plot")
@click.argument("names", nargs=-1, required=True)
@click.option("--derivative", "-d", is_flag=True, help="Also draw each derivative f'(x).")
@click.option("--range", "x_range", nargs=2, type=number(), default=(-5.0, 5.0), show_default=True,
              metavar="MIN MAX", help="The x interval.")
@click.option("--points", type=whole(2, MAX_POINTS), default=201, show_default=True,
              help=f"Number of sample points (2 to {MAX_POINTS}).")
@param_option
@dtype_option()
@click.option("--save", metavar="FILE", help="Also write the figure to FILE (.png, .svg or .pdf).")
@overwrite_option
@json_option
def plot_cmd(names, derivative, x_range, points, params, dtype, save, overwrite, as_json):
    """Draw activations (and their derivatives) as a terminal chart, with the
    facts under it: output range, f(0), f'(0), the largest |f'| and where, and
    where the function saturates (|f'| < 1e-3).

    --param applies to every named activation that has that parameter.

    \b
    Examples:
      actlab plot relu --derivative
      actlab plot sigmoid tanh --derivative --range -8 8
      actlab plot leaky_relu --param alpha=0.2 --save leaky.png
    """
    lo, hi = x_range
    if not lo < hi:
        raise ActlabError(f"bad --range {lo:g} {hi:g}: MIN must be below MAX, both finite")
    in_dtype(lo, dtype, "--range MIN")
    in_dtype(hi, dtype, "--range MAX")
    path = None
    if save is not None:
        from actlab.render.files import check_save_path

        path = check_save_path(save, overwrite=overwrite)
    from actlab import runtime

    jax = runtime.configure()
    from actlab import catalog
    from actlab.lab import curves
    from actlab.render import explore

    acts = catalog.activations(names, parse_params(params, dtype))
    result = [curves.sample(a, lo=lo, hi=hi, points=points, dtype=dtype) for a in acts]
    explore.print_plot(result, derivative=derivative, dtype=dtype, backend=jax.default_backend(),
                       as_json=as_json)
    if path is not None:
        explore.save_plot(result, derivative=derivative, path=path)
        explore.saved(path)
