"""Naive vs fused losses across dtypes, against an exact reference.

The experiments behind ``actlab stability``: the loss and its gradient computed
two ways (probabilities first and the log after: ``naive``; from the logits:
``fused``) in float16, bfloat16, float32 and float64, each compared with the
exact value. The reference is computed in decimal arithmetic at 60 digits
(standard library only) for the logits *as stored in each dtype*, so an error
shown is the method's, not the rounding of the input.

    >>> result = compare([100.0, 0.0, -100.0], label=1)
    >>> [(c.dtype, c.method, c.ok) for c in result.cases]
"""

from __future__ import annotations

import dataclasses
import decimal
import functools
import math
from decimal import Decimal

import jax
import jax.numpy as jnp
import numpy as np

from actlab.blocks import losses
from actlab.errors import ActlabError, unknown

__all__ = [
    "DTYPES",
    "StabilityCase",
    "StabilityResult",
    "ScanSeries",
    "ScanResult",
    "RoundoffRow",
    "TemperatureRow",
    "compare",
    "scan",
    "roundoff",
    "temperatures",
    "exact_softmax_cross_entropy",
    "exact_sigmoid_binary_cross_entropy",
    "dtype_facts",
]

DTYPES = ("float16", "bfloat16", "float32", "float64")
METHODS = ("naive", "fused")
SCAN_BREAK = 1e-3  # the scan calls a loss broken when off by more than this (relative) ...


def scan_tolerance(name: str) -> float:
    """... or by more than 2 eps in float16/bfloat16, whose own rounding is that coarse."""
    return max(SCAN_BREAK, 2 * dtype_facts(name)["eps"])

_CTX = decimal.Context(prec=60, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[decimal.InvalidOperation])


# --- result types ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class StabilityCase:
    """One method in one dtype.

    Attributes:
      dtype, method: e.g. "float32", "naive".
      loss: the computed loss (for --binary: at ``logit``).
      reference: the exact loss for the logits as stored in ``dtype``.
      relative_error: |loss - reference| / |reference| (inf for a non-finite
        loss; 0 when both are 0).
      finite: whether the loss is finite.
      gradient: d loss / d logits, as computed.
      gradient_reference: the exact gradient.
      gradient_error: the largest absolute error of the gradient.
      gradient_finite: whether every gradient entry is finite.
      ok: loss and gradient finite and within ``tolerance`` (or both the loss
        and the reference below the dtype's smallest normal number); None
        when the logits themselves do not fit the dtype.
      tolerance: 8 machine epsilons of the dtype.
      logits: the logits as stored in the dtype.
      logit: --binary only: the logit of this row.
      note: why it broke, or what the dtype did to a tiny result.
    """

    dtype: str
    method: str
    loss: float
    reference: float
    relative_error: float
    finite: bool
    gradient: tuple
    gradient_reference: tuple
    gradient_error: float
    gradient_finite: bool
    ok: bool | None
    tolerance: float
    logits: tuple
    logit: float | None = None
    note: str = ""


@dataclasses.dataclass(frozen=True)
class StabilityResult:
    """The table of ``actlab stability``: every dtype x method."""

    logits: tuple
    label: int | None
    target: float | None
    binary: bool
    temperature: float
    cases: tuple
    verdict: str
    backend: str
    probabilities: tuple | None = None  # fused softmax in float64, at the temperature


@dataclasses.dataclass(frozen=True)
class ScanSeries:
    """Relative error against S for one method in one dtype."""

    dtype: str
    method: str
    relative_error: tuple
    first_broken: float | None  # the smallest S that breaks (refined), None if none up to the end
    overflow_threshold: float  # log(max float): exp(S) overflows above it
    underflow_threshold: float  # -log(smallest normal): exp(-S) is subnormal above it
    tolerance: float  # the relative error above which the scan calls the loss broken
    note: str = ""


@dataclasses.dataclass(frozen=True)
class ScanResult:
    scales: tuple
    label: int | None
    target: float | None
    binary: bool
    series: tuple
    verdict: str
    backend: str


@dataclasses.dataclass(frozen=True)
class RoundoffRow:
    """2/10000 computed directly and as (1 + 1/10000) - (1 - 1/10000), in one dtype."""

    dtype: str
    direct: float
    via_one: float
    exact: float
    direct_error_ulps: float
    via_one_error_ulps: float
    direct_relative_error: float
    via_one_relative_error: float
    ulp: float


@dataclasses.dataclass(frozen=True)
class TemperatureRow:
    temperature: float
    probabilities: tuple
    entropy: float  # in nats; log(classes) is uniform
    scaled_logits: tuple


# --- dtypes ---------------------------------------------------------------------------


def _dtype(name: str):
    if name not in DTYPES:
        raise unknown("dtype", name, DTYPES)
    return jnp.dtype(name)


@functools.lru_cache(maxsize=None)
def dtype_facts(name: str) -> dict:
    """Largest finite, smallest normal, epsilon, and the thresholds of exp."""
    fi = jnp.finfo(_dtype(name))
    big, tiny, eps = float(fi.max), float(fi.tiny), float(fi.eps)
    return {
        "max": big,
        "tiny": tiny,
        "eps": eps,
        "overflow_threshold": math.log(big),  # exp(S) = inf above
        "underflow_threshold": -math.log(tiny),  # exp(-S) subnormal (flushed on CPU) above
        "rounds_to_one": math.log(2 / eps),  # 1 + exp(-S) == 1 above
    }


def _stored(values, name: str) -> list[float]:
    """The values as the dtype stores them, back as Python floats."""
    with np.errstate(over="ignore"):
        return [float(v) for v in np.asarray(jnp.asarray(np.asarray(values, np.float64)).astype(name).astype(jnp.float64))]


# --- the exact reference (decimal, 60 digits) --------------------------------------------


def _in_context(fn):
    """Runs fn with 60-digit decimal arithmetic for every operator, not only _CTX calls."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with decimal.localcontext(_CTX):
            return fn(*args, **kwargs)

    return wrapped


def _d(x: float) -> Decimal:
    return Decimal(x)  # exact: every binary float is a finite decimal


def _log1p(s: Decimal) -> Decimal:
    if s < Decimal("1e-25"):  # 1 + s would drop digits of s
        return _CTX.subtract(s, _CTX.divide(_CTX.multiply(s, s), 2))
    return _CTX.ln(_CTX.add(1, s))


@_in_context
def exact_softmax_cross_entropy(logits, label: int):
    """(loss, gradient) of -log softmax(logits)[label], exact to ~60 digits, as Decimals.

    -inf entries are masks. Raises ActlabError for NaN or +inf logits, which
    have no exact value.
    """
    xs = [float(v) for v in logits]
    if any(math.isnan(v) or v == math.inf for v in xs):
        raise ActlabError("the exact reference needs finite logits (-inf masks are allowed)")
    live = [i for i, v in enumerate(xs) if v != -math.inf]
    if not live:
        return Decimal(0), [Decimal(0)] * len(xs)
    m = max(xs[i] for i in live)
    dm = _d(m)
    terms = {i: _CTX.exp(_CTX.subtract(_d(xs[i]), dm)) for i in live}
    k = sum(1 for i in live if xs[i] == m)
    s = Decimal(k - 1)  # sum(exp(x - m)) - 1 without the subtraction
    for i in live:
        if xs[i] < m:
            s = _CTX.add(s, terms[i])
    if xs[label] == -math.inf:
        loss = Decimal("Infinity")
    else:
        loss = _CTX.add(_CTX.subtract(dm, _d(xs[label])), _log1p(s))
    denom = _CTX.add(1, s)
    grad = []
    for i, v in enumerate(xs):
        p = Decimal(0) if v == -math.inf else _CTX.divide(terms[i], denom)
        if i == label:
            p = _CTX.divide(-s, denom) if v == m else _CTX.subtract(p, 1)
        grad.append(p)
    return loss, grad


@_in_context
def exact_sigmoid_binary_cross_entropy(logit: float, target: float):
    """(loss, d loss / d logit) of binary cross-entropy from a logit, exact, as Decimals."""
    if not math.isfinite(logit):
        raise ActlabError("the exact reference needs a finite logit")
    x, y = _d(logit), _d(target)
    e = _CTX.exp(-abs(x))  # in (0, 1]
    soft = _log1p(e)
    sig_neg_abs = _CTX.divide(e, _CTX.add(1, e))
    if x >= 0:
        loss = _CTX.add(_CTX.multiply(1 - y, x), soft)
        grad = _CTX.subtract(1 - y, sig_neg_abs)
    else:
        loss = _CTX.add(_CTX.multiply(-y, x), soft)
        grad = _CTX.subtract(sig_neg_abs, y)
    return loss, grad


@_in_context
def _relative_error(got: float, exact: Decimal) -> float:
    if exact.is_infinite():  # a masked true class: inf is the right answer
        return 0.0 if got == float(exact) else math.inf
    if not math.isfinite(got):
        return math.inf
    diff = abs(_CTX.subtract(_d(got), exact))
    if exact == 0:
        return 0.0 if diff == 0 else math.inf
    return float(_CTX.divide(diff, abs(exact)))


# --- compiled evaluations ------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _softmax_fn(method: str):
    loss = losses.naive_softmax_cross_entropy if method == "naive" else losses.softmax_cross_entropy
    return jax.jit(jax.vmap(jax.value_and_grad(loss), in_axes=(0, None)))


@functools.lru_cache(maxsize=None)
def _binary_fn(method: str):
    loss = losses.naive_sigmoid_binary_cross_entropy if method == "naive" else losses.sigmoid_binary_cross_entropy
    return jax.jit(jax.vmap(jax.value_and_grad(loss), in_axes=(0, None)))


def _evaluate(rows, dtype: str, method: str, *, binary: bool, label: int | None, target: float | None):
    """Loss and gradient for a batch of logit rows (softmax) or logits (binary)."""
    x = jnp.asarray(np.asarray(rows, np.float64)).astype(dtype)
    if binary:
        loss, grad = _binary_fn(method)(x, jnp.asarray(target, dtype))
    else:
        loss, grad = _softmax_fn(method)(x, jnp.asarray(label, jnp.int32))
    return np.asarray(loss.astype(jnp.float64)), np.asarray(grad.astype(jnp.float64))


# --- the table ---------------------------------------------------------------------------------


def _check_logits(logits, label, binary, target):
    logits = [float(v) for v in logits]
    if not logits:
        raise ActlabError("no logits given: pass --logits S or --values 1,0,-1")
    for v in logits:
        if math.isnan(v) or v == math.inf or (binary and not math.isfinite(v)):
            allowed = "finite numbers" if binary else "finite numbers or -inf (a mask)"
            raise ActlabError(f"bad logit {v!r}: expected {allowed}")
    if not binary:
        if not 0 <= label < len(logits):
            raise ActlabError(f"bad --label {label}: expected an integer in [0, {len(logits) - 1}] for {len(logits)} logits")
        if all(v == -math.inf for v in logits):
            raise ActlabError("every logit is -inf: there is no distribution to compare")
    elif not (math.isfinite(target) and 0 <= target <= 1):
        raise ActlabError(f"bad --target {target!r}: expected a number in [0, 1]")
    return logits


def compare(logits, label: int | None = 1, *, binary: bool = False, target: float = 1.0,
            temperature: float = 1.0, dtypes=DTYPES) -> StabilityResult:
    """Naive vs fused loss and gradient in each dtype, against the exact values.

    Args:
      logits: the logits (softmax: one example; --binary: one example per logit).
      label: the true class (softmax).
      binary: compare sigmoid + binary cross-entropy instead.
      target: the binary target y in [0, 1].
      temperature: T > 0; the logits are divided by T in each dtype first.
      dtypes: dtype names.

    Returns:
      A StabilityResult whose cases run dtype by dtype, naive then fused.
    """
    if not (math.isfinite(temperature) and temperature > 0):
        raise ActlabError(f"bad --temperature {temperature!r}: expected a finite number > 0")
    logits = _check_logits(logits, label, binary, target)
    for name in dtypes:
        _dtype(name)
    cases = []
    for name in dtypes:
        facts = dtype_facts(name)
        stored = _stored(logits, name)
        if temperature != 1:  # the division happens in the dtype, as in a model
            scaled = jnp.asarray(np.asarray(stored)).astype(name) / jnp.asarray(temperature, name)
            stored = [float(v) for v in np.asarray(scaled.astype(jnp.float64))]
        fits = all(math.isfinite(v) or (v == -math.inf and lv == -math.inf) for v, lv in zip(stored, logits))
        y = None if not binary else _stored([target], name)[0]
        for method in METHODS:
            if binary:
                cases.extend(_binary_cases(stored, logits, y, name, method, facts, fits))
            else:
                cases.append(_softmax_case(stored, label, name, method, facts, fits))
    cases = tuple(cases)
    probs = None
    if not binary:
        x = jnp.asarray(np.asarray(logits, np.float64)) / temperature
        probs = tuple(float(p) for p in np.asarray(losses.softmax(x)))
    return StabilityResult(
        logits=tuple(logits), label=None if binary else label, target=target if binary else None, binary=binary,
        temperature=temperature, cases=cases, verdict=_verdict(cases), backend=jax.default_backend(),
        probabilities=probs,
    )


def _softmax_case(stored, label, name, method, facts, fits) -> StabilityCase:
    tol = 8 * facts["eps"]
    loss, grad = _evaluate([stored], name, method, binary=False, label=label, target=None)
    loss, grad = float(loss[0]), tuple(float(g) for g in grad[0])
    if not fits:
        return StabilityCase(name, method, loss, math.nan, math.nan, math.isfinite(loss), grad,
                             tuple(math.nan for _ in grad), math.nan, all(map(math.isfinite, grad)), None, tol,
                             tuple(stored), note=f"the logits do not fit {name} (max {facts['max']:.5g})")
    exact, exact_grad = exact_softmax_cross_entropy(stored, label)
    return _case(name, method, loss, grad, exact, exact_grad, facts, tuple(stored), None)


def _binary_cases(stored, logits, y, name, method, facts, fits):
    out = []
    loss, grad = _evaluate(stored if fits else [0.0] * len(stored), name, method, binary=True, label=None, target=y)
    for i, x in enumerate(stored):
        if not math.isfinite(x):
            out.append(StabilityCase(name, method, math.nan, math.nan, math.nan, False, (math.nan,), (math.nan,),
                                     math.nan, False, None, 8 * facts["eps"], (x,), logit=logits[i],
                                     note=f"the logit does not fit {name} (max {facts['max']:.5g})"))
            continue
        exact, exact_grad = exact_sigmoid_binary_cross_entropy(x, y)
        out.append(_case(name, method, float(loss[i]), (float(grad[i]),), exact, [exact_grad], facts, (x,), logits[i]))
    return out


@_in_context
def _case(name, method, loss, grad, exact, exact_grad, facts, stored, logit) -> StabilityCase:
    tol, tiny = 8 * facts["eps"], facts["tiny"]
    ref = float(exact)
    rel = _relative_error(loss, exact)
    grad_ref = tuple(float(g) for g in exact_grad)
    grad_finite = all(map(math.isfinite, grad))
    grad_err = max((abs(float(_CTX.subtract(_d(g), r))) if math.isfinite(g) else math.inf
                    for g, r in zip(grad, exact_grad)), default=0.0)
    flushed = abs(ref) < tiny and abs(loss) < tiny  # both below the smallest normal: as close as the dtype gets
    loss_ok = (math.isfinite(loss) or loss == ref) and (rel <= tol or flushed)
    ok = bool(loss_ok and grad_finite and grad_err <= tol)
    note = _note(loss, exact, rel, grad_finite, grad_err, tol, facts, method, flushed, stored, logit is not None)
    return StabilityCase(name, method, loss, ref, rel, math.isfinite(loss), grad, grad_ref, grad_err, grad_finite,
                         ok, tol, stored, logit=logit, note=note)


def _note(loss, exact, rel, grad_finite, grad_err, tol, facts, method, flushed, stored, binary) -> str:
    big = max((abs(v) for v in stored if math.isfinite(v)), default=0.0)
    if exact.is_infinite():
        return "the true class is masked out (-inf): the loss is inf" + (
            "" if grad_finite else "; the gradient is NaN (0 times log'(0) = inf)")
    if binary and method == "naive" and not math.isfinite(loss):
        x = stored[0]
        if math.isnan(loss):
            return f"sigmoid({x:.4g}) rounded to {1 if x > 0 else 0}: a weight of 0 times log(0) = -inf is NaN"
        if abs(x) > facts["overflow_threshold"]:
            return f"exp({-x:.4g}) overflows: sigmoid is 1/inf = 0, and log(0) = -inf"
        return "sigmoid rounded to 0 or 1, and its log is -inf"
    if math.isnan(loss):
        if method == "naive" and big > facts["overflow_threshold"]:
            return f"exp({big:.4g}) overflows (> log(max) = {facts['overflow_threshold']:.4g}): inf / inf"
        return "NaN: 0 * log(0) or inf - inf"
    if math.isinf(loss):
        if big > facts["overflow_threshold"]:
            return (f"exp({big:.4g}) overflows (> log(max) = {facts['overflow_threshold']:.4g}): "
                    "a probability of 1/inf = 0, and log(0) = -inf")
        return (f"a probability fell below the smallest normal {facts['tiny']:.3g} and became 0 "
                "(XLA on CPU flushes subnormals to zero): log(0) = -inf")
    if flushed and exact != 0:
        return (f"the exact loss {_sci(exact)} is below the smallest normal {facts['tiny']:.3g}: "
                "0 is the closest this dtype gets (XLA on CPU flushes subnormals to zero)")
    if rel > tol and loss == 0:
        return "the probability rounded to 1, so the small loss became 0"
    if rel > tol:
        return f"off by {rel:.2g} (tolerance {tol:.2g})"
    if not grad_finite:
        return "the gradient is not finite"
    if grad_err > tol:
        return f"the gradient is off by {grad_err:.2g}"
    return ""


@_in_context
def _sci(value: Decimal) -> str:
    """A Decimal in short scientific form, also beyond the float range (5.08e-435)."""
    if value == 0:
        return "0"
    exponent = value.adjusted()
    mantissa = value.scaleb(-exponent, context=_CTX)
    return f"{float(mantissa):.3g}e{exponent:+d}"


def _verdict(cases) -> str:
    def broken(method):
        return [c.dtype for c in cases if c.method == method and c.ok is False]

    naive, fused = sorted(set(broken("naive")), key=DTYPES.index), sorted(set(broken("fused")), key=DTYPES.index)
    if fused:
        return f"fused broke in {', '.join(fused)}: please report this as a bug"
    if naive:
        return (f"naive broke in {', '.join(naive)}; fused is right in every dtype: "
                "give the loss the logits (from_logits=True)")
    return "both methods are right in every dtype here; try larger logits (--logits 100) to see the naive form break"


# --- the scan --------------------------------------------------------------------------------------


def _scan_logits(scale: float) -> list[float]:
    """[S, 0, -S]: one softmax example, or three binary ones."""
    return [scale, 0.0, -scale]


def scan(label: int | None = 1, *, binary: bool = False, target: float = 1.0, start: float = 1.0,
         stop: float = 1e5, points: int = 101, dtypes=DTYPES) -> ScanResult:
    """Relative error of naive and fused losses for logits [S, 0, -S], S log-spaced.

    For each dtype and method, the first S whose loss is non-finite or off by
    more than ``SCAN_BREAK`` is refined by bisection between grid points and
    set beside the theoretical thresholds: log(max float), where exp(S)
    overflows, and -log(smallest normal), where exp(-S) is subnormal (flushed
    to zero on CPU).
    """
    if not (0 < start < stop and math.isfinite(stop)):
        raise ActlabError(f"bad scan range {start!r}..{stop!r}: expected 0 < start < stop")
    if points < 2:
        raise ActlabError(f"bad scan points {points}: expected at least 2")
    if not binary and label not in (0, 1, 2):
        raise ActlabError(f"bad --label {label}: the scan uses logits [S, 0, -S], so the label is 0, 1 or 2")
    if binary and not (math.isfinite(target) and 0 <= target <= 1):
        raise ActlabError(f"bad --target {target!r}: expected a number in [0, 1]")
    scales = tuple(float(s) for s in np.geomspace(start, stop, points))
    series = []
    for name in dtypes:
        facts = dtype_facts(name)
        for method in METHODS:
            errors = _scan_errors(scales, name, method, binary, label, target)
            limit = scan_tolerance(name)
            first = next((i for i, e in enumerate(errors) if e > limit), None)  # nan: S does not fit
            where = None
            if first is not None:
                lo = scales[first - 1] if first > 0 else None
                where = _refine(lo, scales[first], name, method, binary, label, target) if lo else scales[first]
            series.append(ScanSeries(name, method, tuple(errors), where, facts["overflow_threshold"],
                                     facts["underflow_threshold"], limit,
                                     _scan_note(where, facts, method, binary)))
    series = tuple(series)
    fused_broken = [s.dtype for s in series if s.method == "fused" and s.first_broken is not None]
    if fused_broken:
        verdict = f"fused broke in {', '.join(fused_broken)} within the range"
    else:
        firsts = ", ".join(f"{s.dtype} at S = {s.first_broken:.4g}" for s in series
                           if s.method == "naive" and s.first_broken is not None)
        verdict = (f"naive breaks in {firsts}; fused never breaks for S up to {stop:.3g}" if firsts
                   else f"neither method breaks for S up to {stop:.3g}")
    return ScanResult(scales, None if binary else label, target if binary else None, binary, series, verdict,
                      jax.default_backend())


def _scan_errors(scales, name, method, binary, label, target):
    """Relative error per scale (for --binary the worst of the three logits); inf if non-finite,
    nan where S itself does not fit the dtype."""
    facts = dtype_facts(name)
    fits = [s <= facts["max"] for s in scales]
    usable = [s if ok else 0.0 for s, ok in zip(scales, fits)]
    if binary:
        y = _stored([target], name)[0]
        flat = [v for s in usable for v in _scan_logits(s)]
        loss, _ = _evaluate(flat, name, method, binary=True, label=None, target=y)
        loss = loss.reshape(len(usable), 3)
    else:
        loss, _ = _evaluate([_scan_logits(s) for s in usable], name, method, binary=False, label=label, target=None)
    out = []
    for i, s in enumerate(usable):
        if not fits[i]:
            out.append(math.nan)
            continue
        stored = _stored(_scan_logits(s), name)
        if binary:
            errs = [_tolerant_error(float(loss[i][j]), exact_sigmoid_binary_cross_entropy(stored[j], y)[0], facts)
                    for j in range(3)]
            out.append(max(errs))
        else:
            out.append(_tolerant_error(float(loss[i]), exact_softmax_cross_entropy(stored, label)[0], facts))
    return out


@_in_context
def _tolerant_error(loss, exact, facts):
    """Relative error, 0 when both are below the smallest normal (the dtype's best)."""
    if math.isfinite(loss) and abs(loss) < facts["tiny"] and abs(exact) < Decimal(facts["tiny"]):
        return 0.0
    return _relative_error(loss, exact)


def _refine(lo, hi, name, method, binary, label, target, steps=30):
    """Bisection for the first broken S in (lo, hi]; assumes one change inside."""
    for _ in range(steps):
        mid = math.sqrt(lo * hi)
        if mid in (lo, hi):
            break
        err = _scan_errors([mid], name, method, binary, label, target)[0]
        if not err > scan_tolerance(name):
            lo = mid
        else:
            hi = mid
    return hi


def _scan_note(where, facts, method, binary) -> str:
    if where is None:
        return ""
    over, under, one = facts["overflow_threshold"], facts["underflow_threshold"], facts["rounds_to_one"]
    if abs(where - under) <= 0.005 * under:
        return ("1/exp(S) is subnormal: XLA on CPU flushes it to 0"
                if jax.default_backend() == "cpu" else "1/exp(S) is below the smallest normal")
    if abs(where - over) <= 0.02 * over:
        return "exp(S) overflows"
    if where <= 1.05 * one:
        return "p near 1 rounds the small loss away"
    return ""


# --- round-off and temperature ------------------------------------------------------------------


@_in_context
def roundoff(dtypes=DTYPES) -> tuple:
    """2/10000 directly and as (1 + 1/10000) - (1 - 1/10000), computed in each dtype.

    Both are exactly 0.0002. The second goes through numbers near 1, where
    the spacing of floats is eps, so it keeps only about eps / 0.0002 of
    relative accuracy.
    """
    rows = []
    exact = Decimal(2) / Decimal(10000)
    for name in dtypes:
        dt = _dtype(name)
        one, two, n = jnp.asarray(1, dt), jnp.asarray(2, dt), jnp.asarray(10000, dt)
        direct = float(jnp.asarray(two / n).astype(jnp.float64))
        via_one = float(jnp.asarray((one + one / n) - (one - one / n)).astype(jnp.float64))
        fi = jnp.finfo(dt)
        ulp = 2.0 ** (math.floor(math.log2(0.0002)) - int(fi.nmant))
        rows.append(RoundoffRow(
            dtype=name, direct=direct, via_one=via_one, exact=float(exact),
            direct_error_ulps=float(abs(_d(direct) - exact) / _d(ulp)),
            via_one_error_ulps=float(abs(_d(via_one) - exact) / _d(ulp)),
            direct_relative_error=float(abs(_d(direct) - exact) / exact),
            via_one_relative_error=float(abs(_d(via_one) - exact) / exact),
            ulp=ulp,
        ))
    return tuple(rows)


def temperatures(logits, temps) -> tuple:
    """softmax(logits / T) in float64 for each T, with its entropy."""
    rows = []
    x = jnp.asarray(np.asarray([float(v) for v in logits], np.float64))
    for t in temps:
        if not (math.isfinite(t) and t > 0):
            raise ActlabError(f"bad --temperature {t!r}: expected a finite number > 0")
        p = np.asarray(losses.softmax(x, temperature=float(t)))
        logp = np.asarray(losses.log_softmax(x / t))
        entropy = float(-np.sum(np.where(p > 0, p * logp, 0.0)))
        rows.append(TemperatureRow(float(t), tuple(float(v) for v in p), entropy,
                                   tuple(float(v) for v in np.asarray(x / t))))
    return tuple(rows)
