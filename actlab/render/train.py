"""What `actlab train` and `actlab advise` show: a table, the loss curve, the
decision regions (or the fitted curve, or the truth table), JSON, saved files.

Reads only the result types of training and the task rules of the data.
"""

from __future__ import annotations

import contextlib
import time

from actlab.render import files, images, terminal
from actlab.render import layers as layer_view
from actlab.render.terminal import fmt, paint, with_params

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
        "train_seconds": result.train_seconds, "measure_seconds": result.measure_seconds,
        "compile_seconds": result.compile_seconds,
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
    out.update(param_count=result.param_count, conv=list(result.conv), dtype=result.dtype,
               steps_per_epoch=result.steps_per_epoch,
               epochs=result.steps / result.steps_per_epoch if result.batch else None,
               test_accuracy=result.accuracy if result.n_test else None,
               best_test_step=result.best_test_step, inputs=list(result.feature_names))
    cp = result.checkpoints
    if cp is not None:
        out["checkpoints"] = {"step": cp.step, "train_loss": cp.train_loss, "test_loss": cp.test_loss,
                              "test_score": cp.test_score, "test_rows": result.test_sample}
    out["overfitting"] = result.overfitting._asdict() if result.overfitting else None
    c = result.classification
    if c is not None:
        out.update(classes=list(c.classes), confusion=c.confusion, split=c.split,
                   per_class=[s._asdict() for s in c.per_class], mistakes=[m._asdict() for m in c.mistakes])
    return out


def show(result, *, warnings=(), as_json=False, chart=True) -> None:
    if as_json:
        terminal.print_json(to_json(result, warnings))
        return
    screen = terminal.stdout()
    screen.table(summary_table(result))
    for note in result.notes:
        screen.line(paint("Note:", "bold"), f" {note}")
    if result.truth_table is not None:
        screen.blank()
        screen.table(truth_table(result))
    elif result.classification is not None:
        show_classification(result, screen)
    if result.overfitting is not None:
        screen.line(paint("Note:", "bold"), f" {overfitting_note(result)}")
    layer_view.show(screen, result.layers, result.layer_notes)
    if not chart:
        return
    series, options = loss_chart(result)
    screen.blank()
    screen.chart(series, height=16, **options)
    if result.best_test_step is not None:
        screen.note(best_step_caption(result))
    if result.regions is not None and result.truth_table is None:
        screen.blank()
        screen.line(decision_regions(result, screen))
    if result.label_regions is not None:
        for k, name in enumerate(result.class_names):
            screen.blank()
            screen.line(paint(f"label {name!r}", "bold"), ": predicted on where P > 0.5")
            screen.line(decision_regions(label_view(result, k), screen, height=12))
    if result.curve is not None:
        screen.blank()
        x_tr, y_tr, _, _ = result.points
        screen.chart([("network", result.curve.x, result.curve.y)],
                     scatter=[("training data", x_tr[:, 0], y_tr[:, 0])],
                     title=f"{result.dataset}: data and the fitted function", xlabel="x", ylabel="y", height=18)


def warn(warnings) -> None:
    """Warnings on stderr, one line each."""
    screen = terminal.stderr()
    for w in warnings:
        screen.line(paint("Warning:", "warn"), f" {w}")


def saved(folder, names) -> None:
    terminal.stderr().line(f"saved {', '.join(names)} in {folder}")


def summary_table(result) -> terminal.Table:
    t = terminal.Table(f"actlab train {result.dataset}")
    t.column("quantity", key=True)
    t.column("value", wrap=True)
    net = "-".join(str(s) for s in (result.params[len(result.conv)][0].shape[0], *result.hidden, _n_out(result)))
    t.row("task", result.task)
    act = with_params(result.activation, result.activation_params)
    if result.conv:
        image = "x".join(map(str, result.image))
        net = f"{image} image, conv 3x3/2 {','.join(map(str, result.conv))} channels, dense {net}"
    t.row("network", f"{net}, hidden {act}, output {result.output}")
    t.row("parameters", f"{result.param_count:,}")
    t.row("loss function", LOSS_NAMES.get(result.loss, result.loss))
    t.row("optimizer", f"{result.optimizer}, lr {fmt(result.lr)}"
          + (f", batch {result.batch}" if result.batch else ", full batch")
          + (f", {result.dtype}" if result.dtype != "float32" else ""))
    penalties = [f"{name} {fmt(v)}" for name, v in (("L1", result.l1), ("L2", result.l2)) if v]
    if penalties:
        t.row("penalty on weights", ", ".join(penalties))
    if result.features is not None:
        t.row("input features", ", ".join(result.features))
    t.row("steps", schedule(result))
    t.row("inputs", inputs_text(result.feature_names))
    t.row("examples", f"{result.n_train} train" + (f", {result.n_test} test" if result.n_test else ""))
    t.row("final loss (train)", fmt(result.final_loss))
    if result.test_loss is not None:
        t.row("test loss", fmt(result.test_loss))
    classify = result.accuracy is not None
    name, train_v, test_v = (("accuracy", result.train_accuracy, result.accuracy) if classify
                             else ("R^2", result.train_r2, result.r2))
    if classify and result.task == "multi-label":
        name += " (per label)"
    if result.n_test:
        t.row(f"train {name}", f"{train_v:.4f}")
        t.row(f"test {name}", f"{test_v:.4f}")
    else:
        t.row(f"{name} (no test split)", f"{train_v:.4f}")
    t.row("training seconds", f"{result.train_seconds:.3f}")
    t.row("measuring seconds (all rows)", f"{result.measure_seconds:.3f}")
    t.row("compile seconds", f"{result.compile_seconds:.3f}" + (" (cached)" if result.compile_seconds == 0 else ""))
    t.row("backend", result.backend)
    return t


def inputs_text(names) -> str:
    """The input columns: all of them when few, else how many and the first and last."""
    if len(names) <= 6:
        return ", ".join(names)
    return f"{len(names)} columns: {', '.join(names[:3])}, ..., {names[-1]}"


def schedule(result) -> str:
    """"840 (20 epochs of 42 batches)" with mini-batches, else the step count."""
    if not result.batch:
        return str(result.steps)
    epochs = result.steps / result.steps_per_epoch
    return f"{result.steps} ({epochs:g} epoch{'s' if epochs != 1 else ''} of {result.steps_per_epoch} batches)"


def _n_out(result):
    return result.params[-1][0].shape[1]


def truth_table(result) -> terminal.Table:
    t = terminal.Table(f"{result.dataset} truth table")
    for name in ("x1", "x2", "target", "P(y=1)", "predicted", ""):
        t.column(name, align="right", key=name in ("x1", "x2"))
    for row in result.truth_table:
        ok = row.predicted == row.target
        t.row(f"{row.x1:g}", f"{row.x2:g}", str(row.target), f"{row.probability:.4f}",
              str(row.predicted), paint("ok", "good") if ok else paint("wrong", "bad"))
    return t


def label_view(result, k):
    """A multi-label result seen as the binary problem of its label ``k``."""
    x_tr, y_tr, x_te, y_te = result.points
    name = result.class_names[k]
    return result._replace(regions=result.label_regions[k], class_names=(f"not {name}", name),
                           points=(x_tr, y_tr[:, k], x_te, None if y_te is None else y_te[:, k]))


def decision_regions(result, screen, *, height: int | None = None, width: int | None = None,
                     legend: bool = True):
    """The plane as text: each cell shows the predicted class (background colour,
    or a character without colour), with the data points on top (their true
    class: a dot in colour, a digit without); ``legend``: what the colours
    and the axes mean, below."""
    import numpy as np

    color, ansi = screen.color, screen.basic_colors
    reg = result.regions
    W = width or max(20, min(screen.width - 2, 72))
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
    parts = []
    for j in range(H):
        for i in range(W):
            c = int(cls[j, i])
            pt = points.get((j, i))
            if color and ansi:
                bg = ANSI_COLORS[c % len(ANSI_COLORS)]
                if pt is None:
                    parts.append(paint(" ", f"on {bg}"))
                else:
                    fg = "bright_" + ANSI_COLORS[pt[0] % len(ANSI_COLORS)]
                    parts.append(paint("○" if pt[1] else "●", f"bold {fg} on {bg}"))
            elif color:
                conf = abs(prob[j, i] - 0.5) * 2 if binary else prob[j, i]
                bg = _shade(POINT_COLORS[c % len(POINT_COLORS)], 0.12 + 0.3 * conf)
                if pt is None:
                    parts.append(paint(" ", f"on {bg}"))
                else:
                    parts.append(paint("○" if pt[1] else "●", f"bold {POINT_COLORS[pt[0] % len(POINT_COLORS)]} on {bg}"))
            else:
                parts.append(str(pt[0] % 10) if pt is not None else REGION_CHARS[c % len(REGION_CHARS)])
        parts.append("\n")
    if not legend:
        return terminal.join(*parts[:-1])
    names = result.class_names
    if color:
        palette = [("bright_" + c) for c in ANSI_COLORS] if ansi else POINT_COLORS
        parts.append("regions: predicted class" + ("" if ansi else " (brighter = more confident)")
                     + "; points: true class (● train, ○ test): ")
        for k, n in enumerate(names):
            parts += [", "] * (k > 0) + [paint(n, palette[k % len(palette)])]
    else:
        parts.append("regions: predicted class " + ", ".join(f"{n} '{REGION_CHARS[k % 10]}'" for k, n in enumerate(names))
                     + "; points: their true class as a digit")
    parts.append(f"\nx1 from {fmt(xs[0], 3)} to {fmt(xs[-1], 3)} (left to right), "
                 f"x2 from {fmt(ys[0], 3)} to {fmt(ys[-1], 3)} (bottom to top)")
    return terminal.join(*parts)


def _shade(hex_color: str, level: float) -> str:
    r, g, b = (int(hex_color[k:k + 2], 16) for k in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(int(v * level) for v in (r, g, b)))


# --- a classifier's answers -------------------------------------------------------------


def show_classification(result, screen) -> None:
    """The confusion matrix (or each label's counts), per-class precision,
    recall and F1, and the most confident mistakes (digits as images)."""
    c = result.classification
    rows = len(c.predicted)
    where = f"the {rows} test rows" if c.split == "test" else f"the {rows} training rows (no test split)"
    if result.task == "multi-label":
        screen.line(paint("Each label", "bold"), f" on {where} (TP: rightly on, FP: wrongly on, FN: missed, "
                    "TN: rightly off):")
        screen.table(label_table(c))
    else:
        matrix = confusion_table(c)
        if matrix.fits(screen.width):
            screen.line(paint("Confusion matrix", "bold"), f" on {where} (rows: true class, columns: predicted):")
            screen.table(matrix)
        else:
            screen.line(paint("Confusion matrix", "bold"), f" on {where}: {len(c.classes)} classes are wider "
                        f"than {screen.width} columns (--json has it all); the most frequent confusions:")
            screen.table(top_confusions(c))
        screen.table(per_class_table(c))
    screen.note("precision: right among the rows predicted as the class; recall: found among the rows "
                "of the class; F1: their harmonic mean")
    if c.mistakes:
        show_mistakes(result, screen)


def confusion_table(c) -> terminal.Table:
    t = terminal.Table()
    t.column("true", align="right", key=True)
    for name in c.classes:
        t.column(name, align="right", wrap=False)
    for i, name in enumerate(c.classes):
        t.row(name, *(paint(str(n), "bold") if i == j and n else str(n) if n else paint(".", "dim")
                      for j, n in enumerate(c.confusion[i])))
    return t


def top_confusions(c, n: int = 10) -> terminal.Table:
    k = len(c.classes)
    pairs = sorted(((int(c.confusion[i, j]), i, j) for i in range(k) for j in range(k)
                    if i != j and c.confusion[i, j]), reverse=True)[:n]
    t = terminal.Table()
    for name in ("true", "predicted", "rows"):
        t.column(name, align="right")
    for count, i, j in pairs:
        t.row(c.classes[i], c.classes[j], str(count))
    return t


def per_class_table(c) -> terminal.Table:
    t = terminal.Table()
    for name in ("class", "precision", "recall", "F1", "support"):
        t.column(name, align="right", key=name == "class", wrap=name == "class")
    for s in c.per_class:
        t.row(s.name, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support))
    return t


def label_table(c) -> terminal.Table:
    """Multi-label: each label's counts and its precision, recall and F1."""
    t = terminal.Table()
    for name in ("label", "TP", "FP", "FN", "TN", "precision", "recall", "F1"):
        t.column(name, align="right", wrap=False)
    for s, ((tn, fp), (fn, tp)) in zip(c.per_class, c.confusion):
        t.row(s.name, str(tp), str(fp), str(fn), str(tn), f"{s.precision:.3f}", f"{s.recall:.3f}",
              f"{s.f1:.3f}")
    return t


def show_mistakes(result, screen) -> None:
    c = result.classification
    n = len(c.mistakes)
    screen.line(paint(f"The {n} most confident mistakes" if n > 1 else "The most confident mistake", "bold"),
                f" ({c.split} rows; confidence: the probability given to the wrong answer):")
    x = result.points[2] if c.split == "test" else result.points[0]
    if result.image is not None:
        blocks = [(images.image_lines(x[m.row], result.image),
                   [f"row {m.row}", f"true {m.true}, said {m.predicted}", f"confidence {m.confidence:.3f}"])
                  for m in c.mistakes]
        screen.line(images.side_by_side(blocks, width=screen.width), wrap=False)
        return
    t = terminal.Table()
    cols = ["row", *(["label"] if result.task == "multi-label" else []), "true", "predicted", "confidence"]
    for name in cols:
        t.column(name, align="right")
    for m in c.mistakes:
        t.row(str(m.row), *([m.label] if m.label is not None else []), m.true, m.predicted,
              f"{m.confidence:.3f}")
    screen.table(t)


# --- losses over training ---------------------------------------------------------------


def loss_series(result):
    """(series, title): train and test loss at the checkpoints; without a test
    split, the training loss of every step."""
    cp = result.checkpoints
    if result.n_test and cp is not None and len(cp.step):
        return [("train", cp.step, cp.train_loss), ("test", cp.step, cp.test_loss)], "train and test loss"
    h = result.history
    return [("loss", h.step, h.loss)], "training loss"


def loss_chart(result) -> tuple[list, dict]:
    """The loss series and their chart's options: on a log scale when every
    loss is positive."""
    series, title = loss_series(result)
    positive = all((ys > 0).all() for _, _, ys in series)
    return series, dict(title=title + (", log scale" if positive else ""), xlabel="step", ylabel="loss",
                        ylog=positive, x_integers=True)


def best_step_caption(result) -> str:
    cp = result.checkpoints
    i = list(cp.step).index(result.best_test_step)
    epoch = f" (epoch {result.best_test_step / result.steps_per_epoch:g})" if result.batch else ""
    sample = (f" on {result.test_sample} of the {result.n_test} test rows" if result.test_sample < result.n_test
              else "")
    return (f"train: mean loss of the batches since the previous checkpoint; test: at the checkpoint{sample}. "
            f"Lowest test loss {fmt(cp.test_loss[i], 4)} at step {result.best_test_step}{epoch}; "
            f"at the end {fmt(cp.test_loss[-1], 4)}.")


def overfitting_note(result) -> str:
    o = result.overfitting
    stop = (f"--epochs {max(1, round(o.best_step / result.steps_per_epoch))}" if result.batch
            else f"--steps {o.best_step}")
    return (f"overfitting: the test loss rose {100 * o.rise:.0f}% from its lowest, {fmt(o.best_test_loss, 4)} "
            f"at step {o.best_step}, to {fmt(o.final_test_loss, 4)} at step {o.final_step}, while the "
            f"training loss fell from {fmt(o.train_loss_at_best, 4)} to {fmt(o.final_train_loss, 4)} "
            f"(gap test - train {fmt(o.best_test_loss - o.train_loss_at_best, 3)} -> "
            f"{fmt(o.final_test_loss - o.final_train_loss, 3)}): the network learns its training rows "
            f"rather than the task. Try stopping near step {o.best_step} ({stop}), more training data, "
            "--l2 1e-3, or a smaller network (--hidden).")


# --- progress ----------------------------------------------------------------------------


@contextlib.contextmanager
def progress_bar(total: int):
    """The progress bar on stderr (step, loss, steps/s); yields the callback for ``train``."""
    with terminal.progress("compiling", total=total) as bar:
        if bar is None:
            yield None
            return
        start = [None, 0]

        def update(done, loss):
            if done == 0:  # compiled; training starts
                bar.update(description="training")
                return
            now = time.perf_counter()
            if start[0] is None:  # the first chunk: rates count from here
                start[0], start[1] = now, done
            rate = (done - start[1]) / (now - start[0]) if now > start[0] else 0
            bar.update(completed=done, info=f"loss {fmt(loss, 4)}, {f'{rate:,.0f}' if rate else '-'} steps/s")

        yield update


# --- files -------------------------------------------------------------------------------


def save_run(folder, result, *, arrays: dict, record: dict, warnings=()) -> list[str]:
    """The run folder (whole or not at all): the weights (``arrays``), the
    history, the layers, the result, the run's record, the figure and, for
    images, the most confident mistakes. Returns the names written."""
    h = result.history
    history = [["step", "loss", "accuracy" if result.accuracy is not None else "r2"]]
    history += [[int(s), repr(float(lo)), repr(float(sc))] for s, lo, sc in zip(h.step, h.loss, h.score)]
    figures = {"figure": figure(result)}
    c = result.classification
    if result.image is not None and c is not None and c.mistakes:
        x = result.points[2] if c.split == "test" else result.points[0]
        figures["mistakes"] = images.image_grid(
            [(x[m.row], f"row {m.row}: true {m.true}\nsaid {m.predicted} ({m.confidence:.3f})") for m in c.mistakes],
            result.image, title=f"{result.dataset}: the most confident mistakes ({c.split} rows)")
    return files.save_run(folder, arrays=arrays, tables={"history": history,
                                                         "layers": layer_view.history_rows(result.layers)},
                          result=to_json(result, warnings), record=record, figures=figures)


def figure(result):
    """The loss curve, and the decision regions or the fitted curve beside it."""
    import numpy as np

    labels = result.label_regions or ()
    second = result.regions is not None or result.curve is not None
    panels = 1 + int(second) + len(labels)
    fig, axes = files.new_figure(1, panels, figsize=(1 + 5 * panels, 4.5))
    axes = np.atleast_1d(axes)
    ax = axes[0]
    series, options = loss_chart(result)
    title = options["title"].removesuffix(", log scale")
    for label, steps, loss in series:
        ax.plot(steps, loss, lw=1.2, label=label)
    if options["ylog"]:
        ax.set_yscale("log")
    if result.best_test_step is not None:
        ax.axvline(result.best_test_step, color="0.5", ls=":", lw=1,
                   label=f"lowest test loss (step {result.best_test_step})")
    if len(series) > 1:
        ax.legend()
    ax.set_xlabel("step")
    ax.set_ylabel(title)
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
        ax.set_title("decision regions (circles: train, triangles: test)" if x_te is not None
                     else "decision regions and the training points")
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
        "csv_command": (f"actlab train --data FILE.csv "
                        f"--target {'LABEL1,LABEL2,...' if r.task == 'multi-label' else 'COL'} "
                        f"--task {r.task} --out {r.output} --loss {r.loss}"),
    } for r in rules]
    if as_json:
        terminal.print_json(rows[0] if len(rows) == 1 else {"tasks": rows})
        return
    screen = terminal.stdout()
    if len(rows) == 1:
        r = rows[0]
        t = terminal.Table(f"actlab advise {r['task']}")
        t.column("choice", key=True)
        t.column("advice", wrap=True)
        t.row("output activation", f"{r['output']}: {r['why']}")
        t.row("loss", LOSS_NAMES[r["loss"]].replace(" (from logits)", ""))
        t.row("from_logits", "yes: give the loss the logits z, not probabilities" if r["from_logits"]
              else "- (no squashing output)")
        t.row("hidden layers", r["hidden"])
        screen.table(t)
        screen.command(r["command"], lead="try:")
        screen.command(r["csv_command"], lead="your data:")
        return
    t = terminal.Table("output layer and loss by task")
    t.column("task", key=True)
    for name in ("output", "loss", "from_logits"):
        t.column(name)
    t.column("try", secondary=True)
    for r in rows:
        t.row(r["task"], r["output"], SHORT_LOSS[r["loss"]], "yes" if r["from_logits"] else "-", r["command"])
    screen.table(t)
    for r in rows:
        screen.line(f"{r['task']}: {r['output']}, {r['why']}.")
    screen.line(f"Hidden layers: {rows[0]['hidden']}.")
    screen.line("from_logits: the loss gets the logits z and applies the sigmoid/softmax itself, "
                "in one stable formula (see `actlab stability`).")
