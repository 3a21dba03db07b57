"""``actlab train`` and ``actlab advise``."""

from __future__ import annotations

import click

from actlab.cli.options import (
    DATASETS_HELP, MAX_SEED, MIXED_HELP, OPTIMIZERS_HELP, dataset_options, dtype_option, json_option,
    number, overwrite_option, param_option, parse_conv, parse_hidden, parse_params, seed_option,
    training_options, whole,
)


@click.command("train", epilog=DATASETS_HELP)
@dataset_options
@click.option("--data-seed", type=whole(0, MAX_SEED),
              help="Seed of the data and the split (default: --seed).")
@training_options
@click.option("--act", default="relu", show_default=True,
              help="Hidden activation: a name of `actlab list` or a formula in x.")
@param_option
@click.option("--out", "output",
              help="Override the output layer: sigmoid, softmax, linear or relu (default: by the task rules).")
@click.option("--loss",
              help="Override the loss: bce, ce, mse, bce-probs or ce-probs (default: by the task rules).")
@click.option("--opt", "optimizer", default="adam", show_default=True,
              help="Optimizer: " + OPTIMIZERS_HELP + ".")
@click.option("--lr", type=number(0, lo_open=True),
              help="Learning rate (default per optimizer: adam 0.01, sgd 0.1, lion 0.001, ...).")
@dtype_option(help="Floating-point type of parameters and data. " + MIXED_HELP)
@seed_option
@click.option("--save", "save_dir", type=click.Path(file_okay=False),
              help="Write params.npz, history.csv, result.json and figure.png into this folder.")
@overwrite_option
@click.option("--no-chart", is_flag=True, help="Only the table: no loss curve and no picture.")
@json_option
def train_cmd(data, hidden, act, params, init_name, output, loss, optimizer, lr, steps, epochs, batch, conv,
              l2, dtype, seed, save_dir, overwrite, no_chart, as_json):
    """Train a small network on a toy set or a CSV file, compiled end to end.

    The output layer and the loss follow the task (binary: sigmoid + binary
    cross-entropy; multi-class: softmax + cross-entropy; multi-label: a sigmoid
    per label; regression: linear + MSE; non-negative regression: ReLU + MSE),
    always computed from the logits. Shows the metrics, the loss curve, the
    decision regions of 2-D data and the truth table of the logic gates.

    \b
    Examples:
      actlab train xor --opt adam
      actlab train spiral --act tanh --hidden 32,32 --steps 3000
      actlab train --data points.csv --target label --save run1
    """
    from actlab import runtime
    from actlab.render import train as view

    widths = parse_hidden(hidden) if hidden is not None else None
    channels = parse_conv(conv)
    save_path = None
    if save_dir is not None:
        from actlab.render.files import check_save_dir

        save_path = check_save_dir(save_dir, overwrite=overwrite)
    runtime.configure()  # float64 and the compilation cache before anything is resolved
    from actlab import catalog
    from actlab.blocks import data as datasets
    from actlab.lab import setup, train

    activation = catalog.activation(act, parse_params(params))
    opt = catalog.optimizer(optimizer)
    ds, warnings = datasets.load(data)
    config, head_warnings = setup.make_config(
        ds, activation=activation, optimizer=opt.name, hidden=widths, steps=steps, epochs=epochs,
        batch=batch, l2=l2, init=init_name, dtype=dtype, output=output, loss=loss, conv=channels)
    warnings += head_warnings
    view.warn(warnings)
    with view.progress_bar(config.steps) as progress:
        result = train.train(config, ds, lr=opt.default_lr if lr is None else lr, seed=seed,
                             progress=progress)
    if save_path is not None:
        view.save_run(save_path, result, warnings)
    view.show(result, warnings=warnings, as_json=as_json, chart=not no_chart)
    if save_path is not None and not as_json:
        view.saved(save_path)


@click.command("advise")
@click.argument("task", required=False)
@json_option
def advise_cmd(task, as_json):
    """Which output layer and loss a task calls for, and the hidden-layer advice.

    TASK: binary, multi-class, multi-label, regression or
    non-negative-regression (all of them when left out). Prints the output
    activation, the loss, whether the loss takes logits, the hidden-layer
    advice and the `actlab train` call that follows the rules.

    \b
    Examples:
      actlab advise multi-label
      actlab advise --json
    """
    from actlab.blocks.data import RULES, normalize_task
    from actlab.render.train import show_advice

    tasks = [normalize_task(task)] if task else list(RULES)
    show_advice([RULES[t] for t in tasks], as_json=as_json)
