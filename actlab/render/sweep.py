"""What `actlab sweep` shows: the configurations sorted by success, a learning
rate x optimizer grid of success rates per activation, JSON and CSV.

Depends only on the result types of ``actlab.lab.sweep``.
"""

from __future__ import annotations

import contextlib
import csv
from pathlib import Path

from actlab import render

CSV_FIELDS = ("activation", "optimizer", "lr", "seeds", "successes", "success_rate", "ci95_low",
              "ci95_high", "final_loss_median", "final_loss_q25", "final_loss_q75", "final_loss_iqr",
              "score_median", "dead_units_median", "median_steps_to_threshold", "diverged",
              "failed_seeds")


# --- JSON and CSV ---------------------------------------------------------------------------


def config_json(c, metric: str) -> dict:
    return {
        "activation": c.activation, "optimizer": c.optimizer, "lr": c.lr, "seeds": c.seeds,
        "successes": c.successes, "success_rate": c.success_rate, "ci95": list(c.ci95),
        "final_loss_median": c.final_loss_median, "final_loss_iqr": c.final_loss_iqr,
        "final_loss_quartiles": list(c.final_loss_quartiles),
        f"{metric}_median": c.accuracy_median, "dead_units_median": c.dead_units_median,
        "median_steps_to_threshold": c.median_steps_to_threshold,
        "diverged": c.diverged, "failed_seeds": list(c.failed_seeds),
    }


def to_json(result) -> dict:
    return {
        "devices": result.devices, "processes": result.processes, "backend": result.backend,
        "dataset": result.dataset, "task": result.task, "metric": result.metric,
        "held_out": result.held_out, "threshold": result.threshold, "steps": result.steps,
        "hidden": list(result.hidden), "batch": result.batch, "dtype": result.dtype,
        "seed": result.seed, "seeds": result.seeds, "runs": result.runs,
        "max_batch": result.max_batch, "chunk_runs": result.chunk_runs, "chunks": result.chunks,
        "compile_seconds": result.compile_seconds, "train_seconds": result.train_seconds,
        "notes": list(result.notes),
        "configs": [config_json(c, result.metric) for c in result.configs],
    }


def write_csv(path: Path, result) -> None:
    """One row per configuration, written atomically; failed seeds space-separated;
    the column ``score_median`` is named ``accuracy_median`` or ``r2_median`` as in the JSON."""

    def write(tmp):
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow([f"{result.metric}_median" if f == "score_median" else f for f in CSV_FIELDS])
            for c in result.configs:
                q25, q75 = c.final_loss_quartiles
                steps = "" if c.median_steps_to_threshold is None else repr(c.median_steps_to_threshold)
                w.writerow([c.activation, c.optimizer, repr(c.lr), c.seeds, c.successes,
                            repr(c.success_rate), repr(c.ci95[0]), repr(c.ci95[1]),
                            repr(c.final_loss_median), repr(q25), repr(q75), repr(c.final_loss_iqr),
                            repr(c.accuracy_median), repr(c.dead_units_median), steps, c.diverged,
                            " ".join(str(s) for s in c.failed_seeds)])

    render.write_atomic(path, write)


# --- tables -----------------------------------------------------------------------------------


def ranked(configs):
    """Best first: success rate, then the lower end of its interval, then the median loss."""
    return sorted(configs, key=lambda c: (-c.success_rate, -c.ci95[0], c.final_loss_median))


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if x in (0.0, 1.0) or 100 * x >= 9.95 else f"{100 * x:.1f}%"


def _rate_style(rate: float) -> str:
    return "green" if rate >= 0.9 else "yellow" if rate >= 0.5 else "red"


def _lr(x: float) -> str:
    return f"{x:g}"


def results_table(result):
    from rich import box
    from rich.table import Table

    metric = "accuracy" if result.metric == "accuracy" else "R^2"
    where = "held-out" if result.held_out else "training"
    table = Table(title=f"{result.dataset}: success = final {where} {metric} >= "
                        f"{render.fmt(result.threshold)}, {result.seeds} seeds each, {result.steps} steps",
                  caption=f"loss: final training loss, median and interquartile range; {metric}: median; "
                          "dead: median share of hidden units dead at the end (f' = 0 on every "
                          "training example); steps: median step at which the successful runs first "
                          "reached the threshold",
                  title_justify="left", caption_justify="left", box=box.SIMPLE_HEAD,
                  collapse_padding=True, pad_edge=False)
    diverged = any(c.diverged for c in result.configs)
    for name, justify in [("activation", "left"), ("optimizer", "left"), ("lr", "right"),
                          ("success", "right"), ("95% CI", "right"), ("loss", "right"),
                          ("IQR", "right"), (metric, "right"), ("dead", "right"), ("steps", "right"),
                          *([("diverged", "right")] if diverged else []), ("failed seeds", "left")]:
        table.add_column(name, justify=justify, no_wrap=True,
                         min_width=9 if name == "failed seeds" else None)
    for c in ranked(result.configs):
        style = _rate_style(c.success_rate)
        lo, hi = c.ci95
        failed = " ".join(str(s) for s in c.failed_seeds[:3]) + (" ..." if len(c.failed_seeds) > 3 else "")
        table.add_row(
            c.activation, c.optimizer, _lr(c.lr),
            f"[{style}]{_pct(c.success_rate)}[/]",
            f"{_pct(lo).rstrip('%')}-{_pct(hi)}", render.fmt(c.final_loss_median, 3),
            render.fmt(c.final_loss_iqr, 2),
            render.fmt(c.accuracy_median, 3), _pct(c.dead_units_median),
            "-" if c.median_steps_to_threshold is None else f"{c.median_steps_to_threshold:g}",
            *([str(c.diverged)] if diverged else []), failed or "-",
        )
    return table


def grid_table(result, activation: str):
    """Learning rates (rows) x optimizers (columns) of one activation: success rates."""
    from rich import box
    from rich.table import Table

    cells = {(c.lr, c.optimizer): c for c in result.configs if c.activation == activation}
    lrs = sorted({lr for lr, _ in cells})
    optimizers = list(dict.fromkeys(o for _, o in cells))
    table = Table(title=f"{activation}: success", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("lr", justify="right")
    for o in optimizers:
        table.add_column(o, justify="right")
    for lr in lrs:
        row = [_lr(lr)]
        for o in optimizers:
            c = cells.get((lr, o))
            if c is None:
                row.append("")
            else:
                row.append(f"[{_rate_style(c.success_rate)}]{_pct(c.success_rate)}[/]"
                           + ("  [dim](diverged)[/]" if c.diverged == c.seeds else ""))
        table.add_row(*row)
    return table


def show(result, *, as_json: bool = False, replay_args: str = "", replay_data: str = "") -> None:
    """The table, the notes, the grids and a footer (or the JSON object).

    ``replay_args``: options (``--samples 200``) that the replay line of the
    footer must repeat for ``actlab train``; ``replay_data``: what names the
    data there instead of the dataset name (``--data points.csv --target y``)."""
    if as_json:
        render.print_json(to_json(result))
        return
    console = render.stdout_console()
    console.print(results_table(result))
    for note in result.notes:
        console.print(f"[bold]Note:[/] {note}", soft_wrap=True)
    many_lrs = len({c.lr for c in result.configs}) > 1
    if many_lrs or len({c.optimizer for c in result.configs}) > 1:
        from rich.columns import Columns

        names = dict.fromkeys(c.activation for c in result.configs)
        console.print(Columns([grid_table(result, a) for a in names]))
    console.print(footer(result, replay_args, replay_data), soft_wrap=True)


def footer(result, replay_args: str = "", replay_data: str = "") -> str:
    per_run = result.train_seconds / max(1, result.runs)
    text = (f"{result.runs} runs on {result.devices} {result.backend} device"
            f"{'s' if result.devices != 1 else ''}"
            f"{f' ({result.processes} processes)' if result.processes > 1 else ''}: "
            f"train {result.train_seconds:.2f} s ({1e3 * per_run:.2f} ms a run), "
            f"compile {result.compile_seconds:.2f} s. Seeds {result.seed}..{result.seed + result.seeds - 1}.")
    failed = next((c for c in ranked(result.configs) if c.failed_seeds), None)
    if failed is not None:
        text += (f"\nReplay a failed run: actlab train {replay_data or result.dataset} "
                 f"--act {_quote(failed.activation)} "
                 f"--opt {failed.optimizer} --lr {_lr(failed.lr)} --steps {result.steps} "
                 f"--hidden {','.join(map(str, result.hidden)) or 0} --seed {failed.failed_seeds[0]}"
                 + (f" --data-seed {result.seed}" if result.dataset not in ("xor", "and", "or") else "")
                 + (f" --dtype {result.dtype}" if result.dtype != "float32" else "")
                 + (f" --batch {result.batch}" if result.batch else "")
                 + (f" {replay_args}" if replay_args else ""))
    return text


def _quote(name: str) -> str:
    import shlex

    return shlex.quote(name)


# --- progress -----------------------------------------------------------------------------------


@contextlib.contextmanager
def progress_bar(*, enabled: bool):
    """A rich progress bar over the compiled chunks, on stderr; yields the callback for ``sweep``."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[what]}"), console=render.stderr_console(),
                  transient=True) as bar:
        task = bar.add_task("sweep", total=None, what="")

        def update(done, total, what):
            bar.update(task, completed=done, total=total, what=what)

        yield update


def check_csv_path(path: str, *, overwrite: bool):
    """The --csv path, checked before the sweep runs."""
    return render.check_save_path(path, overwrite=overwrite, formats=None, option="--csv")


def show_written(path, result) -> None:
    render.stderr_console().print(f"wrote {len(result.configs)} rows to {path}")
