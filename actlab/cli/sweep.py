"""``actlab sweep``: a grid of training configurations, many seeds each, as one
vmapped program per activation and optimizer, sharded over every device."""

from __future__ import annotations

import contextlib
import os
import sys

import click

from actlab.cli.options import (
    DATASETS_HELP, MAX_SEED, OPTIMIZERS_HELP, dataset_options, json_option,
    number, overwrite_option, parse_conv, parse_floats, parse_hidden, seed_option,
    training_options, whole,
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


@click.command("sweep", epilog=DATASETS_HELP)
@dataset_options
@training_options
@click.option("--act", default="relu", show_default=True,
              help="Hidden activations, comma-separated: names of `actlab list` or formulas in x.")
@click.option("--opt", "optimizers", default="adam", show_default=True,
              help="Optimizers, comma-separated: " + OPTIMIZERS_HELP + ".")
@click.option("--lr", "lrs",
              help="Learning rates, comma-separated, e.g. 0.001,0.01,0.1,1 "
                   "(default: each optimizer's own: adam 0.01, sgd 0.1, ...).")
@click.option("--seeds", type=whole(1, MAX_SEED), default=100, show_default=True,
              help="Runs (seeds) per configuration; run s starts from seed --seed + s.")
@click.option("--threshold", type=number(),
              help="Success: final accuracy (R^2 for regression) >= this; "
                   "default 1.0 on xor/and/or, else 0.95.")
@click.option("--max-batch", type=whole(1),
              help="Most runs in one program call (default: as many as fit in 16 MiB a device on a CPU, "
                   "near its caches; a quarter of an accelerator's free memory); a larger grid is cut into chunks.")
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
@click.option("--num-processes", type=whole(1),
              help="With --distributed: how many processes take part.")
@click.option("--process-id", type=whole(0),
              help="With --distributed: this process's number, 0 to --num-processes - 1.")
@json_option
def sweep_cmd(data, act, optimizers, lrs, seeds, steps, epochs, hidden, threshold, max_batch, batch, conv,
              init_name, l2, l1, features_text, dtype, seed, csv_path, overwrite, distributed, coordinator,
              num_processes, process_id, as_json):
    """Train every combination of activations, optimizers and learning rates on
    many seeds at once and report how often each one succeeds.

    Seeds and learning rates are vmapped axes of one compiled program per
    activation and optimizer; the runs are sharded over every visible device.
    Per configuration: the success rate (final accuracy >= --threshold) with
    its Wilson 95% interval, the median and IQR of the final loss, the median
    step at which the threshold was first reached, and the seeds that failed
    (replay one with `actlab train --seed`).

    \b
    Examples:
      actlab sweep xor --act relu,tanh,sigmoid,linear --seeds 64
      actlab sweep xor --opt adam,sgd --lr 0.001,0.01,0.1,1 --steps 500 --csv grid.csv
    """
    from actlab import runtime
    from actlab.render import sweep as view
    from actlab.render.commands import replay_args, replay_data

    positive = number(0, lo_open=True)
    lr_values = list(dict.fromkeys(parse_floats(lrs, "--lr", positive))) if lrs is not None else None
    widths = parse_hidden(hidden) if hidden is not None else None
    csv_file = None
    if csv_path is not None:
        from actlab.render.files import check_save_path

        csv_file = check_save_path(csv_path, overwrite=overwrite, formats=None, option="--csv")
    if seed + seeds - 1 > MAX_SEED:
        raise ActlabError(f"bad --seeds {seeds}: the last run's seed, --seed + --seeds - 1 = {seed + seeds - 1}, "
                          f"must be <= {MAX_SEED} (it replays as actlab train --seed)")
    _check_distributed(distributed, coordinator, num_processes, process_id)
    jax = runtime.configure()
    if distributed:
        # Before any computation: jax.devices() becomes the devices of every host.
        if jax.config.jax_platforms in (None, "", "cpu"):
            jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPU hosts talk over gloo
        try:
            jax.distributed.initialize(coordinator, num_processes, process_id)
        except Exception as e:  # no cluster found, a coordinator that does not answer ...
            raise ActlabError(f"--distributed could not start: {e}") from None
    from actlab import catalog
    from actlab.blocks import data as datasets
    from actlab.lab import setup, sweep

    activations = catalog.activations([act], what="--act")
    opts = catalog.optimizers(optimizers)
    ds, _ = datasets.load(data)
    features = catalog.features(features_text, ds) if features_text is not None else None
    main = jax.process_index() == 0  # several hosts: one of them speaks
    quiet = _stdout_to_stderr() if distributed else contextlib.nullcontext()
    with quiet, view.progress_bar(show=main) as progress:
        result = sweep.sweep(
            ds, activations=list(dict.fromkeys(activations)), optimizers=[o.name for o in opts],
            lrs={o.name: lr_values or [setup.default_lr(ds, o.name)] for o in opts}, seeds=seeds, steps=steps,
            epochs=epochs, conv=parse_conv(conv), hidden=widths, threshold=threshold, seed=seed,
            max_batch=max_batch, batch=batch, dtype=dtype, init=init_name, l2=l2, l1=l1, features=features,
            progress=progress)
    if not main:
        return
    if csv_file is not None:
        view.write_csv(csv_file, result)
    view.show(result, as_json=as_json,
              replay_args=replay_args(data, l2=l2, l1=l1, init_name=init_name, features=features_text),
              replay_data=replay_data(data))
    if csv_file is not None and not as_json:
        view.wrote_csv(csv_file, result)


def _check_distributed(distributed, coordinator, num_processes, process_id) -> None:
    if not distributed:
        if coordinator or num_processes is not None or process_id is not None:
            raise click.UsageError("--coordinator, --num-processes and --process-id go with --distributed")
        return
    if num_processes is not None and process_id is not None and process_id >= num_processes:
        raise ActlabError(f"bad --process-id {process_id}: must be 0 to --num-processes - 1 = {num_processes - 1}")
    if coordinator is not None:
        host, _, port = coordinator.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ActlabError(f"bad --coordinator {coordinator!r}: expected HOST:PORT, e.g. host0:1234")
