"""What ``actlab grad`` shows: derivative tables, gradient flow per layer,
backpropagation's cost. Reads only the result types of the gradient experiments."""

from __future__ import annotations

import contextlib
import math

from actlab.render import files, terminal
from actlab.render.terminal import fmt, paint, with_params

VERDICT_STYLE = {"healthy": "good", "vanishing": "bad", "exploding": "bad",
                 "overflow": "bad", "dead": "bad"}


# --- pointwise ------------------------------------------------------------------------


def pointwise(tables, *, backend: str, as_json: bool = False) -> None:
    """One table per activation: x, f, f', the finite difference and their agreement."""
    if as_json:
        entries = [{"activation": t.activation, "params": dict(t.params), "formula": t.formula,
                    "points": [p._asdict() for p in t.points]} for t in tables]
        obj = {"backend": backend, "dtype": tables[0].dtype, "eps": tables[0].eps,
               "step_rule": tables[0].step_rule,
               "finite_difference": "(f(x + h) - f(x - h)) / (2 h), f evaluated in dtype",
               # Several activations: one entry each under "activations"; with one,
               # its "activation" and "points" are also at the top level.
               "activations": entries}
        if len(entries) == 1:
            obj = {**entries[0], **obj}
        terminal.print_json(obj)
        return
    screen = terminal.stdout()
    for t in tables:
        label = with_params(t.activation, t.params)
        same = t.formula.replace(" ", "") == t.activation.replace(" ", "")
        table = terminal.Table(f"{label}{'' if same or not t.formula else ': ' + t.formula}   ({t.dtype})")
        table.column("x", align="right", key=True)
        for col in ("f(x)", "f'(x)", "finite diff", "step h", "|diff|", "FD error"):
            table.column(col, align="right", secondary=col in ("step h", "FD error"))
        table.column("check")
        for p in t.points:
            table.row(fmt(p.x), fmt(p.value), fmt(p.derivative), fmt(p.finite_difference),
                      fmt(p.step, 3), fmt(p.abs_error, 3), fmt(p.tolerance, 3), _agreement(p))
        screen.table(table)
        screen.blank()
    t = tables[0]
    notes = [
        f"finite diff = (f(x+h) - f(x-h)) / 2h, {t.step_rule}, eps = {fmt(t.eps, 3)} ({t.dtype}).",
        "ok: |diff| is within the FD error (rounding of f over 2h plus truncation, estimated "
        "from a second step 2h).",
        "f(x+h) - f(x) is about f'(x) h: the derivative is the amplification factor.",
    ]
    points = [p for t in tables for p in t.points]
    if any(p.note == "below FD resolution" for p in points):
        notes.append("below FD: f'(x) is smaller than the finite difference can resolve in this "
                     "dtype; the registry's value is the accurate one.")
    if any(p.note.startswith("kink") for p in points):
        notes.append("kink L | R: the slopes left and right of x differ; f'(x) there is a convention.")
    for note in notes:
        screen.note(note)


def _agreement(p):
    if p.note.startswith("kink"):
        return terminal.join(paint("kink", "warn"), f" {fmt(p.left_slope, 2)} | {fmt(p.right_slope, 2)}")
    if not p.agree:
        return paint("MISMATCH", "bad")
    if p.note:
        return terminal.join(paint("ok", "good"), ", below FD")
    return paint("ok", "good")


# --- depth --------------------------------------------------------------------------------


def depth(flows, *, backend: str, as_json: bool = False, chart: bool = True, save=None,
          all_layers: bool = False) -> None:
    """Per-layer tables, a verdict per activation, and a chart of log10 gradient norms.

    Deep networks show 12 layers in their tables, evenly spaced with the first
    and the last, unless ``all_layers``; JSON, chart and figure keep them all.
    """
    if save is not None:
        files.save_figure(depth_figure(flows), save)
    f0 = flows[0]
    if as_json:
        terminal.print_json({"backend": backend, "results": flows,
                             "thresholds": {"vanishing_below": f0.VANISHING, "exploding_above": f0.EXPLODING,
                                            "saturated_below": f0.SATURATION}})
        return
    screen = terminal.stdout()
    for f in flows:
        table = terminal.Table(f"{with_params(f.activation, f.params)}, {f.init} init: {f.depth} hidden layers "
                               f"of {f.width}, batch {f.batch}, {f.dtype}   (layer 1 = input side)")
        for col in ("layer", "|dL/dW|", "|dL/dz|", "mean |f'|", "saturated", "dead", "zeros", "std f(z)"):
            table.column(col, align="right", key=col == "layer")
        shown = f.layers if all_layers else _spread(f.layers, 12)
        if len(shown) < len(f.layers):
            table.caption = f"{len(shown)} of {len(f.layers)} layers; --all-layers shows every one"
        for layer in shown:
            table.row(str(layer.layer), fmt(layer.grad_norm, 3), fmt(layer.signal_norm, 3),
                      fmt(layer.mean_abs_derivative, 3), _unit_share(layer.saturated), _unit_share(layer.dead),
                      _unit_share(layer.sparsity), fmt(layer.activation_std, 3))
        screen.table(table)
        screen.blank()

    summary = terminal.Table("verdict: first/last = |dL/dW| of layer 1 / layer L")
    for col in ("activation", "init", "first/last", "per layer", "signal first/last", "verdict"):
        summary.column(col, align="left" if col in ("activation", "init", "verdict") else "right",
                       key=col == "activation")
    for f in flows:
        summary.row(with_params(f.activation, f.params), f.init, fmt(f.ratio, 3),
                    f"x{fmt(f.factor_per_layer, 3)}", fmt(f.signal_ratio, 3),
                    paint(f.verdict, VERDICT_STYLE.get(f.verdict, "")))
    screen.table(summary)
    screen.blank()
    screen.note(f"vanishing below {f0.VANISHING:g}, exploding above {f0.EXPLODING:g} (either ratio). mean "
                f"|f'|: the local gain |f'(z)|; saturated: |f'(z)| < {terminal.sci(f0.SATURATION)}; dead: units with "
                "f'(z) = 0 for the whole batch; zeros: outputs f(z) = 0. Glorot & Bengio 2010; He et al. 2015.")
    for f in flows:
        if f.collapse is not None:
            c = f.collapse
            screen.line(
                paint(f"{with_params(f.activation, f.params)} collapses", "bold"),
                f": {f.depth} layers composed into "
                f"one affine map x W + b; max |deep - composed| = {fmt(c.max_abs_error, 3)} on outputs up "
                f"to {fmt(c.output_scale, 3)} (relative {fmt(c.max_rel_error, 3)} = "
                f"{c.eps_units:.1f} eps of {f.dtype}): rounding only, the depth adds nothing.")
    if chart:
        series = [(with_params(f.activation, f.params), [l.layer for l in f.layers],
                   [l.grad_norm for l in f.layers]) for f in flows]
        screen.chart(series, title="|dL/dW| per layer (layer 1 = input side), log scale", xlabel="layer",
                     ylabel="|dL/dW|", ylog=True, x_integers=True)
    if save is not None:
        wrote(save)


def wrote(path) -> None:
    """The line on stderr that names a figure written."""
    terminal.stderr().line(f"wrote {path}", style="dim")


def _spread(items, n: int):
    """At most n items, evenly spaced, the first and the last included."""
    if len(items) <= n:
        return items
    picks = sorted({round(i * (len(items) - 1) / (n - 1)) for i in range(n)})
    return [items[i] for i in picks]


def _unit_share(x: float) -> str:
    """A fraction of units: "0" when none, else a percentage."""
    if math.isnan(x):
        return "nan"
    return "0" if x == 0 else f"{100 * x:.1f}%"


def depth_figure(flows):
    fig, ax = files.new_figure(figsize=(7, 4.5))
    for f in flows:
        ax.semilogy([l.layer for l in f.layers], [l.grad_norm for l in f.layers], marker="o",
                    label=f"{with_params(f.activation, f.params)} ({f.init}): {f.verdict}")
    f0 = flows[0]
    ax.set_xlabel("hidden layer (1 = input side)")
    ax.set_ylabel("|dL/dW| (Frobenius)")
    ax.set_title(f"Gradient norm per layer: {f0.depth} layers of {f0.width}, batch {f0.batch}, {f0.dtype}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    return fig


# --- cost -----------------------------------------------------------------------------------

_METHODS = (("reverse", "reverse (jax.grad)"), ("forward", "forward (a jax.jvp per parameter)"),
            ("finite_diff", "finite differences"))
_PASS = (("loss", "one forward pass"),)


@contextlib.contextmanager
def cost_progress():
    """The progress bar of --cost on stderr; yields the core's ``progress(message)`` callback."""
    with terminal.progress("grad --cost") as bar:
        yield None if bar is None else (lambda message: bar.update(info=message))


def cost(result, *, backend: str, as_json: bool = False, chart: bool = True, save=None) -> None:
    """The timing table, the fitted growth exponents, what they say, and a log-log chart."""
    if save is not None:
        files.save_figure(cost_figure(result), save)
    if as_json:
        terminal.print_json({"backend": backend, **_cost_dict(result)})
        return
    screen = terminal.stdout()
    table = terminal.Table(f"one full gradient, {result.activation} MLP {result.n_in} -> {result.depth} x width "
                           f"-> 1, batch {result.batch}, {result.dtype}, best of {result.repeats}",
                           caption="1 pass: the loss alone (one forward pass); rev/pass, FD/pass: time over "
                                   "one pass; FD error: largest difference from reverse mode, relative")
    table.column("width", align="right", key=True)
    table.column("P", align="right", key=True)
    for col in ("1 pass", "reverse", "forward", "finite diff"):
        table.column(col, align="right")
    for col in ("rev/pass", "fwd/pass", "FD/pass", "FD/rev", "FD error"):
        table.column(col, align="right", secondary=True)
    for r in result.rows:
        table.row(str(r.width), f"{r.n_params:,}", _seconds(r.loss_s),
                  *(_seconds(getattr(r, f"{m}_s")) for m, _ in _METHODS),
                  _times(r.reverse_s / r.loss_s), _times(r.forward_s / r.loss_s),
                  _times(r.finite_diff_s / r.loss_s), _times(r.finite_diff_s / r.reverse_s),
                  fmt(r.finite_diff_error, 2))
    screen.table(table)
    screen.blank()
    screen.note("Reverse mode (backpropagation) reuses each layer's intermediate results: one gradient "
                "costs a few forward passes whatever P is (the notes' N + P). Forward mode here is one "
                "jax.jvp per parameter and finite differences two forward passes per parameter: a pass "
                "per parameter (the notes' N x P), so their time over reverse mode should grow like P.")
    if result.exponents:
        e = result.exponents
        screen.line("measured over the three largest P, time ~ P^k: " + ", ".join(
            f"{label} k = {e[m]:.2f}" for m, label in _PASS + _METHODS if m in e))
        screen.line(_cost_verdict(result))
    if result.skipped:
        screen.line(f"skipped: {'; '.join(result.skipped)}", style="warn")
    if chart:
        xs = [r.n_params for r in result.rows]
        series = [(label, xs, [getattr(r, f"{m}_s") for r in result.rows]) for m, label in _PASS + _METHODS]
        screen.chart(series, title="seconds per gradient against the parameter count P, log-log",
                     xlabel="P (parameters)", ylabel="seconds", xlog=True, ylog=True)
    if save is not None:
        wrote(save)


def _cost_verdict(result) -> str:
    """What the measured growth says about N + P against N x P."""
    e = result.exponents
    if "reverse" not in e or "finite_diff" not in e:
        return "too few sizes were timed to say how the costs grow"
    gap = e["finite_diff"] - e["reverse"]
    if gap >= 0.5:
        return (f"finite differences over reverse mode grow like P^{gap:.2f} here: the per-parameter "
                "methods pull away from backpropagation as P grows, as the notes say")
    return (f"finite differences over reverse mode grow like P^{gap:.2f} only: at these sizes fixed "
            "costs per step still hide the difference; time larger networks (--widths 64,128,256)")


def _cost_dict(result) -> dict:
    d = terminal.jsonable(result)
    for row in d["rows"]:
        loss = row["loss_s"]
        for m, _ in _METHODS:
            s = row[f"{m}_s"]
            row[f"{m}_passes"] = s / loss if isinstance(s, float) and isinstance(loss, float) and loss > 0 else "nan"
    return d


def _seconds(s: float) -> str:
    if not math.isfinite(s):
        return "skipped"
    if s < 1e-3:
        return f"{s * 1e6:.3g} us"
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    return f"{s:.3g} s"


def _times(x: float) -> str:
    if not math.isfinite(x):
        return "-"
    return f"x{x:.3g}" if x < 100 else f"x{x:,.0f}"


def cost_figure(result):
    fig, ax = files.new_figure(figsize=(7, 4.5))
    xs = [r.n_params for r in result.rows]
    for m, label in _PASS + _METHODS:
        k = result.exponents.get(m)
        ax.loglog(xs, [getattr(r, f"{m}_s") for r in result.rows], marker="o",
                  label=f"{label}" + (f" (~P^{k:.2f})" if k is not None else ""))
    # One labelled tick per size measured: log axes otherwise label their
    # minor ticks too when P spans less than two decades, and they overlap.
    ax.set_xticks(xs, labels=[f"{p:,}" for p in xs])
    ax.minorticks_off()
    ax.set_xlabel("parameters P")
    ax.set_ylabel("seconds per gradient")
    ax.set_title(f"Cost of one gradient: {result.activation} MLP, batch {result.batch}, {result.dtype}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    return fig
