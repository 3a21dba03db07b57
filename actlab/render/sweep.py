"""What `actlab sweep` shows: the configurations sorted by success, a learning
rate x optimizer grid of success rates per activation, JSON and CSV.

Reads only the result types of the sweep experiment.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from actlab.render import files, terminal
from actlab.render.commands import train_line
from actlab.render.terminal import fmt, paint

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
        "hidden": list(result.hidden), "conv": list(result.conv), "batch": result.batch, "dtype": result.dtype,
        "seed": result.seed, "seeds": result.seeds, "runs": result.runs,
        "max_batch": result.max_batch, "chunk_runs": result.chunk_runs, "chunks": result.chunks,
        "compile_seconds": result.compile_seconds, "train_seconds": result.train_seconds,
        "notes": list(result.notes),
        "configs": [config_json(c, result.metric) for c in result.configs],
    }


def write_csv(path: Path, result) -> None:
    """One row per configuration, written atomically; failed seeds space-separated;
    the column ``score_median`` is named ``accuracy_median`` or ``r2_median`` as in the JSON."""

    rows = [[f"{result.metric}_median" if f == "score_median" else f for f in CSV_FIELDS]]
    for c in result.configs:
        q25, q75 = c.final_loss_quartiles
        steps = "" if c.median_steps_to_threshold is None else repr(c.median_steps_to_threshold)
        rows.append([c.activation, c.optimizer, repr(c.lr), c.seeds, c.successes,
                     repr(c.success_rate), repr(c.ci95[0]), repr(c.ci95[1]),
                     repr(c.final_loss_median), repr(q25), repr(q75), repr(c.final_loss_iqr),
                     repr(c.accuracy_median), repr(c.dead_units_median), steps, c.diverged,
                     " ".join(str(s) for s in c.failed_seeds)])
    files.write_text(path, files.csv_text(rows))


def wrote_csv(path: Path, result) -> None:
    terminal.stderr().line(f"wrote {len(result.configs)} rows to {path}")


# --- tables -----------------------------------------------------------------------------------


def ranked(configs):
    """Best first: success rate, then the lower end of its interval, then the median loss."""
    return sorted(configs, key=lambda c: (-c.success_rate, -c.ci95[0], c.final_loss_median))


def _decimals(x: float) -> int:
    """Decimals of 100 x as a percent: none from 10% up, one below; more where
    a share strictly between 0 and 1 would otherwise show as 0 or 100."""
    d = 0 if x in (0.0, 1.0) or 100 * x >= 9.95 else 1
    while 0 < x < 1 and d < 6 and not 0 < round(100 * x, d) < 100:
        d += 1
    return d


def _rate(x: float) -> str:
    return f"{100 * x:.{_decimals(x)}f}%"


def _interval(lo: float, hi: float) -> str:
    """The 95% interval in percents, its ends told apart: 1000 of 1000 gives
    99.6-100%, not 100-100%; an end that needs more digits lends them to the other."""
    d_lo, d_hi = _decimals(lo), _decimals(hi)
    base = 0 if 100 * min(lo, hi) >= 9.95 else 1
    if max(d_lo, d_hi) > base:
        d_lo = d_hi = max(d_lo, d_hi)
    while f"{100 * lo:.{d_lo}f}" == f"{100 * hi:.{d_hi}f}" and lo < hi and d_lo < 6:
        d_lo, d_hi = d_lo + 1, d_hi + 1
    ends = [f"{100 * v:.0f}" if v in (0.0, 1.0) else f"{100 * v:.{d}f}" for v, d in ((lo, d_lo), (hi, d_hi))]
    return f"{ends[0]}-{ends[1]}%"


def _rate_style(rate: float) -> str:
    return "good" if rate >= 0.9 else "warn" if rate >= 0.5 else "bad"


def _lr(x: float) -> str:
    return f"{x:g}"


def results_table(result) -> terminal.Table:
    metric = "accuracy" if result.metric == "accuracy" else "R^2"
    where = "held-out" if result.held_out else "training"
    table = terminal.Table(f"{result.dataset}: success = final {where} {metric} >= "
                           f"{fmt(result.threshold)}, {result.seeds} seeds each, {result.steps} steps",
                           caption=f"loss: final training loss, median and interquartile range; {metric}: "
                                   "median; dead: median share of hidden units dead at the end (f' = 0 on "
                                   "every training example); steps: median step at which the successful "
                                   "runs first reached the threshold")
    diverged = any(c.diverged for c in result.configs)
    table.column("activation", key=True)
    table.column("optimizer", key=True)
    table.column("lr", align="right", key=True)
    table.column("success", align="right")
    table.column("95% CI", align="right")
    for name in ("loss", "IQR", metric, "dead"):
        table.column(name, align="right", secondary=True)
    table.column("steps", align="right")
    if diverged:
        table.column("diverged", align="right")
    table.column("failed seeds", wrap=True, secondary=True)
    for c in ranked(result.configs):
        failed = " ".join(str(s) for s in c.failed_seeds[:3]) + (" ..." if len(c.failed_seeds) > 3 else "")
        table.row(
            c.activation, c.optimizer, _lr(c.lr),
            paint(_rate(c.success_rate), _rate_style(c.success_rate)), _interval(*c.ci95),
            fmt(c.final_loss_median, 3), fmt(c.final_loss_iqr, 2), fmt(c.accuracy_median, 3),
            _rate(c.dead_units_median),
            "-" if c.median_steps_to_threshold is None else f"{c.median_steps_to_threshold:g}",
            *([str(c.diverged)] if diverged else []), failed or "-",
        )
    return table


def grid_table(result, activation: str) -> terminal.Table:
    """Learning rates (rows) x optimizers (columns) of one activation: success rates."""
    cells = {(c.lr, c.optimizer): c for c in result.configs if c.activation == activation}
    lrs = sorted({lr for lr, _ in cells})
    optimizers = list(dict.fromkeys(o for _, o in cells))
    table = terminal.Table(f"{activation}: success")
    table.column("lr", align="right", key=True)
    for o in optimizers:
        table.column(o, align="right")
    for lr in lrs:
        row = [_lr(lr)]
        for o in optimizers:
            c = cells.get((lr, o))
            if c is None:
                row.append("")
            else:
                rate = paint(_rate(c.success_rate), _rate_style(c.success_rate))
                row.append(terminal.join(rate, paint(" (diverged)", "dim")) if c.diverged == c.seeds else rate)
        table.row(*row)
    return table


def show(result, *, as_json: bool = False, replay_args: str = "", replay_data: str = "") -> None:
    """The table, the notes, the grids and a footer (or the JSON object).

    ``replay_args``: options (``--samples 200``) that the replay line of the
    footer must repeat for ``actlab train``; ``replay_data``: what names the
    data there instead of the dataset name (``--data points.csv --target y``)."""
    if as_json:
        terminal.print_json(to_json(result))
        return
    screen = terminal.stdout()
    screen.table(results_table(result))
    for note in result.notes:
        screen.line(paint("Note:", "bold"), f" {note}")
    many_lrs = len({c.lr for c in result.configs}) > 1
    if many_lrs or len({c.optimizer for c in result.configs}) > 1:
        screen.blank()
        names = dict.fromkeys(c.activation for c in result.configs)
        screen.side_by_side([grid_table(result, a) for a in names])
        screen.blank()
    screen.line(footer(result))
    replay = replay_command(result, replay_args, replay_data)
    if replay:
        screen.command(replay, lead="Replay a failed run:")


def footer(result) -> str:
    per_run = result.train_seconds / max(1, result.runs)
    return (f"{result.runs} runs on {result.devices} {result.backend} device"
            f"{'s' if result.devices != 1 else ''}"
            f"{f' ({result.processes} processes)' if result.processes > 1 else ''}: "
            f"train {result.train_seconds:.2f} s ({1e3 * per_run:.2f} ms a run), "
            f"compile {result.compile_seconds:.2f} s. Seeds {result.seed}..{result.seed + result.seeds - 1}.")


def replay_command(result, replay_args: str = "", replay_data: str = "") -> str:
    """The ``actlab train`` command that replays the first failed seed of the
    best configuration that has one ("" when every run succeeded)."""
    failed = next((c for c in ranked(result.configs) if c.failed_seeds), None)
    if failed is None:
        return ""
    return train_line(
        replay_data or result.dataset, act=failed.activation, opt=failed.optimizer, lr=failed.lr,
        steps=result.steps, hidden=",".join(map(str, result.hidden)) or "0",
        conv=",".join(map(str, result.conv)) if result.conv else None, batch=result.batch, dtype=result.dtype,
        seed=failed.failed_seeds[0],
        # the logic gates' four points have no seed; every other set was drawn from the sweep's --seed
        data_seed=None if result.dataset in ("xor", "and", "or") else result.seed, rest=replay_args)


# --- progress -----------------------------------------------------------------------------------


@contextlib.contextmanager
def progress_bar(*, show: bool = True):
    """The progress bar over the compiled chunks, on stderr; yields the callback for ``sweep``."""
    with terminal.progress("sweep", show=show) as bar:
        if bar is None:
            yield None
            return

        def update(done, total, what):
            bar.update(completed=done, total=total, info=what)

        yield update

