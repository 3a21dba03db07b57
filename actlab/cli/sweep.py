"""``actlab sweep``: a grid of training configurations, many seeds each, as one
vmapped program per activation and optimizer, sharded over every device."""

from __future__ import annotations

import contextlib
import os
import shlex
import sys

import click

from actlab.cli.options import (
    dataset_options, training_options,
    DATASET_NAMES, OPTIMIZER_NAMES, dtype_option, init_jax, json_option, overwrite_option,
    parse_floats, parse_hidden, parse_names, resolve_activation, seed_option,
)
from actlab.errors import ActlabError


@contextlib.contextmanager
def _stdout_to_stderr():
    """File descriptor 1 pointed at stderr: the collective libraries of several
    hosts (gloo) log to stdout, which must hold the result alone."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


@click.command("sweep")
@dataset_options
@training_options
@click.option("--act", default="relu", show_default=True,
              help="Hidden activations, comma-separated: names of `actlab list` or formulas in x.")
@click.option("--opt", "optimizers", default="adam", show_default=True,
              help="Optimizers, comma-separated: " + ", ".join(OPTIMIZER_NAMES) + ".")
@click.option("--lr", "lrs",
              help="Learning rates, comma-separated, e.g. 0.001,0.01,0.1,1 "
                   "(default: each optimizer's own: adam 0.01, sgd 0.1, ...).")
@click.option("--seeds", type=int, default=100, show_default=True,
              help="Runs (seeds) per configuration; run s starts from seed --seed + s.")
@click.option("--threshold", type=float,
              help="Success: final accuracy (R^2 for regression) >= this; "
                   "default 1.0 on xor/and/or, else 0.95.")
@click.option("--max-batch", type=int, default=1024, show_default=True,
              help="Most runs in one program call; a larger grid is cut into chunks (memory).")
@dtype_option(help="Floating-point type of parameters and data.")
@seed_option
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
              help="Also write one row per configuration to this CSV file.")
@overwrite_option
@click.option("--distributed", is_flag=True,
              help="Several hosts: run the same command on each; calls jax.distributed.initialize() "
                   "first, which finds its peers under SLURM, Open MPI, Kubernetes or Cloud TPU, "
                   "else from the three options below.")
@click.option("--coordinator", metavar="HOST:PORT",
              help="With --distributed: the address of process 0 (or set JAX_COORDINATOR_ADDRESS).")
@click.option("--num-processes", type=int, help="With --distributed: how many processes take part.")
@click.option("--process-id", type=int,
              help="With --distributed: this process's number, 0 to --num-processes - 1.")
@json_option
def sweep_cmd(dataset, data_path, target, task, no_standardize, act, optimizers, lrs, seeds, steps,
              hidden, threshold, max_batch, batch, init_name, l2, samples, noise, classes, test_frac,
              dtype, seed, csv_path, overwrite,
              distributed, coordinator, num_processes, process_id, as_json):
    """Train every combination of activations, optimizers and learning rates on
    many seeds at once and report how often each one succeeds.

    Seeds and learning rates are vmapped axes of one compiled program per
    activation and optimizer; the runs are sharded over every visible device.
    Per configuration: the success rate (final accuracy >= --threshold) with
    its Wilson 95% interval, the median and IQR of the final loss, the median
    step at which the threshold was first reached, and the seeds that failed
    (replay one with `actlab train --seed`).

    Datasets: xor, and, or, xor-noisy, moons, circles, spiral, blobs,
    multilabel, sine, parabola; or a CSV file with --data and --target.

    \b
    Examples:
      actlab sweep xor --act relu,tanh,sigmoid,linear --seeds 64
      actlab sweep xor --opt adam,sgd --lr 0.001,0.01,0.1,1 --steps 500 --csv grid.csv
    """
    if (dataset is None) == (data_path is None):
        raise click.UsageError("give a DATASET name or --data FILE.csv (one of the two)")
    if data_path is not None and not target:
        raise click.UsageError("--data needs --target COLUMN[,COLUMN...]")
    if data_path is None and (target or task or no_standardize):
        raise click.UsageError("--target, --task and --no-standardize go with --data FILE.csv")
    if dataset is not None and dataset not in DATASET_NAMES:
        from actlab.errors import unknown

        raise unknown("dataset", dataset, DATASET_NAMES)
    act_names = list(dict.fromkeys(parse_names(act, "--act")))
    opt_names = list(dict.fromkeys(parse_names(optimizers, "--opt")))
    for name in opt_names:
        if name not in OPTIMIZER_NAMES:
            from actlab.errors import unknown

            raise unknown("optimizer", name, OPTIMIZER_NAMES)
    lr_values = None
    if lrs is not None:
        lr_values = list(dict.fromkeys(parse_floats(lrs, "--lr")))
        for lr in lr_values:
            if not (0 < lr < float("inf")):
                raise ActlabError(f"bad --lr {lr:g} in {lrs!r}: learning rates must be finite numbers > 0")
    for name, value in (("--seeds", seeds), ("--steps", steps), ("--max-batch", max_batch),
                        ("--batch", batch), ("--samples", samples)):
        if value is not None and value < 1:
            raise ActlabError(f"bad {name} {value}: must be >= 1")
    if not l2 >= 0:
        raise ActlabError(f"bad --l2 {l2}: must be >= 0")
    widths = parse_hidden(hidden) if hidden is not None else None
    activations = [resolve_activation(name) for name in act_names]
    csv_file = None
    if csv_path is not None:
        from actlab.render.files import check_save_path

        csv_file = check_save_path(csv_path, overwrite=overwrite, formats=None, option="--csv")

    if not distributed and (coordinator or num_processes is not None or process_id is not None):
        raise click.UsageError("--coordinator, --num-processes and --process-id go with --distributed")
    jax = init_jax()
    if distributed:
        # Before any computation: jax.devices() becomes the devices of every host.
        if jax.config.jax_platforms in (None, "", "cpu"):
            jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPU hosts talk over gloo
        jax.distributed.initialize(coordinator, num_processes, process_id)
    from actlab.blocks import data as data_mod
    from actlab.blocks import optim
    from actlab.lab import sweep as core
    from actlab.render import sweep as view

    if data_path is not None:  # as `actlab train --data` reads it, so a seed replays there
        targets = parse_names(target, "--target")
        ds = data_mod.load_csv(data_path, targets, task=task, seed=seed, test_frac=test_frac)
        if not no_standardize:
            ds, _, _ = data_mod.standardize(ds)
        spec_hidden, spec_steps = (16, 16), 1000
    else:
        ds = data_mod.make_dataset(dataset, seed=seed, samples=samples, noise=noise, classes=classes,
                                   test_frac=test_frac)
        spec_hidden, spec_steps = data_mod.DATASETS[dataset].hidden, data_mod.DATASETS[dataset].steps
    lr_table = {o: lr_values or [optim.default_lr(o)] for o in opt_names}
    main = jax.process_index() == 0  # several hosts: one of them speaks
    quiet = _stdout_to_stderr() if distributed else contextlib.nullcontext()
    with quiet, view.progress_bar(show=main) as progress:
        result = core.sweep(
            ds, activations=activations, optimizers=opt_names, lrs=lr_table, seeds=seeds,
            steps=spec_steps if steps is None else steps,
            hidden=spec_hidden if widths is None else widths, threshold=threshold, seed=seed,
            max_batch=max_batch, batch=batch, dtype=dtype, init=init_name, l2=l2, progress=progress)
    if not main:
        return
    if csv_file is not None:
        view.write_csv(csv_file, result)
    replay = [f"--{k} {v}" for k, v in (("samples", samples), ("noise", noise)) if v is not None]
    replay_data = ""
    if data_path is not None:
        replay_data = f"--data {shlex.quote(data_path)} --target {shlex.quote(target)}"
        replay += [f"--task {task}"] * bool(task) + ["--no-standardize"] * no_standardize
    replay += [f"--classes {classes}"] * (dataset in ("spiral", "blobs") and classes != 3)
    replay += [f"--test-frac {test_frac:g}"] * (test_frac != 0.25)
    replay += [f"--l2 {l2:g}"] * bool(l2) + [f"--init {init_name}"] * (init_name != "auto")
    view.show(result, as_json=as_json, replay_args=" ".join(replay), replay_data=replay_data)
    if csv_file is not None and not as_json:
        view.wrote_csv(csv_file, result)
