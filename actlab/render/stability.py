"""Rendering for ``actlab stability``: the naive-vs-fused table, the scan, round-off.
Depends only on the result types of ``actlab.lab.stability``."""

from __future__ import annotations

import math
import re
import sys

from actlab.render import color_enabled, fmt, jsonable, line_chart, print_json, stdout_console

OK, BROKEN, NA = "[green]✓[/green]", "[bold red]✗[/bold red]", "[dim]–[/dim]"


def _mark(ok) -> str:
    return NA if ok is None else (OK if ok else BROKEN)


def _red_if(text: str, bad: bool) -> str:
    return f"[bold red]{text}[/bold red]" if bad else text


def _subscript(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _logits_text(values) -> str:
    return "[" + ", ".join(fmt(v, 6) for v in values) + "]"


# --- the table ------------------------------------------------------------------------


def table(result, *, temperatures=None, as_json: bool = False) -> None:
    """The naive vs fused table, its notes, and a one-line verdict."""
    if as_json:
        obj = jsonable(result)
        if temperatures is not None:
            obj["temperatures"] = jsonable(temperatures)
        print_json(obj)
        return
    from rich import box
    from rich.table import Table

    console = stdout_console()
    if result.binary:
        title = (f"binary cross-entropy, logits {_logits_text(result.logits)}, target {fmt(result.target)}: "
                 "sigmoid then log (naive) vs from logits (fused)")
    else:
        title = (f"cross-entropy, logits {_logits_text(result.logits)}, label {result.label}"
                 + (f", temperature {fmt(result.temperature)}" if result.temperature != 1 else "")
                 + ": softmax then log (naive) vs from logits (fused)")
    t = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", padding=(0, 1), collapse_padding=True)
    t.add_column("dtype", no_wrap=True, min_width=8)
    t.add_column("method", no_wrap=True)
    if result.binary:
        t.add_column("logit", justify="right")
    t.add_column("loss", justify="right", min_width=12)
    t.add_column("exact", justify="right", min_width=12)
    t.add_column("rel. error", justify="right", no_wrap=True)
    t.add_column("d loss/dx" if result.binary else f"d loss/dx{_subscript(result.label)}", justify="right",
                 min_width=11)
    t.add_column("grad error", justify="right", no_wrap=True)
    t.add_column("ok", justify="left", no_wrap=True, min_width=6)
    notes = []
    previous = None
    digits = 6 if result.binary else 8
    for c in result.cases:
        bad = c.ok is False
        rel_bad = bad and not (c.relative_error <= c.tolerance)
        grad_bad = bad and not (c.gradient_finite and c.gradient_error <= c.tolerance)
        marker = ""
        if c.note:
            if c.note not in notes:
                notes.append(c.note)
            marker = f" [dim]({notes.index(c.note) + 1})[/dim]"
        row = [c.dtype if c.dtype != previous else "", c.method]
        if result.binary:
            row.append(fmt(c.logit, 5))
        grad = fmt(c.gradient[0 if result.binary else result.label], 5)
        row += [
            _red_if(fmt(c.loss, digits), bad and (not c.finite or rel_bad)),
            fmt(c.reference, digits),
            _red_if(fmt(c.relative_error, 2), rel_bad),
            _red_if(grad, grad_bad),
            _red_if(fmt(c.gradient_error, 2), grad_bad),
            _mark(c.ok) + marker,
        ]
        if c.dtype != previous and previous is not None:
            t.add_section()
        previous = c.dtype
        t.add_row(*row)
    console.print(t)
    for i, note in enumerate(notes, 1):
        console.print(f"  [dim]({i})[/dim] {note}")
    if result.probabilities is not None:
        console.print(f"softmax (float64): {_logits_text(result.probabilities)}")
    tol = ", ".join(f"{c.dtype} {fmt(c.tolerance, 2)}" for c in result.cases if c.method == "fused"
                    and (not result.binary or c.logit == result.logits[0]))
    if not result.binary:
        console.print(f"[dim]gradient = softmax - onehot; grad error = its largest absolute error over all "
                      f"{len(result.logits)} entries[/dim]")
    console.print(f"[dim]ok = finite, loss and gradient within 8 eps of the exact value ({tol}); "
                  f"the exact value is for the logits as stored in each dtype. backend: {result.backend}[/dim]")
    style = "red" if result.verdict.startswith("fused broke") else ("yellow" if "naive broke" in result.verdict else "green")
    console.print(f"[bold {style}]verdict:[/bold {style}] {result.verdict}")
    if temperatures is not None:
        _temperature_table(console, temperatures)


def _temperature_table(console, rows) -> None:
    from rich import box
    from rich.table import Table

    classes = len(rows[0].probabilities)
    t = Table(title="softmax(x / T) in float64", box=box.SIMPLE_HEAD, title_justify="left")
    t.add_column("T", justify="right")
    t.add_column("x / T")
    t.add_column("probabilities")
    t.add_column("entropy (nats)", justify="right")
    for r in rows:
        t.add_row(fmt(r.temperature), _logits_text(r.scaled_logits), _logits_text(r.probabilities), fmt(r.entropy, 4))
    console.print(t)
    console.print(f"[dim]T < 1 sharpens (entropy towards 0, one-hot at the max); T > 1 flattens (towards "
                  f"log({classes}) = {math.log(classes):.4g}, uniform). Dividing by a small T multiplies the "
                  "logits: the naive form then overflows at a T times smaller scale; the fused form does not care.[/dim]")


# --- scan and round-off -----------------------------------------------------------------


def sections(scan, roundoff, *, backend: str, as_json: bool = False, chart: bool = True) -> None:
    """--scan and/or --roundoff, as one JSON object or as tables (and the chart)."""
    if as_json:
        obj = {"backend": backend}
        if scan is not None:
            obj["scan"] = jsonable(scan)
        if roundoff is not None:
            obj["roundoff"] = jsonable(roundoff)
        print_json(obj)
        return
    console = stdout_console()
    if scan is not None:
        _scan(console, scan, chart)
    if roundoff is not None:
        _roundoff(console, roundoff)


def _scan(console, scan, chart: bool) -> None:
    from rich import box
    from rich.table import Table

    from actlab.lab.stability import scan_tolerance

    what = (f"binary cross-entropy at logits S, 0, -S, target {fmt(scan.target)}" if scan.binary
            else f"cross-entropy of [S, 0, -S], label {scan.label}")
    t = Table(title=f"scan: {what}, S from {fmt(scan.scales[0])} to {fmt(scan.scales[-1])} ({len(scan.scales)} scales)",
              box=box.SIMPLE_HEAD, title_justify="left")
    t.add_column("dtype")
    t.add_column("method")
    t.add_column("breaks at S", justify="right")
    t.add_column("log(max float)", justify="right")
    t.add_column("-log(smallest normal)", justify="right")
    t.add_column("worst rel. error", justify="right")
    t.add_column("why")
    previous = None
    for s in scan.series:
        finite_errors = [e for e in s.relative_error if not math.isnan(e)]
        worst = max(finite_errors, default=math.nan)
        broke = s.first_broken is not None
        cell = f"[bold red]{fmt(s.first_broken, 5)} ✗[/bold red]" if broke else "[green]never ✓[/green]"
        if s.dtype != previous and previous is not None:
            t.add_section()
        t.add_row(s.dtype if s.dtype != previous else "", s.method, cell, f"{s.overflow_threshold:.4g}",
                  f"{s.underflow_threshold:.4g}", fmt(worst, 2), s.note)
        previous = s.dtype
    console.print(t)
    limits = ", ".join(f"{d} {fmt(scan_tolerance(d), 2)}" for d in dict.fromkeys(s.dtype for s in scan.series))
    console.print(f"[dim]broken = not finite, or relative error above {limits}. "
                  f"backend: {scan.backend}[/dim]")
    style = "red" if scan.verdict.startswith("fused broke") else "green"
    console.print(f"[bold {style}]verdict:[/bold {style}] {scan.verdict}")
    if chart:
        floor = 1e-17
        series = []
        for s in scan.series:
            ys = [math.log10(min(1.0, max(e, floor))) if not math.isnan(e) else math.nan for e in s.relative_error]
            series.append((f"{s.dtype} {s.method}", scan.scales, ys))
        text = line_chart(series, title="log10 relative error vs S (0 = broken or worse, -17 = exact)",
                          xlabel="S (log scale)", ylabel="log10 rel. error", xlog=True)
        if not color_enabled():  # plotext leaves reset codes even in its colourless theme
            text = re.sub(r"\x1b\[[0-9;]*m", "", text)
        sys.stdout.write(text.rstrip("\n") + "\n")
        sys.stdout.flush()


def _roundoff(console, rows) -> None:
    from rich import box
    from rich.table import Table

    t = Table(title="round-off: 2/10000 computed directly and as (1 + 1/10000) - (1 - 1/10000); both are 0.0002",
              box=box.SIMPLE_HEAD, title_justify="left")
    t.add_column("dtype")
    t.add_column("2/10000", justify="right")
    t.add_column("error (ulps)", justify="right")
    t.add_column("(1 + 1/10000) - (1 - 1/10000)", justify="right")
    t.add_column("error (ulps)", justify="right")
    t.add_column("rel. error", justify="right")
    for r in rows:
        bad = r.via_one_error_ulps > 1
        t.add_row(r.dtype, f"{r.direct:.17g}", fmt(r.direct_error_ulps, 3), _red_if(f"{r.via_one:.17g}", bad),
                  _red_if(fmt(r.via_one_error_ulps, 5), bad), _red_if(fmt(r.via_one_relative_error, 3), bad))
    console.print(t)
    console.print("[dim]1 ulp = the spacing of the dtype's numbers at 0.0002. Near 1 the spacing is eps (2^-10 in "
                  "float16, 2^-52 in float64), thousands of times coarser: each of 1 + 1/10000 and 1 - 1/10000 "
                  "is rounded to it, and their difference keeps that error. In float16 and bfloat16 both round "
                  "to 1 and the difference is 0.[/dim]")
