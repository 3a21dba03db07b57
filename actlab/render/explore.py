"""What ``actlab list`` and ``actlab plot`` show."""

from __future__ import annotations

import math

from actlab.render import files, terminal
from actlab.render.terminal import fmt, with_params


def _range_text(lo, hi, open_ends=(True, True)):
    left = "(" if open_ends[0] or math.isinf(lo) else "["
    right = ")" if open_ends[1] or math.isinf(hi) else "]"
    return f"{left}{fmt(lo, 5)}, {fmt(hi, 5)}{right}"


SAMPLED_NOTE = "~ estimated by sampling f, not declared (formulas and function plugins)"


def _activation_json(act):
    return {"name": act.name, "formula": act.formula, "params": dict(act.params), "source": act.source,
            **act.facts()}


def print_list(acts, *, as_json=False):
    if as_json:
        terminal.print_json({"activations": [_activation_json(a) for a in acts]})
        return
    table = terminal.Table("actlab activations")
    table.column("name", key=True)
    table.column("formula", wrap=True, secondary=True)
    table.column("range")
    table.column("zero-centred")
    table.column("monotonic")
    table.column("saturates")
    table.column("max |f'|", wrap=True)
    table.column("typical use", wrap=True, secondary=True)
    table.column("source", secondary=True)
    for a in acts:
        mark = "~" if a.sampled else ""
        name = "\n".join([a.name] + [f"{k}={v:g}" for k, v in a.params.items()])
        table.row(name, a.formula, mark + _range_text(*a.output_range, a.open_ends),
                  mark + ("yes" if a.zero_centred else "no"), mark + ("yes" if a.monotonic else "no"),
                  mark + a.saturates, mark + a.max_slope, ", ".join(a.uses), a.source)
    screen = terminal.stdout()
    screen.table(table)
    if any(a.sampled for a in acts):
        screen.note(SAMPLED_NOTE)
    screen.line("Details of one: actlab plot NAME --derivative. Parameters: --param KEY=VALUE.")


def _curve_name(curve):
    return with_params(curve.name, curve.params)


def print_plot(curves, *, derivative, dtype, backend, as_json=False):
    if as_json:
        series = []
        for c in curves:
            series.append({"name": _curve_name(c), "kind": "value", "y": c.y})
            if derivative:
                series.append({"name": _curve_name(c), "kind": "derivative", "y": c.dy})
        terminal.print_json({"x": curves[0].x, "series": series, "dtype": dtype, "backend": backend,
                             "facts": [{"name": _curve_name(c), **c.facts._asdict(), "sampled": c.sampled}
                                       for c in curves]})
        return
    series = []
    for c in curves:
        series.append((_curve_name(c), c.x, c.y))
        if derivative:
            series.append((f"{_curve_name(c)}'", c.x, c.dy))
    screen = terminal.stdout()
    screen.chart(series, title=_plot_title(curves, derivative), xlabel="x", ylabel=_y_label(derivative))
    screen.blank()
    print_facts(screen, curves)


def _plot_title(curves, derivative) -> str:
    what = " and derivatives" if derivative and len(curves) > 1 else " and derivative" if derivative else ""
    return ", ".join(_curve_name(c) for c in curves) + what


def _y_label(derivative) -> str:
    return "f(x) and f'(x)" if derivative else "f(x)"


def print_facts(screen, curves):
    table = terminal.Table("facts on the plotted range")
    table.column("activation", wrap=True, key=True)
    table.column("output range")
    table.column("f(0)", align="right")
    table.column("f'(0)", align="right")
    table.column("max |f'|", align="right")
    table.column("at x")
    table.column("saturates (|f'| < 1e-3) on", wrap=True, secondary=True)
    for c in curves:
        f = c.facts
        a, b = f.max_slope_at
        where = fmt(a, 4) if a == b else f"[{fmt(a, 4)}, {fmt(b, 4)}]"
        sat = ", ".join(f"[{fmt(lo, 4)}, {fmt(hi, 4)}]" for lo, hi in f.saturated) or "nowhere"
        table.row(_curve_name(c), ("~" if c.sampled else "") + _range_text(*f.output_range, f.open_ends),
                  fmt(f.value_at_0), fmt(f.derivative_at_0), fmt(f.max_slope, 5), where, sat)
    screen.table(table)
    if any(c.sampled for c in curves):
        screen.note(SAMPLED_NOTE + "; the other facts are read off the plotted points")


def save_plot(curves, *, derivative, path):
    files.save_figure(plot_figure(curves, derivative=derivative), path)


def plot_figure(curves, *, derivative):
    fig, ax = files.new_figure(figsize=(7, 4.5))
    for c in curves:
        (line,) = ax.plot(c.x, c.y, label=_curve_name(c))
        if derivative:
            ax.plot(c.x, c.dy, "--", color=line.get_color(), label=f"{_curve_name(c)}'")
    ax.axhline(0, color="0.7", lw=0.8)
    ax.axvline(0, color="0.7", lw=0.8)
    ax.set_xlabel("x")
    ax.set_ylabel(_y_label(derivative))
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(_plot_title(curves, derivative))
    return fig


def saved(path) -> None:
    """The line on stderr that names a file written."""
    terminal.stderr().line(f"saved {path}")
