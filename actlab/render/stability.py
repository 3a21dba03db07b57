"""What ``actlab stability`` shows: the naive-vs-fused table, the scan, round-off.
Reads only the result types of the stability experiments."""

from __future__ import annotations

import math

from actlab.render import terminal
from actlab.render.terminal import fmt, paint


def _mark(ok):
    if ok is None:
        return paint("–", "dim")
    return paint("✓", "good") if ok else paint("✗", "bold bad")


def _red_if(text: str, bad: bool):
    return paint(text, "bold bad") if bad else text


def _subscript(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _vector_text(values) -> str:
    return "[" + ", ".join(fmt(v, 6) for v in values) + "]"


def _verdict(screen, verdict: str, style: str) -> None:
    screen.line(paint("verdict:", f"bold {style}"), f" {verdict}")


# --- the table ------------------------------------------------------------------------


def table(result, *, temperatures=None, as_json: bool = False) -> None:
    """The naive vs fused table, its notes, and a one-line verdict."""
    if as_json:
        obj = terminal.jsonable(result)
        if temperatures is not None:
            obj["temperatures"] = terminal.jsonable(temperatures)
        terminal.print_json(obj)
        return
    screen = terminal.stdout()
    if result.binary:
        title = (f"binary cross-entropy, logits {_vector_text(result.logits)}, target {fmt(result.target)}: "
                 "sigmoid then log (naive) vs from logits (fused)")
    else:
        title = (f"cross-entropy, logits {_vector_text(result.logits)}, label {result.label}"
                 + (f", temperature {fmt(result.temperature)}" if result.temperature != 1 else "")
                 + ": softmax then log (naive) vs from logits (fused)")
    t = terminal.Table(title, collapse=True)
    t.column("dtype", wrap=False, min_width=8)
    t.column("method", wrap=False)
    if result.binary:
        t.column("logit", align="right")
    t.column("loss", align="right", min_width=12)
    t.column("exact", align="right", min_width=12)
    t.column("rel. error", align="right", wrap=False)
    t.column("d loss/dx" if result.binary else f"d loss/dx{_subscript(result.label)}", align="right",
             min_width=11)
    t.column("grad error", align="right", wrap=False)
    t.column("ok", wrap=False, min_width=6)
    notes = []
    previous = None
    digits = 6 if result.binary else 8
    for c in result.cases:
        bad = c.ok is False
        rel_bad = bad and not (c.relative_error <= c.tolerance)
        grad_bad = bad and not (c.gradient_finite and c.gradient_error <= c.tolerance)
        mark = _mark(c.ok)
        if c.note:
            if c.note not in notes:
                notes.append(c.note)
            mark = terminal.join(mark, paint(f" ({notes.index(c.note) + 1})", "dim"))
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
            mark,
        ]
        if c.dtype != previous:
            t.section()
        previous = c.dtype
        t.row(*row)
    screen.table(t)
    for i, note in enumerate(notes, 1):
        screen.line("  ", paint(f"({i})", "dim"), f" {note}")
    if result.probabilities is not None:
        screen.line(f"softmax (float64): {_vector_text(result.probabilities)}")
    tol = ", ".join(f"{c.dtype} {fmt(c.tolerance, 2)}" for c in result.cases if c.method == "fused"
                    and (not result.binary or c.logit == result.logits[0]))
    if not result.binary:
        screen.note(f"gradient = softmax - onehot; grad error = its largest absolute error over all "
                    f"{len(result.logits)} entries")
    screen.note(f"ok = finite, loss and gradient within 8 eps of the exact value ({tol}); "
                f"the exact value is for the logits as stored in each dtype. backend: {result.backend}")
    _verdict(screen, result.verdict, "bad" if result.verdict.startswith("fused broke")
             else ("warn" if "naive broke" in result.verdict else "good"))
    if temperatures is not None:
        _temperature_table(screen, temperatures)


def _temperature_table(screen, rows) -> None:
    classes = len(rows[0].probabilities)
    t = terminal.Table("softmax(x / T) in float64")
    t.column("T", align="right")
    t.column("x / T")
    t.column("probabilities")
    t.column("entropy (nats)", align="right")
    for r in rows:
        t.row(fmt(r.temperature), _vector_text(r.scaled_logits), _vector_text(r.probabilities), fmt(r.entropy, 4))
    screen.table(t)
    screen.note(f"T < 1 sharpens (entropy towards 0, one-hot at the max); T > 1 flattens (towards "
                f"log({classes}) = {math.log(classes):.4g}, uniform). Dividing by a small T multiplies the "
                "logits: the naive form then overflows at a T times smaller scale; the fused form does not care.")


# --- scan and round-off -----------------------------------------------------------------


def sections(scan, roundoff, *, backend: str, as_json: bool = False, chart: bool = True) -> None:
    """--scan and/or --roundoff, as one JSON object or as tables (and the chart)."""
    if as_json:
        obj = {"backend": backend}
        if scan is not None:
            obj["scan"] = terminal.jsonable(scan)
        if roundoff is not None:
            obj["roundoff"] = terminal.jsonable(roundoff)
        terminal.print_json(obj)
        return
    screen = terminal.stdout()
    if scan is not None:
        _scan(screen, scan, chart)
    if roundoff is not None:
        _roundoff(screen, roundoff)


def _scan(screen, scan, chart: bool) -> None:
    what = (f"binary cross-entropy at logits S, 0, -S, target {fmt(scan.target)}" if scan.binary
            else f"cross-entropy of [S, 0, -S], label {scan.label}")
    t = terminal.Table(f"scan: {what}, S from {fmt(scan.scales[0])} to {fmt(scan.scales[-1])} "
                       f"({len(scan.scales)} scales)")
    t.column("dtype")
    t.column("method")
    t.column("breaks at S", align="right")
    t.column("log(max float)", align="right")
    t.column("-log(smallest normal)", align="right")
    t.column("worst rel. error", align="right")
    t.column("why")
    previous = None
    for s in scan.series:
        finite_errors = [e for e in s.relative_error if not math.isnan(e)]
        worst = max(finite_errors, default=math.nan)
        cell = (paint(f"{fmt(s.first_broken, 5)} ✗", "bold bad") if s.first_broken is not None
                else paint("never ✓", "good"))
        if s.dtype != previous:
            t.section()
        t.row(s.dtype if s.dtype != previous else "", s.method, cell, f"{s.overflow_threshold:.4g}",
              f"{s.underflow_threshold:.4g}", fmt(worst, 2), s.note)
        previous = s.dtype
    screen.table(t)
    limits = ", ".join(f"{s.dtype} {fmt(s.tolerance, 2)}" for s in scan.series if s.method == "fused")
    screen.note(f"broken = not finite, or relative error above {limits}. backend: {scan.backend}")
    _verdict(screen, scan.verdict, "bad" if scan.verdict.startswith("fused broke") else "good")
    if chart:
        floor = 1e-17
        series = []
        for s in scan.series:
            ys = [math.log10(min(1.0, max(e, floor))) if not math.isnan(e) else math.nan for e in s.relative_error]
            series.append((f"{s.dtype} {s.method}", scan.scales, ys))
        screen.chart(terminal.line_chart(series, title="log10 relative error vs S (0 = broken or worse, -17 = exact)",
                                         xlabel="S (log scale)", ylabel="log10 rel. error", xlog=True))


def _roundoff(screen, rows) -> None:
    t = terminal.Table("round-off: 2/10000 computed directly and as (1 + 1/10000) - (1 - 1/10000); both are 0.0002")
    t.column("dtype")
    t.column("2/10000", align="right")
    t.column("error (ulps)", align="right")
    t.column("(1 + 1/10000) - (1 - 1/10000)", align="right")
    t.column("error (ulps)", align="right")
    t.column("rel. error", align="right")
    for r in rows:
        bad = r.via_one_error_ulps > 1
        t.row(r.dtype, f"{r.direct:.17g}", fmt(r.direct_error_ulps, 3), _red_if(f"{r.via_one:.17g}", bad),
              _red_if(fmt(r.via_one_error_ulps, 5), bad), _red_if(fmt(r.via_one_relative_error, 3), bad))
    screen.table(t)
    screen.note("1 ulp = the spacing of the dtype's numbers at 0.0002. Near 1 the spacing is eps (2^-10 in "
                "float16, 2^-52 in float64), thousands of times coarser: each of 1 + 1/10000 and 1 - 1/10000 "
                "is rounded to it, and their difference keeps that error. In float16 and bfloat16 both round "
                "to 1 and the difference is 0.")
