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


class _Notes:
    """Footnotes of a table: each text once, numbered in order of first use."""

    def __init__(self):
        self.texts: list[str] = []

    def mark(self, cell, text: str):
        if not text:
            return cell
        if text not in self.texts:
            self.texts.append(text)
        return terminal.join(cell, paint(f" ({self.texts.index(text) + 1})", "dim"))

    def show(self, screen) -> None:
        for i, text in enumerate(self.texts, 1):
            screen.line(paint(f"({i})", "dim"), f" {text}")


def table(result, *, temperatures=None, curve=(), as_json: bool = False) -> None:
    """The naive vs fused table, its notes, and a one-line verdict (and, with
    ``temperatures``, softmax at those temperatures)."""
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
    t = terminal.Table(title)
    t.column("dtype", key=True)
    t.column("method", key=True)
    if result.binary:
        t.column("logit", align="right", key=True)
    t.column("loss", align="right")
    t.column("exact", align="right")
    t.column("rel. error", align="right")
    t.column("d loss/dx" if result.binary else f"d loss/dx{_subscript(result.label)}", align="right",
             secondary=True)
    t.column("grad error", align="right", secondary=True)
    t.column("ok")
    notes = _Notes()
    previous = None
    digits = 6 if result.binary else 8
    for c in result.cases:
        bad = c.ok is False
        rel_bad = bad and not (c.relative_error <= c.tolerance)
        grad_bad = bad and not (c.gradient_finite and c.gradient_error <= c.tolerance)
        if c.dtype != previous:
            t.section()
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
            notes.mark(_mark(c.ok), c.note),
        ]
        previous = c.dtype
        t.row(*row)
    screen.table(t)
    notes.show(screen)
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
        screen.blank()
        temperature_view(temperatures, curve=curve, screen=screen)


def temperature_view(rows, *, curve=(), logits=None, label=None, backend="", as_json: bool = False,
                     screen=None) -> None:
    """softmax(x / T) for each T: a row of probabilities and the entropy, and a
    chart of each probability against T (``curve``: rows on a finer grid of T)."""
    if as_json:
        terminal.print_json({"logits": list(logits), "label": label, "backend": backend,
                             "temperatures": terminal.jsonable(rows)})
        return
    screen = screen or terminal.stdout()
    classes = len(rows[0].probabilities)
    t = terminal.Table("softmax(x / T) in float64: the probability of each class")
    t.column("T", align="right", key=True)
    for k in range(classes):
        t.column(f"p{_subscript(k)}", align="right")
    t.column("entropy", align="right")
    t.column("x / T", secondary=True)
    for r in rows:
        t.row(fmt(r.temperature), *(fmt(p, 4) for p in r.probabilities), fmt(r.entropy, 4),
              _vector_text(r.scaled_logits))
    screen.table(t)
    screen.note(f"entropy in nats: 0 for one sure class, log({classes}) = {math.log(classes):.4g} for "
                "uniform. T < 1 sharpens (towards one-hot at the largest logit); T > 1 flattens (towards "
                "uniform). Dividing by a small T multiplies the logits: the naive form then overflows at "
                "a T times smaller scale; the fused form does not care.")
    if len(curve) > 1:
        ts = [r.temperature for r in curve]
        series = [(f"p{_subscript(k)}", ts, [r.probabilities[k] for r in curve]) for k in range(classes)]
        screen.chart(series, title="probability of each class against the temperature T (log scale)",
                     xlabel="T", ylabel="p", xlog=True, height=14)


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
        if scan is not None:
            screen.blank()
        _roundoff(screen, roundoff)


def _scan(screen, scan, chart: bool) -> None:
    what = (f"binary cross-entropy at logits S, 0, -S, target {fmt(scan.target)}" if scan.binary
            else f"cross-entropy of [S, 0, -S], label {scan.label}")
    t = terminal.Table(f"scan: {what}, S from {fmt(scan.scales[0])} to {fmt(scan.scales[-1])} "
                       f"({len(scan.scales)} scales)")
    t.column("dtype", key=True)
    t.column("method", key=True)
    t.column("breaks at S", align="right")
    t.column("log(max float)", align="right")
    t.column("-log(smallest normal)", align="right")
    t.column("worst rel. error", align="right")
    notes = _Notes()
    previous = None
    for s in scan.series:
        finite_errors = [e for e in s.relative_error if not math.isnan(e)]
        worst = max(finite_errors, default=math.nan)
        cell = (paint(f"{fmt(s.first_broken, 5)} ✗", "bold bad") if s.first_broken is not None
                else paint("never ✓", "good"))
        if s.dtype != previous:
            t.section()
        t.row(s.dtype if s.dtype != previous else "", s.method, notes.mark(cell, s.note),
              f"{s.overflow_threshold:.4g}", f"{s.underflow_threshold:.4g}", fmt(worst, 2))
        previous = s.dtype
    screen.table(t)
    notes.show(screen)
    limits = ", ".join(f"{s.dtype} {fmt(s.tolerance, 2)}" for s in scan.series if s.method == "fused")
    screen.note(f"broken = not finite, or relative error above {limits}. backend: {scan.backend}")
    _verdict(screen, scan.verdict, "bad" if scan.verdict.startswith("fused broke") else "good")
    if chart:
        floor = 1e-17
        series = [(f"{s.dtype} {s.method}", scan.scales,
                   [min(1.0, max(e, floor)) if not math.isnan(e) else math.nan for e in s.relative_error])
                  for s in scan.series]
        screen.chart(series, title="relative error against S, log-log (1 = broken or worse, 1e-17 = exact)",
                     xlabel="S", ylabel="rel. error", xlog=True, ylog=True)


def _roundoff(screen, rows) -> None:
    t = terminal.Table("round-off: 0.0002 computed as 2/10000 (direct) and as (1 + 1/10000) - (1 - 1/10000) "
                       "(via 1)")
    t.column("dtype", key=True)
    t.column("computed", key=True)
    t.column("value (17 digits)", align="right")
    t.column("error (ulps)", align="right")
    t.column("rel. error", align="right")
    for r in rows:
        bad = r.via_one_error_ulps > 1
        t.section()
        t.row(r.dtype, "direct", f"{r.direct:.17g}", fmt(r.direct_error_ulps, 3), fmt(r.direct_relative_error, 3))
        t.row("", "via 1", _red_if(f"{r.via_one:.17g}", bad), _red_if(fmt(r.via_one_error_ulps, 5), bad),
              _red_if(fmt(r.via_one_relative_error, 3), bad))
    screen.table(t)
    screen.note("1 ulp = the spacing of the dtype's numbers at 0.0002. Near 1 the spacing is eps (2^-10 in "
                "float16, 2^-52 in float64), thousands of times coarser: each of 1 + 1/10000 and 1 - 1/10000 "
                "is rounded to it, and their difference keeps that error. In float16 and bfloat16 both round "
                "to 1 and the difference is 0.")
