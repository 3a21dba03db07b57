"""``actlab train`` and ``actlab advise``."""

from __future__ import annotations

import click

from actlab.cli import command_line
from actlab.cli.options import (
    DATASETS_HELP, MAX_SEED, OPTIMIZERS_HELP, dataset_options, json_option,
    number, overwrite_option, param_option, parse_conv, parse_hidden, parse_params,
    seed_option, training_options, whole,
)
from actlab.errors import ActlabError


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
              help="Learning rate (default per optimizer: adam 0.01 (on digits 0.001, as in the course), "
                   "sgd 0.1, lion 0.001, ...).")
@seed_option
@click.option("--save", "save_dir", type=click.Path(file_okay=False),
              help="Write the run into this folder (whole or not at all): params.npz, run.json (what "
                   "`actlab predict` rebuilds the network from), history.csv, layers.csv, result.json, "
                   "figure.png (and mistakes.png for images).")
@overwrite_option
@click.option("--no-chart", is_flag=True, help="Only the table: no loss curve and no picture.")
@click.option("--live", is_flag=True,
              help="Redraw the loss curves, the picture and the layers as it trains (needs a terminal; "
                   "Ctrl-C stops and reports the step reached).")
@click.option("--live-seconds", type=number(0), default=5.0, show_default=True,
              help="With --live: how long the animation lasts (0: as fast as it trains).")
@click.option("--find-lr", is_flag=True,
              help="Run the learning-rate range test (Smith 2015) instead of training: --steps steps "
                   "(default 300) with the rate growing from 1e-6 to 10; suggests a rate.")
@json_option
def train_cmd(data, hidden, act, params, init_name, output, loss, optimizer, lr, steps, epochs, batch, conv,
              l2, l1, features_text, dtype, seed, save_dir, overwrite, no_chart, live, live_seconds, find_lr,
              as_json):
    """Train a small network on a toy set, a real one (the course's digits,
    iris, wine, breast-cancer, diabetes) or a CSV file, compiled end to end.

    The output layer and the loss follow the task (binary: sigmoid + binary
    cross-entropy; multi-class: softmax + cross-entropy; multi-label: a sigmoid
    per label; regression: linear + MSE; non-negative regression: ReLU + MSE),
    always computed from the logits. Shows the metrics, train and test loss,
    a classifier's confusion matrix, per-class scores and most confident
    mistakes, the decision regions of 2-D data and the truth table of the
    logic gates. `actlab predict` answers with a run saved by --save.

    \b
    Examples:
      actlab train xor --opt adam
      actlab train digits --digits 0,1 --hidden 25,15
      actlab train digits --conv --save run1
      actlab train spiral --act tanh --hidden 32,32 --steps 3000 --live
      actlab train moons --find-lr
      actlab train --data points.csv --target label --epochs 50 --batch 32
    """
    from actlab import runtime
    from actlab.render import train as view

    _check_modes(live=live, find_lr=find_lr, as_json=as_json, lr=lr, save_dir=save_dir)
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

    activation = catalog.activation(act, parse_params(params, dtype))
    opt = catalog.optimizer(optimizer)
    ds, warnings = datasets.load(data)
    features = catalog.features(features_text, ds) if features_text is not None else None
    if find_lr:
        from actlab.lab import lrfind

        steps = lrfind.DEFAULT_STEPS if steps is None and epochs is None else steps
    config, head_warnings = setup.make_config(
        ds, activation=activation, optimizer=opt.name, hidden=widths, steps=steps, epochs=epochs,
        batch=batch, l2=l2, l1=l1, init=init_name, dtype=dtype, output=output, loss=loss, conv=channels,
        features=features)
    warnings += head_warnings
    view.warn(warnings)
    if find_lr:
        from actlab.render import lrfind as lr_view

        found = lrfind.find_lr(config, ds, seed=seed)
        command = _train_command(data, config, activation, opt.name, found.suggested_lr, seed=seed,
                                 hidden=hidden, conv=conv, init_name=init_name, features=features_text,
                                 output=output, loss=loss)
        lr_view.show(found, command=command, as_json=as_json,
                     title=f"{ds.name}: {activation.name}, {opt.name}, loss against the learning rate")
        return
    lr = setup.default_lr(ds, opt.name) if lr is None else lr
    result = _train_live(train, config, ds, lr=lr, seed=seed, seconds=live_seconds) if live else None
    if result is None:
        with view.progress_bar(config.steps) as progress:
            result = train.train(config, ds, lr=lr, seed=seed, progress=progress, stop_on_interrupt=True)
    if save_path is not None:
        from actlab.lab import runs

        record = runs.make_record(config, ds, data, command=command_line())
        names = view.save_run(save_path, result, arrays=runs.param_arrays(result.params), record=record,
                              warnings=warnings)
    view.show(result, warnings=warnings, as_json=as_json, chart=not no_chart)
    if save_path is not None and not as_json:
        view.saved(save_path, names)
    if result.interrupted:
        raise click.exceptions.Exit(130)


def _check_modes(*, live, find_lr, as_json, lr, save_dir) -> None:
    """Options that cannot go together, refused before any work."""
    if live and as_json:
        raise ActlabError("--live draws in the terminal and --json prints one object: use one of them")
    if find_lr:
        for given, name in ((lr is not None, "--lr"), (live, "--live"), (save_dir is not None, "--save")):
            if given:
                raise ActlabError(f"{name} does not go with --find-lr, which tries learning rates "
                                  "from 1e-6 to 10 and trains nothing to keep")


def _train_live(train, config, ds, *, lr, seed, seconds):
    """Training drawn as it goes, or None where stdout is no terminal (the
    caller then shows the progress bar, as without --live)."""
    from actlab.render import live as live_view

    if not live_view.available():
        from actlab.render.train import warn

        warn(["--live needs a terminal on stdout; showing the progress bar instead"])
        return None
    title = f"{ds.name}: {config.activation.name}, {config.optimizer} lr {lr:g}"
    with live_view.animation(seconds=seconds, title=title) as watch:
        return train.train(config, ds, lr=lr, seed=seed, chunks=live_view.FRAMES, watch=watch,
                           stop_on_interrupt=True)


def _train_command(data, config, activation, optimizer, lr, *, seed, hidden, conv, init_name, features,
                   output, loss) -> str:
    """The `actlab train` line that trains this configuration at ``lr``."""
    from actlab.render.commands import replay_args, replay_data, train_line

    return train_line(
        replay_data(data) or data.name, act=activation.name, opt=optimizer, lr=lr, seed=seed, data_seed=data.seed,
        # a formula carries its parameters in its text
        params=activation.params if activation.source != "expression" else None,
        hidden=hidden, conv=conv, output=output, loss=loss, batch=config.batch, dtype=config.dtype,
        rest=replay_args(data, l2=config.l2, l1=config.l1, init_name=init_name, features=features))


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

    tasks = [normalize_task(task)] if task is not None else list(RULES)
    show_advice([RULES[t] for t in tasks], as_json=as_json)
