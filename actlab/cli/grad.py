"""``actlab grad``: derivatives against finite differences, gradient flow through
depth, and what backpropagation costs."""

from __future__ import annotations

import click

from actlab.cli.options import (
    dtype_option, json_option, number, overwrite_option, param_option, parse_floats, parse_ints, parse_params,
    seed_option, whole,
)
from actlab.errors import ActlabError

DEFAULT_AT = "-40,-5,-2,0,2,5,40"
DEFAULT_WIDTHS = "8,16,32,64"


@click.command("grad")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--at", "at", default=None, metavar="X,X,...",
              help=f"Points for the derivative table (default {DEFAULT_AT}).")
@click.option("--step", "step", type=number(0, lo_open=True), default=None, metavar="H",
              help="A fixed finite-difference step for --at, instead of eps^(1/3) max(1, |x|): "
                   "too large and truncation shows, too small and rounding does.")
@click.option("--depth", type=whole(1), default=None, metavar="L",
              help="Gradient flow through a random MLP of L hidden layers (with --cost: "
                   "hidden layers of the timed networks, default 2).")
@click.option("--width", type=whole(1), default=64, show_default=True, metavar="W",
              help="Units per hidden layer (and input features) for --depth.")
@click.option("--init", "init", default="auto", show_default=True, metavar="INIT",
              help="Weight init for --depth: auto (He for the ReLU family, Glorot otherwise), "
                   "he, glorot, lecun, or normal:STD.")
@click.option("--batch", type=whole(1), default=None, metavar="N",
              help="Examples in the loss (default 128 for --depth, 16 for --cost).")
@click.option("--bias-std", type=number(0), default=0.0, show_default=True, metavar="STD",
              help="Draw biases from N(0, STD^2) for --depth; 0 starts them at 0.")
@click.option("--cost", is_flag=True,
              help="Time reverse mode (jax.grad), forward mode (one jax.jvp per parameter) and finite "
                   "differences as the parameter count grows.")
@click.option("--widths", default=DEFAULT_WIDTHS, show_default=True, metavar="W,W,...",
              help="Hidden widths of the networks timed by --cost.")
@click.option("--repeats", type=whole(1, 1000), default=3, show_default=True, metavar="N",
              help="Timed measurements per method and size for --cost (the fastest is shown).")
@click.option("--all-layers", is_flag=True,
              help="Show every layer in the --depth tables (deep networks show 12, evenly spaced).")
@click.option("--chart/--no-chart", default=True, show_default=True,
              help="Draw the terminal chart (--depth, --cost).")
@click.option("--save", default=None, metavar="PATH",
              help="Also write the chart as a figure (.png, .svg or .pdf) for --depth or --cost.")
@overwrite_option
@param_option
@seed_option
@dtype_option(default="float32")
@json_option
def grad_cmd(names, at, step, depth, width, init, batch, bias_std, cost, widths, repeats, all_layers,
             chart, save, overwrite, params, seed, dtype, as_json):
    """Derivatives, gradient checking and gradient flow through depth.

    NAME is a registered activation (see actlab list) or a formula in x, e.g.
    "x*tanh(softplus(x))"; give several, or a comma list.

    Pointwise (the default): f(x) and f'(x) from the registry beside a central
    finite difference (f(x+h) - f(x-h)) / 2h with a step h = eps^(1/3) max(1, |x|)
    for the dtype. A derivative is an amplification factor: nudge x by h and f
    moves by about f'(x) h.

    --depth L: one backward pass through a random MLP of L hidden layers; per
    layer the weight-gradient norm, the backpropagated signal, mean |f'(z)|,
    saturated, dead and zero units, and a verdict on the first/last gradient
    ratio. Sigmoid's f' <= 0.25 makes gradients vanish (Glorot & Bengio 2010);
    He init keeps ReLU healthy (He et al. 2015); --init normal:1 shows a bad init.
    For linear layers, also the collapse: the deep network against its layers
    composed into one affine map.

    --cost: backpropagation needs about N + P steps where one pass per parameter
    needs N x P; the timings show it as P grows.

    \b
    Examples:
      actlab grad sigmoid relu --at 0,2,5,40
      actlab grad sigmoid relu tanh linear --depth 10
      actlab grad relu tanh --depth 10 --init normal:1
      actlab grad tanh --cost
    """
    if not names and not cost:
        raise click.UsageError("give at least one activation NAME (e.g. actlab grad sigmoid), or --cost")
    mode = "cost" if cost else ("depth" if depth is not None else "pointwise")
    _check_mode_options(mode)
    if mode == "pointwise" and save is not None:
        raise ActlabError("--save writes the chart of --depth or --cost; the pointwise table has none")
    if mode == "pointwise":
        xs = parse_floats(at if at is not None else DEFAULT_AT, "--at")
    if mode == "cost":
        width_list = list(parse_ints(widths, "--widths", "8,16,32", within=whole(1)))
    save_path = None
    if save is not None:
        from actlab.render.files import check_save_path

        save_path = check_save_path(save, overwrite=overwrite)

    from actlab import runtime

    jax = runtime.configure()
    from actlab import catalog

    acts = catalog.activations(names or ("tanh",), parse_params(params, dtype))
    if mode == "cost" and len(acts) > 1:
        raise ActlabError(f"--cost times one activation; got {len(acts)}: {', '.join(names)}")
    from actlab.lab import gradflow
    from actlab.render import grad as render

    backend = jax.default_backend()
    if mode == "pointwise":
        tables = gradflow.pointwise(acts, xs, dtype=dtype, step=step)
        render.pointwise(tables, backend=backend, as_json=as_json)
    elif mode == "depth":
        flows = gradflow.gradient_flow(acts, depth=depth, width=width, batch=batch or 128, init=init,
                                       bias_std=bias_std, seed=seed, dtype=dtype)
        render.depth(flows, backend=backend, as_json=as_json, chart=chart, save=save_path,
                     all_layers=all_layers)
    else:
        with render.cost_progress() as progress:
            result = gradflow.backprop_cost(acts[0], widths=width_list, depth=depth or 2,
                                            batch=batch or 16, repeats=repeats, seed=seed, dtype=dtype,
                                            progress=progress)
        render.cost(result, backend=backend, as_json=as_json, chart=chart, save=save_path)


# Options that only one mode reads: given in another mode, they would be ignored silently.
_MODE_OPTIONS = {"width": ("--width", "depth"), "init": ("--init", "depth"),
                 "all_layers": ("--all-layers", "depth"),
                 "bias_std": ("--bias-std", "depth"), "widths": ("--widths", "cost"),
                 "repeats": ("--repeats", "cost"), "at": ("--at", "pointwise"), "step": ("--step", "pointwise")}
# mode -> (its name in a message, how to get there)
_MODES = {"depth": ("--depth", "add --depth"), "cost": ("--cost", "add --cost"),
          "pointwise": ("the pointwise table", "leave out --depth and --cost")}


def _check_mode_options(mode: str) -> None:
    ctx = click.get_current_context()
    for param, (flag, wanted) in _MODE_OPTIONS.items():
        source = ctx.get_parameter_source(param)
        if mode != wanted and source is not None and source != click.core.ParameterSource.DEFAULT:
            name, how = _MODES[wanted]
            raise ActlabError(f"{flag} applies to {name}; {how} or leave {flag} out")


