"""Rendering of ``list`` and ``plot``."""

from __future__ import annotations

import math

import click

from actlab.render import fmt, line_chart, new_figure, print_json, save_figure, stdout_console


def _range_text(lo, hi, open_ends=(True, True)):
    left = "(" if open_ends[0] or math.isinf(lo) else "["
    right = ")" if open_ends[1] or math.isinf(hi) else "]"
    return f"{left}{fmt(lo, 5)}, {fmt(hi, 5)}{right}"


def _activation_json(act):
    return {"name": act.name, "formula": act.formula, "params": dict(act.params), "source": act.source,
            **act.facts()}


def print_list(acts, *, as_json=False):
    if as_json:
        print_json({"activations": [_activation_json(a) for a in acts]})
        return
    from rich.table import Table

    table = Table(title="actlab activations", show_lines=False)
    for col in ("name", "formula", "range", "zero-centred", "monotonic", "saturates", "max |f'|", "typical use", "source"):
        table.add_column(col, overflow="fold")
    for a in acts:
        name = a.name + "".join(f" {k}={v:g}" for k, v in a.params.items())
        table.add_row(name, a.formula, _range_text(*a.output_range, a.open_ends), "yes" if a.zero_centred else "no",
                      "yes" if a.monotonic else "no", a.saturates, a.max_slope,
                      ", ".join(a.uses), a.source)
    console = stdout_console()
    console.print(table)
    console.print("Details of one: actlab plot NAME --derivative. Parameters: --param KEY=VALUE.")


def _label(curve):
    params = ",".join(f"{k}={v:g}" for k, v in curve.params.items())
    return f"{curve.name}({params})" if params else curve.name


def print_plot(curves, *, derivative, dtype, backend, as_json=False):
    if as_json:
        series = []
        for c in curves:
            series.append({"name": _label(c), "kind": "value", "y": c.y})
            if derivative:
                series.append({"name": _label(c), "kind": "derivative", "y": c.dy})
        print_json({"x": curves[0].x, "series": series, "dtype": dtype, "backend": backend,
                    "facts": [{"name": _label(c), **c.facts._asdict()} for c in curves]})
        return
    series = []
    for c in curves:
        series.append((_label(c), c.x, c.y))
        if derivative:
            series.append((f"{_label(c)}'", c.x, c.dy))
    what = " and derivatives" if derivative and len(curves) > 1 else " and derivative" if derivative else ""
    click.echo(line_chart(series, title=", ".join(_label(c) for c in curves) + what, xlabel="x"))
    print_facts(curves)


def print_facts(curves):
    from rich.table import Table

    table = Table(title="facts on the plotted range")
    for col in ("activation", "output range", "f(0)", "f'(0)", "max |f'|", "saturates (|f'| < 1e-3) on"):
        table.add_column(col, overflow="fold")
    for c in curves:
        f = c.facts
        a, b = f.max_slope_at
        where = f"x = {fmt(a, 4)}" if a == b else f"x in [{fmt(a, 4)}, {fmt(b, 4)}]"
        sat = ", ".join(f"[{fmt(lo, 4)}, {fmt(hi, 4)}]" for lo, hi in f.saturated) or "nowhere"
        table.add_row(_label(c), _range_text(*f.output_range, f.open_ends), fmt(f.value_at_0), fmt(f.derivative_at_0),
                      f"{fmt(f.max_slope, 5)} at {where}", sat)
    stdout_console().print(table)


def save_plot(curves, *, derivative, path):
    fig, ax = new_figure(figsize=(7, 4.5))
    for c in curves:
        (line,) = ax.plot(c.x, c.y, label=_label(c))
        if derivative:
            ax.plot(c.x, c.dy, "--", color=line.get_color(), label=f"{_label(c)}'")
    ax.axhline(0, color="0.7", lw=0.8)
    ax.axvline(0, color="0.7", lw=0.8)
    ax.set_xlabel("x")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(", ".join(_label(c) for c in curves) + (" and derivatives" if derivative else ""))
    save_figure(fig, path)
