"""``actlab train`` and ``actlab advise``."""

from __future__ import annotations

import click

from actlab.cli.options import (
    dataset_options, training_options,
    DATASET_NAMES, OPTIMIZER_NAMES, dtype_option, init_jax, json_option,
    overwrite_option, param_option, parse_hidden, parse_params, resolve_activation, seed_option,
)
from actlab.errors import ActlabError

def _positive(name, value, *, allow_zero=False):
    if value is not None and (value < 0 or (value == 0 and not allow_zero)):
        raise ActlabError(f"bad {name} {value}: must be {'>= 0' if allow_zero else '> 0'}")


@click.command("train")
@dataset_options
@training_options
@click.option("--data-seed", type=int, help="Seed of the data and the split (default: --seed).")
@click.option("--act", default="relu", show_default=True,
              help="Hidden activation: any name of `actlab list`.")
@param_option
@click.option("--out", "output",
              help="Override the output layer: sigmoid, softmax, linear or relu (default: by the task rules).")
@click.option("--loss",
              help="Override the loss: bce, ce, mse, bce-probs or ce-probs (default: by the task rules).")
@click.option("--opt", "optimizer", default="adam", show_default=True,
              help="Optimizer: " + ", ".join(OPTIMIZER_NAMES) + ".")
@click.option("--lr", type=float,
              help="Learning rate (default per optimizer: adam 0.01, sgd 0.1, lion 0.001, ...).")
@dtype_option(help="Floating-point type of parameters and data.")
@seed_option
@click.option("--save", "save_dir", type=click.Path(file_okay=False),
              help="Write params.npz, history.csv, result.json and figure.png into this folder.")
@overwrite_option
@click.option("--no-chart", is_flag=True, help="Only the table: no loss curve and no picture.")
@json_option
def train_cmd(dataset, data_path, target, task, samples, noise, classes, test_frac, data_seed,
              no_standardize, hidden, act, params, init_name, output, loss, optimizer, lr, steps,
              batch, l2, dtype, seed, save_dir, overwrite, no_chart, as_json):
    """Train a small network on a toy set or a CSV file, compiled end to end.

    The output layer and the loss follow the task (binary: sigmoid + binary
    cross-entropy; multi-class: softmax + cross-entropy; multi-label: a sigmoid
    per label; regression: linear + MSE; non-negative regression: ReLU + MSE),
    always computed from the logits. Shows the metrics, the loss curve, the
    decision regions of 2-D data and the truth table of the logic gates.

    Datasets: xor, and, or, xor-noisy, moons, circles, spiral, blobs,
    multilabel, sine, parabola.

    \b
    Examples:
      actlab train xor --opt adam
      actlab train spiral --act tanh --hidden 32,32 --steps 3000
      actlab train --data points.csv --target label --save run1
    """
    if (dataset is None) == (data_path is None):
        raise click.UsageError("give a DATASET name or --data FILE.csv (one of the two)")
    if data_path is not None and not target:
        raise click.UsageError("--data needs --target COLUMN[,COLUMN...]")
    if target and data_path is None:
        raise click.UsageError("--target goes with --data FILE.csv")
    if dataset is not None and dataset not in DATASET_NAMES:
        from actlab.errors import unknown

        raise unknown("dataset", dataset, DATASET_NAMES)
    if optimizer not in OPTIMIZER_NAMES:
        from actlab.errors import unknown

        raise unknown("optimizer", optimizer, OPTIMIZER_NAMES)
    if lr is not None and not (lr > 0 and lr < float("inf")):
        raise ActlabError(f"bad --lr {lr}: must be a finite number > 0")
    if steps is not None and steps < 1:
        raise ActlabError(f"bad --steps {steps}: must be >= 1")
    if batch is not None and batch < 1:
        raise ActlabError(f"bad --batch {batch}: must be >= 1")
    if samples is not None and samples < 1:
        raise ActlabError(f"bad --samples {samples}: must be >= 1")
    _positive("--l2", l2, allow_zero=True)
    widths = parse_hidden(hidden) if hidden is not None else None
    activation = resolve_activation(act, parse_params(params))
    save_path = None
    if save_dir is not None:
        from actlab.render.files import check_save_dir

        save_path = check_save_dir(save_dir, overwrite=overwrite)

    init_jax()  # float64 + compilation cache before the core is imported
    from actlab.blocks import data as data_mod
    from actlab.blocks import model, optim
    from actlab.lab import train as core
    from actlab.render import train as view

    seed_data = seed if data_seed is None else data_seed
    if data_path is not None:
        targets = [t.strip() for t in target.split(",") if t.strip()]
        if not targets:
            raise ActlabError(f"bad --target {target!r}: expected column names, e.g. y or a,b")
        ds = data_mod.load_csv(data_path, targets, task=task, seed=seed_data, test_frac=test_frac)
        if not no_standardize:
            ds, _, _ = data_mod.standardize(ds)
        spec_hidden, spec_steps = (16, 16), 1000
    else:
        ds = data_mod.make_dataset(dataset, seed=seed_data, samples=samples, noise=noise,
                                   classes=classes, test_frac=test_frac)
        if task is not None and data_mod.normalize_task(task) != ds.task:
            raise ActlabError(f"--task {task} does not fit the {dataset} set (its task is {ds.task}); "
                              "--task is for --data")
        spec = data_mod.DATASETS[dataset]
        spec_hidden, spec_steps = spec.hidden, spec.steps
    widths = spec_hidden if widths is None else widths
    steps = spec_steps if steps is None else steps
    head, warnings = core.choose_head(ds.task, ds.n_outputs, output=output, loss=loss)
    lr = optim.default_lr(optimizer) if lr is None else lr
    config = core.TrainConfig(
        task=ds.task, sizes=(ds.n_features, *widths, head.n_outputs), activation=activation,
        optimizer=optimizer, output=head.output, loss=head.loss, steps=steps,
        batch=batch if batch and batch < ds.x_train.shape[0] else None, l2=l2,
        init=model.parse_init(init_name, activation.name), dtype=dtype,
    )
    if dataset in ("xor", "and", "or") and (samples is not None or noise is not None):
        warnings.append(f"{dataset} is its four points: --samples and --noise do not apply (try xor-noisy)")
    view.warn(warnings)
    with view.progress_bar(steps) as progress:
        result = core.train(config, ds, lr=lr, seed=seed, progress=progress)
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
    from actlab.blocks.data import normalize_task
    from actlab.render.train import show_advice
    from actlab.blocks.data import RULES

    tasks = [normalize_task(task)] if task else list(RULES)
    show_advice([RULES[t] for t in tasks], as_json=as_json)
