"""What `actlab train` and `actlab advise` show: a table, the loss curve, the
decision regions (or the fitted curve, or the truth table), JSON, saved files.

Depends only on the result types of ``actlab.lab.train`` and ``actlab.blocks.data``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
from pathlib import Path

from actlab import render
from actlab.errors import ActlabError
from actlab.render import layers as layer_view

LOSS_NAMES = {
    "bce": "binary cross-entropy (from logits)",
    "ce": "cross-entropy (from logits)",
    "mse": "mean squared error",
    "bce-probs": "binary cross-entropy on probabilities",
    "ce-probs": "cross-entropy on probabilities",
}
SHORT_LOSS = {"bce": "binary CE", "ce": "CE", "mse": "MSE", "bce-probs": "binary CE (probs)",
              "ce-probs": "CE (probs)"}
# Class colours: strong for points, and a dark background shade for the regions.
POINT_COLORS = ["#5fa8ff", "#ffa54f", "#5fff8f", "#ff6fe8", "#5ff0ff", "#ff5f5f", "#f0ff5f",
                "#b08fff", "#c0c0c0", "#8fffd0"]
REGION_CHARS = ".+~-:=^\",*"
# On a 16-colour terminal the shades above all round to grey: use the ANSI colours.
ANSI_COLORS = ["blue", "yellow", "green", "magenta", "cyan", "red", "white"]


# --- the result ----------------------------------------------------------------------------


def to_json(result, warnings=()) -> dict:
    h = result.history
    every = max(1, len(h.step) // 200)
    keep = list(range(0, len(h.step), every))
    if keep[-1] != len(h.step) - 1:
        keep.append(len(h.step) - 1)
    out = {
        "dataset": result.dataset, "task": result.task, "activation": result.activation,
        "optimizer": result.optimizer, "steps": result.steps, "final_loss": result.final_loss,
        "accuracy": result.accuracy, "train_accuracy": result.train_accuracy,
        "train_seconds": result.train_seconds, "compile_seconds": result.compile_seconds,
        "backend": result.backend, "activation_params": result.activation_params or {}, "lr": result.lr, "hidden": list(result.hidden),
        "output": result.output, "loss_function": result.loss, "batch": result.batch,
        "seed": result.seed, "test_loss": result.test_loss, "r2": result.r2,
        "train_r2": result.train_r2, "n_train": result.n_train, "n_test": result.n_test,
        "notes": list(result.notes), "warnings": list(warnings), "l1": result.l1, "l2": result.l2,
        "features": list(result.features) if result.features is not None else None,
        "interrupted": result.interrupted, "layer_notes": list(result.layer_notes),
        "layers_history": layer_view.history_json(result.layers),
        "history": {"step": [int(h.step[i]) for i in keep], "loss": [float(h.loss[i]) for i in keep],
                    "score": [float(h.score[i]) for i in keep]},
    }
    if result.truth_table is not None:
        out["truth_table"] = [row._asdict() for row in result.truth_table]
    return out


def show(result, *, warnings=(), as_json=False, chart=True) -> None:
    if as_json:
        render.print_json(to_json(result, warnings))
        return
    from rich.text import Text

    console = render.stdout_console()
    console.print(summary_table(result))
    for note in result.notes:
        console.print(f"[bold]Note:[/] {note}", soft_wrap=True)
    if result.truth_table is not None:
        console.print(truth_table(result))
    if result.layers.layers:
        console.print(layer_view.table(result.layers))
    layer_view.show_notes(console, result.layer_notes)
    if not chart:
        return
    h = result.history
    positive = bool((h.loss > 0).all())
    chart_text = render.line_chart([("loss", h.step, h.loss)], title="training loss", xlabel="step",
                                   ylabel="loss" + (" (log)" if positive else ""), ylog=positive, height=16)
    console.print(Text.from_ansi(chart_text))
    if result.regions is not None and result.truth_table is None:
        console.print(decision_regions(result, color=render.color_enabled(),
                                       ansi=console.color_system in ("standard", "windows")))
    if result.label_regions is not None:
        for k, name in enumerate(result.class_names):
            console.print(f"[bold]label {name!r}[/]: predicted on where P > 0.5", soft_wrap=True)
            console.print(decision_regions(label_view(result, k), color=render.color_enabled(),
                                           ansi=console.color_system in ("standard", "windows"),
                                           height=12))
    if result.curve is not None:
        console.print(Text.from_ansi(fit_chart(result)))


def summary_table(result):
    from rich.table import Table

    t = Table(title=f"actlab train {result.dataset}", show_header=True, header_style="bold")
    t.add_column("quantity")
    t.add_column("value", justify="right")
    net = "-".join(str(s) for s in (_n_in(result), *result.hidden, _n_out(result)))
    t.add_row("task", result.task)
    act = result.activation
    if result.activation_params:
        act += "(" + ", ".join(f"{k}={v:g}" for k, v in result.activation_params.items()) + ")"
    t.add_row("network", f"{net}, hidden {act}, output {result.output}")
    t.add_row("loss function", LOSS_NAMES.get(result.loss, result.loss))
    t.add_row("optimizer", f"{result.optimizer}, lr {render.fmt(result.lr)}"
              + (f", batch {result.batch}" if result.batch else ", full batch"))
    penalties = [f"{name} {render.fmt(v)}" for name, v in (("L1", result.l1), ("L2", result.l2)) if v]
    if penalties:
        t.add_row("penalty on weights", ", ".join(penalties))
    if result.features is not None:
        t.add_row("input features", ", ".join(result.features))
    t.add_row("steps", str(result.steps))
    t.add_row("examples", f"{result.n_train} train" + (f", {result.n_test} test" if result.n_test else ""))
    t.add_row("final loss (train)", render.fmt(result.final_loss))
    if result.test_loss is not None:
        t.add_row("test loss", render.fmt(result.test_loss))
    classify = result.accuracy is not None
    name, train_v, test_v = (("accuracy", result.train_accuracy, result.accuracy) if classify
                             else ("R^2", result.train_r2, result.r2))
    if classify and result.task == "multi-label":
        name += " (per label)"
    if result.n_test:
        t.add_row(f"train {name}", f"{train_v:.4f}")
        t.add_row(f"test {name}", f"{test_v:.4f}")
    else:
        t.add_row(f"{name} (no test split)", f"{train_v:.4f}")
    t.add_row("training seconds", f"{result.train_seconds:.3f}")
    t.add_row("compile seconds", f"{result.compile_seconds:.3f}" + (" (cached)" if result.compile_seconds == 0 else ""))
    t.add_row("backend", result.backend)
    return t


def _n_in(result):
    return result.params[0][0].shape[0]


def _n_out(result):
    return result.params[-1][0].shape[1]


def truth_table(result):
    from rich.table import Table

    t = Table(title=f"{result.dataset} truth table", header_style="bold")
    for name in ("x1", "x2", "target", "P(y=1)", "predicted", ""):
        t.add_column(name, justify="right")
    for row in result.truth_table:
        ok = row.predicted == row.target
        t.add_row(f"{row.x1:g}", f"{row.x2:g}", str(row.target), f"{row.probability:.4f}",
                  str(row.predicted), "[green]ok[/]" if ok else "[red]wrong[/]")
    return t


def label_view(result, k):
    """A multi-label result seen as the binary problem of its label ``k``."""
    x_tr, y_tr, x_te, y_te = result.points
    name = result.class_names[k]
    return result._replace(regions=result.label_regions[k], class_names=(f"not {name}", name),
                           points=(x_tr, y_tr[:, k], x_te, None if y_te is None else y_te[:, k]))


def decision_regions(result, *, width: int | None = None, height: int | None = None, color: bool = False,
                     ansi: bool = False):
    """The plane as text: each cell shows the predicted class (background colour,
    or a character without colour), with the data points on top (their true
    class: a dot in colour, a digit without)."""
    import numpy as np
    from rich.text import Text

    reg = result.regions
    cols = shutil.get_terminal_size((100, 30)).columns
    W = width or max(20, min(cols - 2, 72))
    H = height or max(10, W * 3 // 8)
    xs, ys = reg.xs, reg.ys
    gi = np.clip(np.round(np.linspace(0, len(xs) - 1, W)).astype(int), 0, len(xs) - 1)
    gj = np.clip(np.round(np.linspace(len(ys) - 1, 0, H)).astype(int), 0, len(ys) - 1)
    cls = reg.cls[np.ix_(gj, gi)]
    prob = reg.prob[np.ix_(gj, gi)]
    binary = int(reg.cls.max(initial=0)) <= 1 and len(result.class_names) <= 2
    # points -> cells (test points drawn after training points)
    points = {}
    x_tr, y_tr, x_te, y_te = result.points
    sets = [(x_tr, y_tr, False)] + ([(x_te, y_te, True)] if x_te is not None else [])
    for xp, yp, is_test in sets:
        ci = np.round((xp[:, 0] - xs[0]) / (xs[-1] - xs[0]) * (W - 1)).astype(int)
        cj = np.round((ys[-1] - xp[:, 1]) / (ys[-1] - ys[0]) * (H - 1)).astype(int)
        for a, b, c in zip(ci, cj, yp):
            if 0 <= a < W and 0 <= b < H:
                points[(b, a)] = (int(c), is_test)
    text = Text()
    for j in range(H):
        for i in range(W):
            c = int(cls[j, i])
            pt = points.get((j, i))
            if color and ansi:
                bg = ANSI_COLORS[c % len(ANSI_COLORS)]
                if pt is None:
                    text.append(" ", style=f"on {bg}")
                else:
                    fg = "bright_" + ANSI_COLORS[pt[0] % len(ANSI_COLORS)]
                    text.append("○" if pt[1] else "●", style=f"bold {fg} on {bg}")
            elif color:
                conf = abs(prob[j, i] - 0.5) * 2 if binary else prob[j, i]
                bg = _shade(POINT_COLORS[c % len(POINT_COLORS)], 0.12 + 0.3 * conf)
                if pt is None:
                    text.append(" ", style=f"on {bg}")
                else:
                    text.append("○" if pt[1] else "●", style=f"bold {POINT_COLORS[pt[0] % len(POINT_COLORS)]} on {bg}")
            else:
                text.append(str(pt[0] % 10) if pt is not None else REGION_CHARS[c % len(REGION_CHARS)])
        text.append("\n")
    names = result.class_names
    if color:
        palette = [("bright_" + c) for c in ANSI_COLORS] if ansi else POINT_COLORS
        legend = ("regions: predicted class" + ("" if ansi else " (brighter = more confident)")
                  + "; points: true class (● train, ○ test): "
                  + ", ".join(f"[{palette[k % len(palette)]}]{n}[/]" for k, n in enumerate(names)))
        text.append_text(Text.from_markup(legend))
    else:
        legend = ("regions: predicted class " + ", ".join(f"{n} '{REGION_CHARS[k % 10]}'" for k, n in enumerate(names))
                  + "; points: their true class as a digit")
        text.append(legend)
    text.append(f"\nx1 from {render.fmt(xs[0], 3)} to {render.fmt(xs[-1], 3)} (left to right), "
                f"x2 from {render.fmt(ys[0], 3)} to {render.fmt(ys[-1], 3)} (bottom to top)")
    return text


def _shade(hex_color: str, level: float) -> str:
    r, g, b = (int(hex_color[k:k + 2], 16) for k in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(int(v * level) for v in (r, g, b)))


def fit_chart(result) -> str:
    """Data points and the fitted curve of a 1-D regression (plotext)."""
    import plotext as plt

    cols, _ = shutil.get_terminal_size((100, 30))
    plt.clear_figure()
    plt.plotsize(min(cols, 100), 20)
    if not render.color_enabled():
        plt.theme("clear")
    x_tr, y_tr, _, _ = result.points
    plt.scatter(list(map(float, x_tr[:, 0])), list(map(float, y_tr[:, 0])), label="training data", marker="dot")
    plt.plot(list(map(float, result.curve.x)), list(map(float, result.curve.y)), label="network", marker="braille")
    plt.title(f"{result.dataset}: data and the fitted function")
    plt.xlabel("x")
    text = plt.build()
    plt.clear_figure()
    return text


# --- progress ----------------------------------------------------------------------------


@contextlib.contextmanager
def progress_bar(total: int, *, enabled: bool):
    """A rich progress bar on stderr (step, loss, steps/s); yields the callback for ``train``."""
    if not enabled:
        yield None
        return
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("loss {task.fields[loss]}"), TextColumn("{task.fields[rate]} steps/s"),
                  TimeElapsedColumn(), console=render.stderr_console(), transient=True) as bar:
        task = bar.add_task("compiling", total=total, loss="-", rate="-")
        start = [None, 0]

        def update(done, loss):
            if done == 0:  # compiled; training starts
                bar.update(task, description="training")
                return
            now = time.perf_counter()
            if start[0] is None:  # the first chunk: rates count from here
                start[0], start[1] = now, done
            rate = (done - start[1]) / (now - start[0]) if now > start[0] else 0
            bar.update(task, completed=done, loss=render.fmt(loss, 4),
                       rate=f"{rate:,.0f}" if rate else "-")

        yield update


# --- files -------------------------------------------------------------------------------


def check_save_dir(path: str, *, overwrite: bool = False) -> Path:
    """The ``--save`` folder, checked before any work: a new folder (its parent
    must exist), an empty one, or a non-empty one only with ``overwrite``."""
    p = Path(path).expanduser()
    if p.exists() and not p.is_dir():
        raise ActlabError(f"bad --save {path!r}: it is a file; --save takes a folder")
    if p.is_dir():
        if any(p.iterdir()) and not overwrite:
            raise ActlabError(f"--save folder {path!r} exists and is not empty; pass --overwrite to write into it")
        if not os.access(p, os.W_OK):
            raise ActlabError(f"bad --save {path!r}: the folder is not writable")
        return p
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ActlabError(f"bad --save {path!r}: folder {str(parent)!r} does not exist")
    return p


def save_run(folder: Path, result, warnings=()) -> None:
    """params.npz, history.csv, layers.csv, result.json and figure.png, each written atomically."""
    import numpy as np

    folder.mkdir(exist_ok=True)
    arrays = {}
    for k, (w, b) in enumerate(result.params, 1):
        arrays[f"W{k}"], arrays[f"b{k}"] = w, b

    def write_npz(tmp):
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)

    render.write_atomic(folder / "params.npz", write_npz)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    score_name = "accuracy" if result.accuracy is not None else "r2"
    writer.writerow(["step", "loss", score_name])
    h = result.history
    for s, lo, sc in zip(h.step, h.loss, h.score):
        writer.writerow([int(s), repr(float(lo)), repr(float(sc))])
    _write_text(folder / "history.csv", buf.getvalue())
    _write_text(folder / "layers.csv", layer_view.history_csv(result.layers))
    payload = render.jsonable(to_json(result, warnings))
    _write_text(folder / "result.json", json.dumps(payload, indent=2, allow_nan=False) + "\n")
    render.save_figure(figure(result), folder / "figure.png")


def _write_text(path: Path, text: str) -> None:
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)

    render.write_atomic(path, write)


def figure(result):
    """The loss curve, and the decision regions or the fitted curve beside it."""
    import numpy as np

    labels = result.label_regions or ()
    second = result.regions is not None or result.curve is not None
    panels = 1 + int(second) + len(labels)
    fig, axes = render.new_figure(1, panels, figsize=(1 + 5 * panels, 4.5))
    axes = np.atleast_1d(axes)
    ax = axes[0]
    h = result.history
    ax.plot(h.step, h.loss, lw=1.2)
    if (h.loss > 0).all():
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_title(f"{result.dataset}: {result.activation}, {result.optimizer} lr {result.lr:g}")
    ax.grid(alpha=0.3)
    x_tr, y_tr, x_te, y_te = result.points
    if result.regions is not None:
        ax = axes[1]
        reg = result.regions
        k = max(2, len(result.class_names))
        cmap = _cmap(k)
        if k == 2:
            ax.contourf(reg.xs, reg.ys, reg.prob, levels=np.linspace(0, 1, 21), cmap=_cmap2(), alpha=0.6)
        else:
            ax.contourf(reg.xs, reg.ys, reg.cls, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.35)
        ax.scatter(x_tr[:, 0], x_tr[:, 1], c=y_tr, cmap=cmap, vmin=0, vmax=k - 1, s=14, edgecolors="k", linewidths=0.4)
        if x_te is not None:
            ax.scatter(x_te[:, 0], x_te[:, 1], c=y_te, cmap=cmap, vmin=0, vmax=k - 1, s=18, marker="^",
                       edgecolors="k", linewidths=0.4)
        ax.set_title("decision regions (circles: train, triangles: test)")
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
    elif result.curve is not None:
        ax = axes[1]
        ax.scatter(x_tr[:, 0], y_tr[:, 0], s=10, alpha=0.6, label="training data")
        ax.plot(result.curve.x, result.curve.y, color="C3", lw=2, label="network")
        ax.legend()
        ax.set_title(f"{result.dataset}: fitted function")
        ax.set_xlabel("x")
    for k, reg in enumerate(labels):
        ax = axes[1 + k]
        view = label_view(result, k)
        ax.contourf(reg.xs, reg.ys, reg.prob, levels=np.linspace(0, 1, 21), cmap=_cmap2(), alpha=0.6)
        xv, yv = view.points[0], view.points[1]
        ax.scatter(xv[:, 0], xv[:, 1], c=yv, cmap=_cmap(2), vmin=0, vmax=1, s=12, edgecolors="k", linewidths=0.3)
        ax.set_title(f"label {result.class_names[k]!r}: P(on)")
        ax.set_xlabel("x1")
    fig.tight_layout()
    return fig


def _cmap(k):
    from matplotlib.colors import ListedColormap

    return ListedColormap(POINT_COLORS[:k] if k <= len(POINT_COLORS) else POINT_COLORS)


def _cmap2():
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("actlab2", [POINT_COLORS[0], "#ffffff", POINT_COLORS[1]])


# --- advise ------------------------------------------------------------------------------


def show_advice(rules, *, as_json=False) -> None:
    rows = [{
        "task": r.task, "output": r.output, "loss": r.loss, "loss_name": LOSS_NAMES[r.loss],
        "from_logits": r.from_logits, "why": r.why, "hidden": r.hidden,
        "command": r.example,
        "csv_command": f"actlab train --data FILE.csv --target COL --task {r.task} --out {r.output} --loss {r.loss}",
    } for r in rules]
    if as_json:
        render.print_json(rows[0] if len(rows) == 1 else {"tasks": rows})
        return
    from rich.table import Table

    console = render.stdout_console()
    if len(rows) == 1:
        r = rows[0]
        t = Table(title=f"actlab advise {r['task']}", header_style="bold")
        t.add_column("choice")
        t.add_column("advice")
        t.add_row("output activation", f"{r['output']}: {r['why']}")
        t.add_row("loss", LOSS_NAMES[r["loss"]].replace(" (from logits)", ""))
        t.add_row("from_logits", "yes: give the loss the logits z, not probabilities" if r["from_logits"]
                  else "- (no squashing output)")
        t.add_row("hidden layers", r["hidden"])
        t.add_row("try", r["command"])
        t.add_row("your data", r["csv_command"])
        console.print(t)
        return
    t = Table(title="output layer and loss by task", header_style="bold")
    for name in ("task", "output", "loss", "from_logits", "try"):
        t.add_column(name)
    for r in rows:
        t.add_row(r["task"], r["output"], SHORT_LOSS[r["loss"]], "yes" if r["from_logits"] else "-",
                  r["command"])
    console.print(t)
    for r in rows:
        console.print(f"{r['task']}: {r['output']}, {r['why']}.", soft_wrap=True)
    console.print(f"Hidden layers: {rows[0]['hidden']}.", soft_wrap=True)
    console.print("from_logits: the loss gets the logits z and applies the sigmoid/softmax itself, "
                  "in one stable formula (see `actlab stability`).", soft_wrap=True)


def show_warnings(warnings) -> None:
    """Each warning on stderr, one line each."""
    err = render.stderr_console()
    for w in warnings:
        err.print(f"[yellow]Warning:[/] {w}", soft_wrap=True)


def show_saved(folder) -> None:
    render.stderr_console().print(f"saved params.npz, history.csv, layers.csv, result.json, figure.png in {folder}")
