"""The claims of the course notes and of the classic papers, run as experiments
and judged by what they measure.

    results = run(["vanishing", "init-he"])      # -> tuple of LessonResult, in order
    results[0].verdict                          # "holds" | "partly" | "does not hold here"
    results[0].figures                          # {"sigmoid_d10": 1.7e-06, ...}
    results[0].checks                           # each measured figure against its threshold

Every lesson is a function of its sizes (defaults: the whole catalogue in about
a minute on two CPU cores with a warm compilation cache) that runs the core's
own experiments (``gradflow``, ``sweep``, ``train``, ``stability``, the losses
and the activation registry) and returns ``Measured``: figures, the thresholds
they are held to, the checks that compare them, and the text a view needs.
The verdict comes from the checks alone (``judge``); where a seed matters the
lesson runs several and judges a statistic (a median, a share with its Wilson
interval). Passing other sizes, or another activation, re-runs the same
experiment, which is how the tests make a claim fail on purpose.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from actlab.blocks import activations, losses, model, optim
from actlab.blocks.data import load_bundled, make_dataset, standardize
from actlab.errors import unknown
from actlab.lab import gradflow, setup, stability
from actlab.lab.gradflow import EXPLODING, VANISHING
from actlab.lab.sweep import sweep, wilson_interval
from actlab.lab.train import make_run, prepare_data

HOLDS, PARTLY, FAILS = "holds", "partly", "does not hold here"


# --- results ----------------------------------------------------------------------------


class Check(NamedTuple):
    """One measured figure held against what the claim predicts.

    text: the measurement and its threshold, in words and numbers.
    passed: whether the measurement meets the threshold.
    core: a core check carries the claim; the others refine it.
    """

    text: str
    passed: bool
    core: bool = True


class Chart(NamedTuple):
    """A chart a view may draw: ``series`` is ``((label, xs, ys), ...)``."""

    title: str
    xlabel: str
    ylabel: str
    series: tuple
    xlog: bool = False
    ylog: bool = False


@dataclasses.dataclass(frozen=True)
class Measured:
    """What one lesson's experiment found.

    figures: name -> number, every measured figure.
    headline: the figures a one-line summary shows.
    expected: what the claim predicts, in terms of the figures.
    thresholds: name -> number, the limits the checks hold the figures to.
    checks: the comparisons the verdict is computed from.
    setup: what was run, with its sizes and seeds.
    explanation: why the claim holds, or where it breaks, with the numbers.
    charts: data for the charts that help.
    """

    figures: Mapping[str, float]
    headline: tuple[str, ...]
    expected: str
    thresholds: Mapping[str, float]
    checks: tuple[Check, ...]
    setup: str
    explanation: str
    charts: tuple[Chart, ...] = ()


@dataclasses.dataclass(frozen=True)
class LessonResult(Measured):
    """A lesson's claim, its measurement and the verdict computed from it."""

    id: str = ""
    claim: str = ""
    source: str = ""
    command: str = ""  # the actlab command that digs deeper
    verdict: str = ""
    seconds: float = 0.0


def judge(checks: Sequence[Check]) -> str:
    """"holds" when every check passes; "does not hold here" when no core check
    passes; "partly" in between."""
    if all(c.passed for c in checks):
        return HOLDS
    if not any(c.passed for c in checks if c.core):
        return FAILS
    return PARTLY


# --- the catalogue ------------------------------------------------------------------------


class Lesson(NamedTuple):
    """A claim, where it comes from, the command that shows more, and its experiment."""

    id: str
    claim: str
    source: str
    command: str
    run: Callable[..., LessonResult]


CATALOGUE: dict[str, Lesson] = {}


def lesson(id: str, *, claim: str, source: str, command: str):
    """Registers a ``Measured``-returning experiment as the lesson ``id``; the
    registered function takes the same keyword sizes and returns a ``LessonResult``."""

    def register(measure):
        @functools.wraps(measure)
        def run_one(**sizes) -> LessonResult:
            start = time.perf_counter()
            measured = measure(**sizes)
            return LessonResult(**vars(measured), id=id, claim=claim, source=source, command=command,
                                verdict=judge(measured.checks), seconds=time.perf_counter() - start)

        CATALOGUE[id] = Lesson(id, claim, source, command, run_one)
        return run_one

    return register


def ids() -> list[str]:
    """Every lesson id, in catalogue order."""
    return list(CATALOGUE)


def resolve(names: Sequence[str]) -> list[Lesson]:
    """The lessons named, in the order given, each once; an unknown id is an
    ActlabError with a "did you mean"."""
    for name in names:
        if name not in CATALOGUE:
            raise unknown("lesson", name, CATALOGUE)
    return [CATALOGUE[name] for name in dict.fromkeys(names)]


def run(names: Sequence[str] | None = None, *,
        progress: Callable[[int, int, str], None] | None = None) -> tuple[LessonResult, ...]:
    """Runs the named lessons (all by default), in order; ``progress(done, total, id)``
    is called before each."""
    chosen = resolve(names) if names else list(CATALOGUE.values())
    results = []
    for i, entry in enumerate(chosen):
        if progress is not None:
            progress(i, len(chosen), entry.id)
        results.append(entry.run())
    return tuple(results)


# --- small helpers ------------------------------------------------------------------------


def _n(x: float, digits: int = 3) -> str:
    """A number as short text: 0.25, 1.7e-06, inf."""
    return f"{float(x):.{digits}g}"


def _pct(x: float) -> str:
    """A share as a percentage: 90%, 17%, 0.15%."""
    return f"{100 * x:.0f}%" if x >= 0.1 or x == 0 else f"{100 * x:.2g}%"


def _share(k: int, n: int) -> str:
    """``"12/16 (95% CI 51-92%)"``: a count with its Wilson interval."""
    lo, hi = wilson_interval(k, n)
    return f"{k}/{n} (95% CI {100 * lo:.0f}-{100 * hi:.0f}%)"


def _median(values) -> float:
    return float(np.median(np.asarray(values, np.float64)))


def _slope(xs, ys) -> float:
    """The slope of log y against log x (a power law's exponent)."""
    return float(np.polyfit(np.log(np.asarray(xs, np.float64)), np.log(np.asarray(ys, np.float64)), 1)[0])


def _ulp(value: float, dtype: str) -> float:
    """The spacing of ``dtype`` just above |value|."""
    x = jnp.asarray(abs(value), jnp.float64).astype(dtype)
    return float(jnp.nextafter(x, jnp.asarray(jnp.inf, dtype)).astype(jnp.float64) - x.astype(jnp.float64))


def _seed_flows(act, seeds: int, **kw) -> list:
    """``gradient_flow`` of one activation for seeds 0 to ``seeds - 1`` (one
    compiled program serves them all: the seed is its argument)."""
    return [gradflow.gradient_flow([act], seed=s, **kw)[0] for s in range(seeds)]


def _layer_values(flows, field: str) -> np.ndarray:
    """One field of every layer of each run: an array (runs, layers)."""
    return np.asarray([[getattr(layer, field) for layer in f.layers] for f in flows], np.float64)


def _default_steps(ds) -> int:
    """The step count ``train`` and ``sweep`` use for this dataset by default."""
    return setup.defaults(ds).steps


def _stored(value: float, dtype: str) -> float:
    """``value`` as ``dtype`` stores it, back as a Python float."""
    return float(jnp.asarray(value, jnp.float64).astype(dtype).astype(jnp.float64))


# --- the course notes: activations and derivatives ----------------------------------------------


@lesson("nonlinearity",
        claim="Linear hidden layers collapse to one affine map and cannot solve XOR; one "
              "non-linear hidden layer can.",
        source="course notes", command="actlab sweep xor --act relu,linear")
def nonlinearity(*, linear: str = "linear", nonlinear: str = "relu", seeds: int = 32, depth: int = 10,
                 solves: float = 0.9, stuck: float = 0.01, eps_per_layer: float = 10.0) -> Measured:
    ds = make_dataset("xor")
    lr = setup.default_lr(ds, "adam")
    flat, bent = sweep(ds, activations=[activations.get(linear), activations.get(nonlinear)],
                       optimizers=["adam"], lrs=[lr], seeds=seeds).configs
    flow, = gradflow.gradient_flow([activations.get("linear")], depth=depth)
    collapse = flow.collapse
    max_eps = eps_per_layer * depth
    chance = math.log(2)  # the loss of p = 1/2 everywhere: the best an affine map does on XOR
    figures = {"linear_loss": flat.final_loss_median, "ln_2": chance, "linear_success": flat.success_rate,
               f"{nonlinear}_success": bent.success_rate, "collapse_eps": collapse.eps_units}
    checks = (
        Check(f"{linear} hidden layers: final training loss {_n(flat.final_loss_median, 4)} (median over {seeds} "
              f"seeds), stuck at ln 2 = {_n(chance, 4)}, the loss of answering 1/2 everywhere (within "
              f"{stuck:g})", flat.final_loss_median >= chance - stuck),
        Check(f"{nonlinear} hidden layer: {_share(bent.successes, seeds)} of the seeds get all four points "
              f"right (expected at least {_pct(solves)})", bent.success_rate >= solves),
        Check(f"{depth} linear layers against their product, one affine map x W + b: they differ by "
              f"{_n(collapse.eps_units, 2)} eps of float32 (rounding: at most {max_eps:g} eps)",
              collapse.eps_units <= max_eps),
    )
    explanation = (
        "Two linear layers compose into one: (x W1 + b1) W2 + b2 = x (W1 W2) + (b1 W2 + b2). Any stack "
        "of them is one affine map, so the network is logistic regression and its decision boundary is "
        "a line; no line splits (0,0),(1,1) from (0,1),(1,0), and the best affine fit answers 1/2 for "
        "all four, a loss of ln 2. A non-linearity between the layers lets the boundary bend.")
    if flat.successes:
        explanation += (f" The {flat.successes} linear seed(s) counted as 'all four right' sit at that "
                        "loss: every probability is 1/2 up to rounding, and the last bit fell on the "
                        "right side by chance.")
    return Measured(
        figures=figures, headline=("linear_loss", f"{nonlinear}_success", "collapse_eps"),
        expected=(f"linear_loss >= ln_2 - {stuck:g}; {nonlinear}_success >= {solves:g}; "
                  f"collapse_eps <= {max_eps:g}"),
        thresholds={"stuck_within": stuck, f"{nonlinear}_success_min": solves, "collapse_eps_max": max_eps},
        checks=checks,
        setup=(f"XOR's four points, a 2-16-1 network with {linear} or {nonlinear} hidden units and a "
               f"sigmoid output, {_default_steps(ds)} full-batch Adam steps (lr {lr:g}) from each of "
               f"{seeds} seeds (the same initial weights for both). The collapse: a random MLP of {depth} "
               "linear layers of width 64 in float32 against its layers multiplied into one map."),
        explanation=explanation,
    )


@lesson("derivative-amplification",
        claim="Nudge x by e and f moves by about f'(x) e: the derivative is an amplification factor.",
        source="course notes", command="actlab grad sigmoid tanh gelu softplus --at -3,-1,0.5,3")
def derivative_amplification(*, names: Sequence[str] = ("sigmoid", "tanh", "gelu", "softplus"),
                             points: Sequence[float] = (-3.0, -1.0, -0.5, 0.5, 1.0, 3.0),
                             steps: Sequence[float] = (1e-1, 1e-2, 1e-3, 1e-4),
                             tolerance: float = 1e-3, order: tuple[float, float] = (0.8, 1.2)) -> Measured:
    acts = [activations.get(n) for n in names]
    worst = {n: [] for n in names}  # per activation, per step: the largest relative error over the points
    for e in steps:
        for table in gradflow.pointwise(acts, points, dtype="float64", step=e):
            worst[table.activation].append(max(abs(p.right_slope - p.derivative) / abs(p.derivative)
                                               for p in table.points))
    overall = [max(worst[n][i] for n in names) for i in range(len(steps))]
    exponent = _slope(steps, overall)
    figures = {f"rel_error_{e:g}": err for e, err in zip(steps, overall)}
    figures["order"] = exponent
    smallest = min(steps)
    error_small = overall[steps.index(smallest)]
    lo, hi = order
    checks = (
        Check(f"(f(x + e) - f(x)) / e against f'(x) at e = {smallest:g}: largest relative error "
              f"{_n(error_small, 2)} over {len(names)} activations x {len(points)} points "
              f"(at most {tolerance:g})", error_small <= tolerance),
        Check(f"the error falls like e^{exponent:.2f} as e shrinks from {max(steps):g} to {smallest:g} "
              f"(first order: exponent in [{lo:g}, {hi:g}])", lo <= exponent <= hi),
    )
    return Measured(
        figures=figures, headline=(f"rel_error_{smallest:g}", "order"),
        expected=f"rel_error_{smallest:g} <= {tolerance:g}; order in [{lo:g}, {hi:g}]",
        thresholds={"rel_error_max": tolerance, "order_min": lo, "order_max": hi}, checks=checks,
        setup=(f"{', '.join(names)} at x = {', '.join(f'{x:g}' for x in points)} in float64; the change "
               f"f(x + e) - f(x) divided by e, for e = {', '.join(f'{e:g}' for e in steps)}, against f'(x) "
               "from the registry."),
        explanation=(
            "Taylor: f(x + e) = f(x) + f'(x) e + f''(c) e^2 / 2 for some c between x and x + e, so the "
            "change is f'(x) e up to a term in e^2: its relative error shrinks in proportion to e "
            f"(measured exponent {exponent:.2f}). At a kink, such as relu at 0, the slopes left and right "
            "differ and no single factor describes the change (actlab grad relu --at 0)."),
        charts=(Chart("largest relative error of (f(x+e) - f(x)) / e against f'(x)", "step e",
                      "relative error", tuple((n, tuple(steps), tuple(worst[n])) for n in names),
                      xlog=True, ylog=True),),
    )


@lesson("sigmoid-slope",
        claim="sigmoid' = s(1 - s) is at most 0.25 (at 0); tanh' is at most 1.",
        source="course notes", command="actlab plot sigmoid tanh --derivative")
def sigmoid_slope(*, bounds: Mapping[str, float] | None = None, half_width: float = 10.0,
                  step: float = 1e-4, identity_tolerance: float = 1e-15) -> Measured:
    bounds = dict(bounds or {"sigmoid": 0.25, "tanh": 1.0})
    n = int(round(half_width / step))
    x = jnp.asarray(np.arange(-n, n + 1) * step, jnp.float64)  # holds 0 exactly
    figures, checks, series = {}, [], []
    for name, bound in bounds.items():
        y, dy = (np.asarray(v) for v in activations.get(name).value_and_derivative(x))
        i = int(np.argmax(dy))
        top, at = float(dy[i]), float(x[i])
        figures[f"max_{name}_slope"], figures[f"{name}_at"] = top, at
        reached = abs(top - bound) <= 1e-12 * bound and at == 0.0
        checks.append(Check(f"largest {name}' on [-{half_width:g}, {half_width:g}] (step {step:g}): "
                            f"{top:.15g} at x = {at:g} (claim: {bound:g}, at 0)", reached))
        if name == "sigmoid":
            error = float(np.max(np.abs(dy - y * (1 - y))))
            figures["identity_error"] = error
            checks.append(Check(f"sigmoid' against s(1 - s): largest difference {_n(error, 2)} "
                                f"(rounding: at most {identity_tolerance:g})", error <= identity_tolerance))
        near = np.abs(np.asarray(x)) <= 6
        series.append((f"{name}'", tuple(np.asarray(x)[near][::1000]), tuple(dy[near][::1000])))
    return Measured(
        figures=figures, headline=tuple(f"max_{name}_slope" for name in bounds),
        expected="; ".join(f"max_{name}_slope = {bound:g} at {name}_at = 0" for name, bound in bounds.items()),
        thresholds={**{f"max_{name}_slope": bound for name, bound in bounds.items()},
                    "identity_error_max": identity_tolerance},
        checks=tuple(checks),
        setup=(f"The registry's derivatives in float64 on a grid of step {step:g} over "
               f"[-{half_width:g}, {half_width:g}] (0 included)."),
        explanation=(
            "sigmoid'(x) = s (1 - s) with s = sigmoid(x): a product of two numbers that add up to 1 is "
            "largest when both are 1/2, at x = 0, where it is 1/4. tanh(x) = 2 sigmoid(2x) - 1, so "
            "tanh'(x) = 4 sigmoid'(2x), at most 1. Each sigmoid layer scales the backward signal by at "
            "most 0.25 (lesson vanishing); tanh's gain of 1 at 0 is why it trains deeper."),
        charts=(Chart("derivatives", "x", "f'(x)", tuple(series)),),
    )


@lesson("vanishing",
        claim="Sigmoid stacks of 5+ layers starve the first layers of gradient; ReLU (He init) and "
              "tanh (Glorot init) do not.",
        source="course notes; Glorot & Bengio 2010", command="actlab grad sigmoid relu tanh --depth 10")
def vanishing(*, suspect: str = "sigmoid", others: Sequence[str] = ("relu", "tanh"),
              depths: Sequence[int] = (5, 10), seeds: int = 5, width: int = 64, batch: int = 128) -> Measured:
    names = (suspect, *others)
    acts = [activations.get(n) for n in names]
    runs = {d: [gradflow.gradient_flow(acts, depth=d, width=width, batch=batch, seed=s) for s in range(seeds)]
            for d in depths}
    ratio = {(n, d): _median([flows[i].ratio for flows in runs[d]])
             for d in depths for i, n in enumerate(names)}
    deepest = max(depths)
    figures = {f"{n}_d{d}": ratio[n, d] for n in names for d in depths}
    factor = _median([flows[0].factor_per_layer for flows in runs[deepest]])
    gain = _median([layer.mean_abs_derivative for flows in runs[deepest] for layer in flows[0].layers])
    figures[f"{suspect}_per_layer"], figures[f"{suspect}_mean_slope"] = factor, gain
    checks = [Check(f"{suspect}, {d} layers: first/last gradient {_n(ratio[suspect, d], 2)} "
                    f"(vanishing: below {VANISHING:g})", ratio[suspect, d] < VANISHING) for d in depths]
    for n in others:
        values = ", ".join(f"{_n(ratio[n, d], 2)} ({d} layers)" for d in depths)
        checks.append(Check(f"{n}: first/last gradient {values} (healthy: within [{VANISHING:g}, "
                            f"{EXPLODING:g}])", all(VANISHING <= ratio[n, d] <= EXPLODING for d in depths),
                            core=False))
    inits = ", ".join(f"{n} {model.parse_init('auto', a).name}" for n, a in zip(names, acts))
    per_layer = [tuple(_median([flows[i].layers[k].grad_norm for flows in runs[deepest]]) for k in range(deepest))
                 for i in range(len(names))]
    return Measured(
        figures=figures, headline=tuple(f"{n}_d{deepest}" for n in names),
        expected=(f"{suspect}_d{{{','.join(map(str, depths))}}} < {VANISHING:g}; "
                  f"{', '.join(others)} within [{VANISHING:g}, {EXPLODING:g}]"),
        thresholds={"vanishing_below": VANISHING, "exploding_above": EXPLODING}, checks=tuple(checks),
        setup=(f"Random MLPs of {', '.join(map(str, depths))} hidden layers of {width} units, one linear "
               f"output, batch {batch} of N(0, 1) inputs, float32, inits by family ({inits}); one "
               f"backward pass each, seeds 0-{seeds - 1}. first/last = |dL/dW| of layer 1 over layer L, "
               "median over the seeds."),
        explanation=(
            "Backpropagation multiplies the signal by W^T diag(f'(z)) at every layer. sigmoid' is at "
            f"most 0.25 (mean |f'| measured here {_n(gain, 2)}), so even with Glorot's weights each "
            f"{suspect} layer scales the gradient by about x{_n(factor, 2)}, and L layers by that to the "
            f"power L - 1: the first layer of {deepest} gets {_n(ratio[suspect, deepest], 2)} of the last "
            "one's gradient and barely learns. ReLU passes 1 where it is active and He's Var(w) = 2/n "
            "makes up for the half that is off; tanh' is 1 at 0 and Glorot's init keeps z near 0."),
        charts=(Chart(f"|dL/dW| per layer, {deepest} layers (median over seeds; 1 = input side)", "layer",
                      "|dL/dW|", tuple((n, tuple(range(1, deepest + 1)), ys) for n, ys in zip(names, per_layer)),
                      ylog=True),),
    )


@functools.lru_cache(maxsize=8)
def _centred(name: str) -> activations.Activation:
    """f(x) - f(0) for a registered f: zero-centred, with f's slope and init (an experiment's control)."""
    base = activations.get(name)
    shift = float(np.asarray(base(jnp.zeros((), jnp.float64))))

    def value_and_derivative(x):
        y, dy = base.value_and_derivative_fn(x, **base.params)
        return y - shift, dy

    lo, hi = base.output_range
    return dataclasses.replace(base, name=f"{name} - {shift:g}", formula=f"{base.formula} - {shift:g}",
                               value_and_derivative_fn=value_and_derivative, params={},
                               output_range=(lo - shift, hi - shift), zero_centred=True)


def _paired_faster(a, b) -> tuple[int, int]:
    """(seeds where run a reached the threshold first, seeds that differ): steps
    of -1 (never) count as infinitely many; ties are left out."""
    inf = math.inf
    pairs = [(inf if x < 0 else x, inf if y < 0 else y) for x, y in zip(a.steps_to_threshold, b.steps_to_threshold)]
    differ = [(x, y) for x, y in pairs if x != y]
    return sum(x < y for x, y in differ), len(differ)


@lesson("zero-centred",
        claim="Zero-centred tanh hidden layers train faster than sigmoid ones.",
        source="course notes", command="actlab sweep xor --act tanh,sigmoid --seeds 64")
def zero_centred(*, centred: str = "tanh", other: str = "sigmoid", seeds: int = 64) -> Measured:
    ds = make_dataset("xor")
    lr = setup.default_lr(ds, "adam")
    control = _centred(other) if float(np.asarray(activations.get(other)(jnp.zeros(())))) != 0 else None
    acts = [activations.get(centred), activations.get(other)] + ([control] if control else [])
    stats = sweep(ds, activations=acts, optimizers=["adam"], lrs=[lr], seeds=seeds).configs
    a, b = stats[0], stats[1]
    k, n = _paired_faster(a, b)
    lo = wilson_interval(k, n)[0] if n else 0.0
    figures = {f"{centred}_median_steps": a.median_steps_to_threshold or math.inf,
               f"{other}_median_steps": b.median_steps_to_threshold or math.inf,
               f"{centred}_faster_share": k / n if n else math.nan,
               f"{centred}_success": a.success_rate, f"{other}_success": b.success_rate}
    checks = [
        Check(f"{centred} reaches accuracy 1 before {other} on {_share(k, n) if n else '0/0'} of the seeds "
              "whose step counts differ (faster: the interval's lower end above 50%)", n > 0 and lo > 0.5),
        Check(f"{centred} succeeds on {_pct(a.success_rate)} of the seeds, {other} on "
              f"{_pct(b.success_rate)} (not fewer)", a.success_rate >= b.success_rate, core=False),
    ]
    why = ("tanh(x) = 2 sigmoid(2x) - 1 differs from sigmoid in two ways: its outputs are centred on 0, "
           "and its slope at 0 is 4 times larger.")
    if control is not None:
        c = stats[2]
        kc, nc = _paired_faster(c, b)
        figures["control_median_steps"] = c.median_steps_to_threshold or math.inf
        figures["control_faster_share"] = kc / nc if nc else math.nan
        alone = nc > 0 and wilson_interval(kc, nc)[0] > 0.5
        why += (f" The control {control.name} is centred with {other}'s slope: it beats {other} on "
                f"{_share(kc, nc) if nc else '0/0'} of the seeds (median {_n(figures['control_median_steps'])} "
                f"steps against {_n(figures[f'{other}_median_steps'])}), so "
                + ("centring alone already speeds training up here." if alone else
                   "centring alone does not explain the difference here; the steeper slope does."))
    why += (" A layer whose inputs are all positive (sigmoid outputs) gets weight gradients of one "
            "sign per unit, which zig-zag towards the minimum; centred inputs do not.")
    return Measured(
        figures=figures, headline=(f"{centred}_median_steps", f"{other}_median_steps", f"{centred}_faster_share"),
        expected=f"{centred}_faster_share > 0.5 beyond its 95% interval; {centred}_success >= {other}_success",
        thresholds={"faster_share_ci_low_min": 0.5}, checks=tuple(checks),
        setup=(f"XOR, a 2-16-1 network (hidden {centred}, {other}"
               + (f" and the control {control.name}" if control else "") +
               f"; Glorot init), {_default_steps(ds)} full-batch Adam steps at lr {lr:g}, {seeds} seeds with "
               "the same initial weights for every activation; steps = the first step at which all four "
               "points are right, paired seed by seed."),
        explanation=why,
    )


@lesson("relu-sparsity",
        claim="ReLU outputs exact zeros for about half the units at initialisation.",
        source="course notes", command="actlab grad relu --depth 4")
def relu_sparsity(*, name: str = "relu", depth: int = 4, width: int = 64, batch: int = 128, seeds: int = 4,
                  about: float = 0.05, spread: float = 0.1) -> Measured:
    act = activations.get(name)
    flows = _seed_flows(act, seeds, depth=depth, width=width, batch=batch)
    zeros = _layer_values(flows, "sparsity")
    dead = float(_layer_values(flows, "dead").mean())
    mean = float(zeros.mean())
    figures = {"zero_fraction": mean, "zero_fraction_min": float(zeros.min()),
               "zero_fraction_max": float(zeros.max()), "dead_units": dead}
    checks = (
        Check(f"{name} outputs that are exactly 0: {_n(mean)} of {depth} layers x {width} units x {batch} "
              f"inputs x {seeds} seeds (about half: within {about:g} of 0.5)", abs(mean - 0.5) <= about),
        Check(f"every layer of every seed between {_n(zeros.min())} and {_n(zeros.max())} (within "
              f"{spread:g} of 0.5)", bool(np.all(np.abs(zeros - 0.5) <= spread)), core=False),
    )
    return Measured(
        figures=figures, headline=("zero_fraction", "dead_units"),
        expected=f"zero_fraction within {about:g} of 0.5",
        thresholds={"about": about, "spread": spread}, checks=checks,
        setup=(f"Random {name} MLPs of {depth} hidden layers of {width} units ({flows[0].init} init, biases 0), "
               f"batch {batch} of N(0, 1) inputs, float32, seeds 0-{seeds - 1}."),
        explanation=(
            "With biases at 0 and weights drawn symmetric around 0, each z = a W is as likely negative "
            "as positive, and ReLU maps every negative z to exactly 0: about half the outputs, a sparse "
            f"code. A unit that is 0 for the whole batch passes no gradient ({_pct(dead)} of the units "
            "here); lesson dying-relu shows a whole narrow network born that way."),
    )


@functools.lru_cache(maxsize=8)
def _born_dead_program(grid: int):
    """For stacks of networks (one stack per configuration): how many are constant on the grid."""
    relu = activations.get("relu")
    x = jnp.linspace(-1.0, 1.0, grid, dtype=jnp.float32)[:, None]

    def constant(params):
        y = model.apply(params, x, relu)
        return jnp.max(y) == jnp.min(y)

    return jax.jit(lambda stacks: [jnp.sum(jax.vmap(constant)(params)) for params in stacks])


def _he_networks(rng, nets: int, width: int, depth: int):
    """``nets`` networks 1 -> width x depth -> 1 stacked on a first axis: He-normal
    weights (``model.Init("he")``), biases 0, float32. numpy draws them: jax's
    random numbers would compile a generator per layer shape, longer than the experiment."""
    he, sizes = model.Init("he"), (1,) + (width,) * depth + (1,)
    return [(jnp.asarray(he.std(a, b) * rng.standard_normal((nets, a, b)), jnp.float32),
             jnp.zeros((nets, b), jnp.float32)) for a, b in zip(sizes[:-1], sizes[1:])]


@lesson("dying-relu",
        claim="A deep narrow ReLU network can be born dead (constant on the whole input range); the "
              "chance grows with depth and falls with width.",
        source="Lu et al. 2019", command="actlab grad relu --depth 10 --width 2")
def dying_relu(*, widths: Sequence[int] = (2, 5), depths: Sequence[int] = (2, 5, 10), nets: int = 2000,
               grid: int = 65, seed: int = 0) -> Measured:
    widths, depths = tuple(sorted(widths)), tuple(sorted(depths))
    rng = np.random.default_rng(seed)
    stacks = [_he_networks(rng, nets, w, d) for w, d in itertools.product(widths, depths)]
    counts = [int(k) for k in _born_dead_program(grid)(stacks)]
    share = {wd: k / nets for wd, k in zip(itertools.product(widths, depths), counts)}
    ci = {wd: wilson_interval(k, nets) for wd, k in zip(itertools.product(widths, depths), counts)}
    figures = {f"w{w}_d{d}": share[w, d] for w in widths for d in depths}
    shallow, deep, narrow, wide = depths[0], depths[-1], widths[0], widths[-1]
    checks = [Check(f"width {w}: born dead {_pct(share[w, shallow])} at depth {shallow}, "
                    f"{_pct(share[w, deep])} at depth {deep} (grows: 95% intervals apart)",
                    ci[w, shallow][1] < ci[w, deep][0]) for w in widths]
    checks.append(Check(f"depth {deep}: {_pct(share[narrow, deep])} at width {narrow}, "
                        f"{_pct(share[wide, deep])} at width {wide} (falls: 95% intervals apart)",
                        ci[wide, deep][1] < ci[narrow, deep][0]))
    rising = all(share[w, a] <= share[w, b] for w in widths for a, b in zip(depths, depths[1:]))
    falling = all(share[a, d] >= share[b, d] for d in depths for a, b in zip(widths, widths[1:]))
    checks.append(Check("monotone in every row and column of the table", rising and falling, core=False))
    return Measured(
        figures=figures, headline=(f"w{narrow}_d{deep}", f"w{wide}_d{deep}", f"w{narrow}_d{shallow}"),
        expected=f"w{{w}}_d{{d}} grows with d and falls with w (95% intervals of {nets} networks apart)",
        thresholds={"nets": float(nets)}, checks=tuple(checks),
        setup=(f"{nets} random ReLU networks per width x depth, one input, one output, He-normal "
               f"weights, biases 0 (float32); born dead = the output is the same at all {grid} points "
               "of [-1, 1]."),
        explanation=(
            "A ReLU unit is off where z < 0; with weights symmetric around 0 each unit is off with "
            "probability 1/2, so a layer of N units is all off for an input with probability about "
            "2^-N, and every layer takes that chance again. Once a layer is 0 on every input, "
            "everything after it is constant and no gradient reaches the layers before: the network is "
            f"born dead ({_pct(share[narrow, deep])} of the width-{narrow}, depth-{deep} ones here). Lu et "
            "al. prove the chance goes to 1 as depth grows at a fixed width."),
        charts=(Chart("share of networks born dead", "hidden layers", "share born dead",
                      tuple((f"width {w}", depths, tuple(share[w, d] for d in depths)) for w in widths)),),
    )


# --- the classic papers: initialisation ---------------------------------------------------------


def _variance_ratios(flow) -> tuple[float, ...]:
    """Var(f(z_l)) / Var(f(z_1)) for every layer l."""
    first = flow.layers[0].activation_std ** 2
    return tuple(layer.activation_std ** 2 / first for layer in flow.layers)


@lesson("init-he",
        claim="With Var(w) = 2/n the signal variance survives 30 ReLU layers; with 1/n it collapses.",
        source="He et al. 2015", command="actlab grad relu --depth 30 --init lecun")
def init_he(*, name: str = "relu", depth: int = 30, width: int = 256, batch: int = 128, seeds: int = 4,
            survives: tuple[float, float] = (0.5, 2.0), collapses: float = 1e-3, theory_factor: float = 2.0) -> Measured:
    act = activations.get(name)
    ratios = {}
    for init in ("he", "lecun"):
        flows = _seed_flows(act, seeds, depth=depth, width=width, batch=batch, init=model.Init(init))
        ratios[init] = np.mean([_variance_ratios(f) for f in flows], axis=0)
    # He et al. 2015, section 2.2: Var[y_L] = Var[y_1] prod_l (n_l Var[w_l] / 2) for ReLU layers.
    theory = {"he": 1.0, "lecun": 0.5 ** (depth - 1)}
    var_he, var_lecun = float(ratios["he"][-1]), float(ratios["lecun"][-1])
    lo, hi = survives
    figures = {"var_he": var_he, "var_lecun": var_lecun, "theory_he": theory["he"], "theory_lecun": theory["lecun"]}
    checks = (
        Check(f"Var(w) = 2/n: layer {depth} over layer 1 variance {_n(var_he)} (survives: within "
              f"[{lo:g}, {hi:g}])", lo <= var_he <= hi),
        Check(f"Var(w) = 1/n: {_n(var_lecun)} (collapses: below {collapses:g})", var_lecun < collapses),
        Check(f"1/n against He's formula (1/2)^{depth - 1} = {_n(theory['lecun'])}: within a factor "
              f"{theory_factor:g}", theory['lecun'] / theory_factor <= var_lecun <= theory['lecun'] * theory_factor,
              core=False),
    )
    layers = tuple(range(1, depth + 1))
    return Measured(
        figures=figures, headline=("var_he", "var_lecun"),
        expected=(f"var_he in [{lo:g}, {hi:g}] (theory 1); var_lecun < {collapses:g} "
                  f"(theory 2^-{depth - 1} = {_n(theory['lecun'])})"),
        thresholds={"survives_min": lo, "survives_max": hi, "collapses_below": collapses}, checks=checks,
        setup=(f"Random {name} MLPs of {depth} hidden layers of {width} units, biases 0, batch {batch} of "
               f"N(0, 1) inputs, float32, W ~ N(0, 2/n) (He) or N(0, 1/n) (LeCun), seeds 0-{seeds - 1}; "
               "the variance of layer L's outputs over layer 1's, averaged over the seeds."),
        explanation=(
            "Each ReLU layer keeps half of its input's second moment (the negative half is cut to 0), "
            "and a layer of n inputs multiplies it by n Var(w). With Var(w) = 2/n the two cancel and the "
            f"signal keeps its size through any depth (measured {_n(var_he)}); with 1/n every layer "
            f"halves it, (1/2)^{depth - 1} over {depth} layers (measured {_n(var_lecun)}), and the "
            "gradients shrink alike."),
        charts=(Chart("output variance of layer l over layer 1 (mean over seeds)", "layer", "variance ratio",
                      (("Var(w) = 2/n (He)", layers, tuple(ratios["he"])),
                       ("Var(w) = 1/n", layers, tuple(ratios["lecun"])),
                       ("(1/2)^(l-1)", layers, tuple(0.5 ** (l - 1) for l in layers))), ylog=True),),
    )


@lesson("init-glorot",
        claim="Glorot's normalised initialisation keeps tanh gradients alive through depth where "
              "U(-1/sqrt(n), 1/sqrt(n)) lets them shrink.",
        source="Glorot & Bengio 2010", command="actlab grad tanh --depth 15 --init normal:0.0722")
def init_glorot(*, name: str = "tanh", depth: int = 15, width: int = 64, batch: int = 128,
                seeds: int = 5) -> Measured:
    act = activations.get(name)
    # U(-1/sqrt(n), 1/sqrt(n)) has variance 1/(3n); drawn normal with that variance.
    inits = {"glorot": model.Init("glorot"), "standard": model.Init("normal", 1 / math.sqrt(3 * width))}
    flows = {k: _seed_flows(act, seeds, depth=depth, width=width, batch=batch, init=init)
             for k, init in inits.items()}
    signal = {k: _median([f.signal_ratio for f in fs]) for k, fs in flows.items()}
    weights = {k: _median([f.ratio for f in fs]) for k, fs in flows.items()}
    theory = (1 / 3) ** ((depth - 1) / 2)
    figures = {"signal_glorot": signal["glorot"], "signal_standard": signal["standard"],
               "weights_glorot": weights["glorot"], "weights_standard": weights["standard"],
               "theory_standard": theory}
    checks = (
        Check(f"Glorot: back-propagated gradient |dL/dz|, layer 1 over layer {depth}: "
              f"{_n(signal['glorot'], 2)} (alive: at least {VANISHING:g})", signal["glorot"] >= VANISHING),
        Check(f"standard U(-1/sqrt(n), 1/sqrt(n)): {_n(signal['standard'], 2)} (shrinks: below {VANISHING:g})",
              signal["standard"] < VANISHING),
    )
    per_layer = {k: tuple(_median([f.layers[i].signal_norm for f in fs]) for i in range(depth))
                 for k, fs in flows.items()}
    return Measured(
        figures=figures, headline=("signal_glorot", "signal_standard"),
        expected=f"signal_glorot >= {VANISHING:g}; signal_standard < {VANISHING:g} (theory {_n(theory, 2)})",
        thresholds={"vanishing_below": VANISHING}, checks=checks,
        setup=(f"Random {name} MLPs of {depth} hidden layers of {width} units, batch {batch}, float32, "
               f"seeds 0-{seeds - 1}; W ~ N(0, 2/(n_in + n_out)) (Glorot) or with U(-1/sqrt(n), "
               f"1/sqrt(n))'s variance 1/(3n), drawn normal (std {_n(inits['standard'].fixed_std)}); median "
               "first/last ratios."),
        explanation=(
            "Going backward a layer multiplies the gradient by W^T diag(f'(z)); near 0 tanh' is about 1, "
            "so its size changes by sqrt(n Var(w)) per layer: 1 with Glorot's Var(w) = 1/n here (square "
            f"layers), sqrt(1/3) with the standard init, (1/3)^{(depth - 1) / 2:g} = {_n(theory, 2)} over "
            f"{depth} layers (measured {_n(signal['standard'], 2)}). As Glorot & Bengio saw, the weight "
            f"gradients stay level with either init (first/last {_n(weights['glorot'], 2)} and "
            f"{_n(weights['standard'], 2)}): the shrinking backward signal meets an input that grows toward "
            "the first layer. It is the back-propagated gradient that the normalised init keeps alive."),
        charts=(Chart("|dL/dz| per layer (median over seeds; 1 = input side)", "layer", "|dL/dz|",
                      tuple((label, tuple(range(1, depth + 1)), per_layer[k]) for k, label in
                            (("glorot", "Glorot"), ("standard", "U(-1/sqrt n, 1/sqrt n)"))), ylog=True),),
    )


@lesson("selu",
        claim="SELU with LeCun-normal weights keeps activations near mean 0, variance 1 through 100 layers.",
        source="Klambauer et al. 2017", command="actlab grad selu --depth 100")
def selu(*, name: str = "selu", depth: int = 100, width: int = 128, batch: int = 128, seeds: int = 3,
         mean_bound: float = 0.1, var_bounds: tuple[float, float] = (0.8, 1.5)) -> Measured:
    act = activations.get(name)
    flows = _seed_flows(act, seeds, depth=depth, width=width, batch=batch, init="lecun")
    means = _layer_values(flows, "activation_mean").mean(0)
    variances = (_layer_values(flows, "activation_std") ** 2).mean(0)
    mean, var = float(means[-1]), float(variances[-1])
    lo, hi = var_bounds
    inside = (np.abs(means) <= mean_bound) & (variances >= lo) & (variances <= hi)
    figures = {"mean": mean, "var": var, "max_abs_mean": float(np.max(np.abs(means))),
               "min_var": float(variances.min()), "max_var": float(variances.max())}
    checks = (
        Check(f"layer {depth}: mean {_n(mean, 2)}, variance {_n(var)} (near: |mean| <= {mean_bound:g}, "
              f"variance in [{lo:g}, {hi:g}])", abs(mean) <= mean_bound and lo <= var <= hi),
        Check(f"every layer inside (|mean| up to {_n(figures['max_abs_mean'], 2)}, variance "
              f"{_n(figures['min_var'])}-{_n(figures['max_var'])})", bool(np.all(inside)), core=False),
    )
    layers = tuple(range(1, depth + 1))
    return Measured(
        figures=figures, headline=("mean", "var"),
        expected=f"|mean| <= {mean_bound:g}; var in [{lo:g}, {hi:g}] at layer {depth}",
        thresholds={"mean_abs_max": mean_bound, "var_min": lo, "var_max": hi}, checks=checks,
        setup=(f"Random {name} MLPs of {depth} hidden layers of {width} units, W ~ N(0, 1/n) (LeCun), "
               f"biases 0, batch {batch} of N(0, 1) inputs, float32; mean and variance of each layer's "
               f"outputs, averaged over seeds 0-{seeds - 1}. The bounds are the domain of Klambauer et "
               "al.'s Theorem 1."),
        explanation=(
            "SELU's two constants (alpha 1.6733, scale 1.0507) are chosen so that a layer with "
            "Var(w) = 1/n maps mean 0, variance 1 to mean 0, variance 1, and pulls nearby moments back "
            "toward that point (a stable fixed point). Depth does not drift the signal: after "
            f"{depth} layers the mean is {_n(mean, 2)} and the variance {_n(var)}."),
        charts=(Chart("mean and variance of each layer's outputs", "layer", "value",
                      (("mean", layers, tuple(means)), ("variance", layers, tuple(variances)))),),
    )


# --- GELU, softmax and the numerics of the loss ---------------------------------------------------


FORM_LABELS = {"tanh": "tanh form", "sigmoid": "x sigmoid(1.702 x)"}


@lesson("gelu-approx",
        claim="GELU's tanh approximation and x * sigmoid(1.702 x) stay close to x * Phi(x); their "
              "largest errors and where.",
        source="Hendrycks & Gimpel 2016", command="actlab plot gelu gelu_tanh \"x*sigmoid(1.702*x)\"")
def gelu_approx(*, half_width: float = 8.0, step: float = 1e-4, tanh_tolerance: float = 1e-3,
                sigmoid_tolerance: float = 0.03, closer: float = 10.0) -> Measured:
    n = int(round(half_width / step))
    x = jnp.asarray(np.arange(-n, n + 1) * step, jnp.float64)
    exact = np.asarray(activations.get("gelu")(x))
    forms = {"tanh": activations.get("gelu_tanh"), "sigmoid": activations.get("swish", beta=1.702)}
    figures, series = {}, []
    xs = np.asarray(x)
    for key, act in forms.items():
        error = np.abs(np.asarray(act(x)) - exact)
        # The error is even (each form f has f(x) - f(-x) = x, as GELU does): report x >= 0.
        i = int(np.argmax(np.where(xs >= 0, error, -1.0)))
        figures[f"{key}_max_error"], figures[f"{key}_at"] = float(error[i]), float(xs[i])
        near = np.abs(xs) <= 6
        series.append((FORM_LABELS[key], tuple(xs[near][::500]), tuple(error[near][::500])))
    t, s = figures["tanh_max_error"], figures["sigmoid_max_error"]
    checks = (
        Check(f"tanh form: largest |error| {_n(t)} at |x| = {figures['tanh_at']:.3g} (close: at most "
              f"{tanh_tolerance:g})", t <= tanh_tolerance),
        Check(f"x sigmoid(1.702 x): largest |error| {_n(s)} at |x| = {figures['sigmoid_at']:.3g} (close: "
              f"at most {sigmoid_tolerance:g})", s <= sigmoid_tolerance),
        Check(f"the tanh form is {_n(s / t, 2)} times closer (at least {closer:g})", s >= closer * t, core=False),
    )
    return Measured(
        figures=figures, headline=("tanh_max_error", "tanh_at", "sigmoid_max_error", "sigmoid_at"),
        expected=f"tanh_max_error <= {tanh_tolerance:g}; sigmoid_max_error <= {sigmoid_tolerance:g}",
        thresholds={"tanh_max_error_max": tanh_tolerance, "sigmoid_max_error_max": sigmoid_tolerance,
                    "closer_min": closer},
        checks=checks,
        setup=(f"gelu, gelu_tanh and swish with beta = 1.702 from the registry, float64, on a grid of step "
               f"{step:g} over [-{half_width:g}, {half_width:g}]; errors against gelu = x Phi(x)."),
        explanation=(
            "GELU weighs x by Phi(x), the normal CDF, which needs erf. The tanh form bends tanh into "
            "Phi's shape with a fitted x^3 term (0.044715 x^3); sigmoid(1.702 x) is the classic logistic "
            "fit of the normal CDF, cheaper and coarser. All three satisfy f(x) - f(-x) = x, so the "
            f"errors are even; they peak at |x| = {figures['tanh_at']:.3g} and {figures['sigmoid_at']:.3g} "
            "and vanish in both tails, where every form tends to 0 (left) and to x (right)."),
        charts=(Chart("|approximation - GELU|", "x", "absolute error", tuple(series)),),
    )


@functools.lru_cache(maxsize=None)
def _loss_program(method: str):
    fn = losses.naive_softmax_cross_entropy if method == "naive" else losses.softmax_cross_entropy
    return jax.jit(jax.vmap(fn, in_axes=(0, None)))


def _breaks(method: str, scales, dtype: str, label: int) -> np.ndarray:
    """Whether the loss of the logits [S, 0] is not finite, for each S (stored in ``dtype``)."""
    rows = jnp.stack([jnp.asarray(scales, jnp.float64), jnp.zeros(len(scales), jnp.float64)], 1).astype(dtype)
    return ~np.asarray(jnp.isfinite(_loss_program(method)(rows, jnp.asarray(label, jnp.int32))))


def _first_break(dtype: str, label: int) -> float:
    """The smallest S (in ``dtype``) at which the naive loss of [S, 0] is not finite, by bisection."""
    lo, hi = 1.0, float(jnp.finfo(dtype).max)
    while True:
        mid = _stored(math.sqrt(lo * hi) if hi > 2 * lo else (lo + hi) / 2, dtype)
        if mid in (lo, hi):  # adjacent values of the dtype
            return hi
        if _breaks("naive", [mid], dtype, label)[0]:
            hi = mid
        else:
            lo = mid


@lesson("softmax-overflow",
        claim="Naive softmax breaks once the logits pass what exp can hold in the dtype; the fused "
              "form never does.",
        source="course notes", command="actlab stability --scan")
def softmax_overflow(*, dtypes: Sequence[str] = stability.DTYPES, label: int = 0, ulps: float = 2.0) -> Measured:
    figures, checks, fused_broken = {}, [], 0
    for dtype in dtypes:
        facts = stability.dtype_facts(dtype)
        measured = _first_break(dtype, label)
        limits = {"exp(S) overflows": facts["overflow_threshold"],
                  "1/sum(exp) falls below the smallest normal": facts["underflow_threshold"]}
        what, limit = min(limits.items(), key=lambda kv: abs(kv[1] - measured))
        tolerance = ulps * _ulp(limit, dtype)
        figures[f"{dtype}_break"], figures[f"{dtype}_log_max"] = measured, facts["overflow_threshold"]
        figures[f"{dtype}_neg_log_tiny"] = facts["underflow_threshold"]
        checks.append(Check(f"{dtype}: naive breaks at S = {measured:.8g}, where {what} ({_n(limit, 8)}; "
                            f"agrees within {ulps:g} ulps = {_n(tolerance, 2)})",
                            abs(measured - limit) <= tolerance))
        scales = np.geomspace(1.0, facts["max"] / 4, 200)
        fused_broken += int(_breaks("fused", scales, dtype, label).sum())
    figures["fused_breaks"] = float(fused_broken)
    checks.append(Check(f"fused: {fused_broken} non-finite losses for S from 1 to a quarter of each dtype's "
                        "largest number (200 scales per dtype; expected 0)", fused_broken == 0))
    return Measured(
        figures=figures, headline=("float32_break", "float32_log_max", "fused_breaks") if "float32" in dtypes
        else (f"{dtypes[0]}_break", "fused_breaks"),
        expected="{dtype}_break at {dtype}_log_max or {dtype}_neg_log_tiny (within 2 ulps); fused_breaks 0",
        thresholds={"ulps": ulps}, checks=tuple(checks),
        setup=(f"Cross-entropy of the logits [S, 0] with label {label}, naive (exp, normalise, log; "
               "everything in the dtype) and fused (from the logits), in "
               f"{', '.join(dtypes)}; the first S whose naive loss is not finite, found by bisection "
               "down to neighbouring numbers of the dtype, beside log(max) and -log(smallest normal)."),
        explanation=(
            "exp(S) is inf once S passes log(max), and inf / inf is NaN. Where the measured break is "
            "earlier, at -log(smallest normal), the division went first: XLA computes exp(x) / sum as "
            "exp(x) * (1 / sum), and 1 / sum falls below the smallest normal number, which the CPU "
            "flushes to 0 (a probability of 0, a log of -inf). Both limits come from the dtype. The "
            "fused form subtracts the largest logit before exp, so exp never sees a number above 0."),
    )


@lesson("from-logits",
        claim="The loss computed from logits is exact where the probability-first loss is not "
              "(logits 1000, float32).",
        source="course notes", command="actlab stability --logits 1000")
def from_logits(*, logits: Sequence[float] = (1000.0, 0.0, -1000.0), label: int = 1,
                dtype: str = "float32") -> Measured:
    result = stability.compare(list(logits), label, dtypes=(dtype,))
    naive, fused = (next(c for c in result.cases if c.method == m) for m in ("naive", "fused"))
    figures = {"exact": naive.reference, "naive_loss": naive.loss, "fused_loss": fused.loss,
               "naive_rel_error": naive.relative_error, "fused_rel_error": fused.relative_error}
    checks = (
        Check(f"fused: loss {_n(fused.loss, 8)}, relative error {_n(fused.relative_error, 2)}, gradient error "
              f"{_n(fused.gradient_error, 2)} (exact: within {_n(fused.tolerance, 2)} = 8 eps)", bool(fused.ok)),
        Check(f"naive: loss {_n(naive.loss, 8)}, relative error {_n(naive.relative_error, 2)} (not exact: "
              f"off by more than 8 eps or not finite){': ' + naive.note if naive.note else ''}",
              naive.ok is False),
    )
    shown = "[" + ", ".join(f"{v:g}" for v in logits) + "]"
    return Measured(
        figures=figures, headline=("fused_loss", "naive_loss", "exact"),
        expected="fused_rel_error <= 8 eps; naive_rel_error > 8 eps",
        thresholds={"tolerance": fused.tolerance}, checks=checks,
        setup=(f"Softmax cross-entropy of the logits {shown} with label {label} in {dtype}: naive "
               "(softmax, then log) and fused (from the logits), against the exact value at 60 digits."),
        explanation=(
            "The probability-first loss needs exp(1000), which no float32 holds (the largest exp is "
            "exp(88.7)): the probability becomes 0 or NaN and its log -inf. The fused loss, "
            "(max - x_y) + log1p(sum exp(x_j - max)), only ever exponentiates numbers <= 0 and keeps the "
            "small terms that log(1 + s) would round away; give a loss the logits (from_logits=True)."),
    )


@lesson("roundoff",
        claim="2/10000 and 1 + 1/10000 - (1 - 1/10000) differ in floating point.",
        source="course notes", command="actlab stability --roundoff")
def roundoff(*, dtypes: Sequence[str] = stability.DTYPES) -> Measured:
    rows = stability.roundoff(dtypes)
    figures = {}
    for r in rows:
        figures[f"{r.dtype}_direct"], figures[f"{r.dtype}_via_one"] = r.direct, r.via_one
        figures[f"{r.dtype}_direct_error"] = r.direct_relative_error
        figures[f"{r.dtype}_via_one_error"] = r.via_one_relative_error
    differ = [r.dtype for r in rows if r.direct != r.via_one]
    same = [r.dtype for r in rows if r.direct == r.via_one]
    closer = all(r.direct_relative_error <= r.via_one_relative_error for r in rows)
    checks = (
        Check(f"they differ in {', '.join(differ) or 'no dtype'}"
              + (f" and agree in {', '.join(same)}" if same else "") + " (expected: every dtype)", not same),
        Check("2/10000 is the closer one in every dtype (errors: "
              + ", ".join(f"{r.dtype} {_n(r.direct_relative_error, 2)} against {_n(r.via_one_relative_error, 2)}"
                          for r in rows) + ")", closer, core=False),
    )
    f32 = next((r for r in rows if r.dtype == "float32"), rows[0])
    return Measured(
        figures=figures, headline=(f"{f32.dtype}_direct_error", f"{f32.dtype}_via_one_error"),
        expected="{dtype}_direct != {dtype}_via_one in every dtype", thresholds={}, checks=checks,
        setup=f"2/10000 and (1 + 1/10000) - (1 - 1/10000), each step rounded to {', '.join(dtypes)}.",
        explanation=(
            "Near 1 the floats are spaced eps apart (1.2e-7 in float32), so 1 + 1/10000 and 1 - 1/10000 "
            "keep 1/10000 only to about eps; their difference keeps that absolute error on a result of "
            f"0.0002, a relative error of up to about eps / 0.0002 ({_n(f32.via_one_relative_error, 2)} in "
            f"{f32.dtype}, {_n(f32.via_one_error_ulps, 3)} ulps of the result). 2/10000 is one correctly rounded division. Subtracting "
            "nearly equal numbers cancels the leading digits and leaves the rounding behind."),
    )


@lesson("temperature",
        claim="softmax(z / T) sharpens as T falls and flattens as T grows.",
        source="course notes", command="actlab stability --temperature 0.1,1,10")
def temperature(*, logits: Sequence[float] = (2.0, 1.0, 0.1),
                temps: Sequence[float] = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0),
                sharp: float = 0.05, flat: float = 0.95) -> Measured:
    rows = stability.temperatures(logits, temps)
    ln_k = math.log(len(logits))
    entropy = [r.entropy for r in rows]
    figures = {f"entropy_T{r.temperature:g}": r.entropy for r in rows}
    figures["ln_k"] = ln_k
    figures[f"p_max_T{rows[0].temperature:g}"] = max(rows[0].probabilities)
    figures[f"p_max_T{rows[-1].temperature:g}"] = max(rows[-1].probabilities)
    increasing = all(a < b for a, b in zip(entropy, entropy[1:]))
    checks = (
        Check("entropy rises with T at every step: " + ", ".join(f"{_n(h, 2)}" for h in entropy)
              + f" nats for T = {', '.join(f'{t:g}' for t in temps)}", increasing),
        Check(f"T = {rows[0].temperature:g}: entropy {_n(entropy[0], 2)}, below {sharp:g} ln K (near one-hot, "
              f"top probability {_n(max(rows[0].probabilities))})", entropy[0] < sharp * ln_k, core=False),
        Check(f"T = {rows[-1].temperature:g}: entropy {_n(entropy[-1])}, above {flat:g} ln K = "
              f"{_n(flat * ln_k)} (near uniform)", entropy[-1] > flat * ln_k, core=False),
    )
    headline = tuple(f"entropy_T{t:g}" for t in (0.1, 1.0, 10.0) if f"entropy_T{t:g}" in figures) + ("ln_k",)
    return Measured(
        figures=figures, headline=headline,
        expected=f"entropy increasing in T, from near 0 to near ln K = {_n(ln_k, 4)}",
        thresholds={"sharp_below": sharp, "flat_above": flat}, checks=checks,
        setup=(f"softmax of the logits [{', '.join(f'{v:g}' for v in logits)}] divided by T, in float64, "
               "and its entropy -sum p log p (in nats)."),
        explanation=(
            "Dividing by T scales the gaps between logits: a small T makes them large, and exp turns "
            "large gaps into a winner that takes almost all the probability (entropy near 0); a large T "
            "shrinks the gaps toward 0 and the distribution toward uniform (entropy near ln K). The "
            "ranking never changes, only how sure the distribution is."),
        charts=(Chart("entropy of softmax(z / T)", "temperature T", "entropy (nats)",
                      (("entropy", tuple(temps), tuple(entropy)),
                       ("ln K", (temps[0], temps[-1]), (ln_k, ln_k))), xlog=True),),
    )


# --- training ------------------------------------------------------------------------------


@lesson("initial-loss",
        claim="An untrained 10-class softmax network starts near loss ln 10.",
        source="common practice", command="actlab train blobs --classes 10")
def initial_loss(*, classes: int = 10, seeds: int = 16, init: str = "auto", near: float = 0.1,
                 small: float = 0.1) -> Measured:
    ds, _, _ = standardize(make_dataset("blobs", classes=classes))
    config, _ = setup.make_config(ds, activation=activations.get("relu"), optimizer="adam", init=init)
    r = make_run(config)
    data = prepare_data(ds.x_train, ds.y_train, config)

    def first_losses(seed):
        params = r.init(jax.random.key(seed), data).params
        w, b = params[-1]
        logits = model.apply(params, data[0], config.activation)
        shrunk = params[:-1] + [(small * w, b)]
        return r.evaluate(params, *data)[0], r.evaluate(shrunk, *data)[0], jnp.std(logits, axis=-1).mean()

    values = [np.asarray(v, np.float64) for v in jax.jit(jax.vmap(first_losses))(jnp.arange(seeds))]
    default, shrunk = float(values[0].mean()), float(values[1].mean())
    spread = float(values[2].mean())
    ln_k = math.log(classes)
    figures = {"loss": default, "ln_k": ln_k, "loss_small_last": shrunk, "logit_std": spread}

    def off(x):
        return f"off by {_pct(abs(x - ln_k) / ln_k)}"

    checks = (
        Check(f"{config.init.name} init: mean initial loss {_n(default, 4)} against ln {classes} = "
              f"{_n(ln_k, 4)}, {off(default)} (near: within {_pct(near)})", abs(default - ln_k) <= near * ln_k),
        Check(f"last layer's weights x {small:g}: {_n(shrunk, 4)}, {off(shrunk)}",
              abs(shrunk - ln_k) <= near * ln_k),
    )
    hidden = "-".join(map(str, config.sizes))
    return Measured(
        figures=figures, headline=("loss", "loss_small_last", "ln_k"),
        expected=f"loss within {_pct(near)} of ln_k = {_n(ln_k, 4)}",
        thresholds={"near": near, "last_layer_scale": small}, checks=checks,
        setup=(f"blobs with {classes} classes ({ds.x_train.shape[0]} training points, inputs standardised), "
               f"a {hidden} ReLU network with a softmax output ({config.init.name} init, as actlab train "
               f"builds it, and the same with the last layer's weights x {small:g}), the cross-entropy "
               f"before any step, mean over seeds 0-{seeds - 1}."),
        explanation=(
            "Equal logits make softmax uniform, 1/K for every class, and the cross-entropy -log(1/K) = "
            f"ln K ({_n(ln_k, 4)} for K = {classes}). Random logits are not equal: with a spread s the "
            "loss is about ln K + s^2/2, higher the larger the spread. Here the logits of one example "
            f"spread by {_n(spread, 2)}, which puts the loss at {_n(default, 3)}; shrinking the last layer "
            f"brings it to {_n(shrunk, 4)}. So a first loss near ln K means small last-layer weights; far "
            "above it, over-confident random logits (too large an init); far below, a bug such as a "
            "label leaking into the inputs."),
    )


@lesson("adam-step",
        claim="Adam's first update is lr * sign(g) for every parameter, whatever the size of g.",
        source="Kingma & Ba 2015", command="actlab train moons --opt adam --lr 0.01")
def adam_step(*, lr: float = 0.01, scales: Sequence[float] = (1e-3, 1.0, 1e3), g_min: float = 1e-5,
              tolerance: float = 1e-2) -> Measured:
    ds = make_dataset("moons")
    config, _ = setup.make_config(ds, activation=activations.get("relu"), optimizer="adam")
    r = make_run(config)
    data = prepare_data(ds.x_train, ds.y_train, config)
    params = r.init(jax.random.key(0), data).params
    grads = jax.grad(lambda p: r.evaluate(p, *data)[0])(params)
    g = np.concatenate([np.ravel(leaf) for leaf in jax.tree.leaves(grads)])

    @jax.jit
    def first_step(gradient):
        opt = optim.make_optimizer("adam", lr)
        update, _ = opt.update(gradient, opt.init(gradient), gradient)
        return update

    deviation, checked = 0.0, 0
    for scale in scales:
        scaled = jax.tree.map(lambda leaf: leaf * jnp.asarray(scale, leaf.dtype), grads)
        step = np.concatenate([np.ravel(leaf) for leaf in jax.tree.leaves(first_step(scaled))])
        gs = g * scale
        big = np.abs(gs) >= g_min
        deviation = max(deviation, float(np.max(np.abs(step[big] / lr + np.sign(gs[big])))))
        checked += int(big.sum())
    sizes = np.geomspace(1e-12, 1e3, 61).astype(np.float32)
    curve = np.abs(np.asarray(first_step(jnp.asarray(sizes)))) / lr
    at_eps = float(np.interp(np.log(1e-8), np.log(sizes), curve))
    figures = {"max_rel_deviation": deviation, "checked": float(checked), "step_at_eps": at_eps}
    checks = (Check(f"first step over -lr * sign(g): largest deviation {_n(deviation, 2)} over {checked} "
                    f"gradient entries with |g| >= {g_min:g} at scales {', '.join(f'{s:g}' for s in scales)} "
                    f"(at most {tolerance:g})", deviation <= tolerance),)
    return Measured(
        figures=figures, headline=("max_rel_deviation",),
        expected=f"max_rel_deviation <= {tolerance:g} wherever |g| >= {g_min:g}",
        thresholds={"max_rel_deviation_max": tolerance, "g_min": g_min}, checks=checks,
        setup=(f"The gradient of an untrained {'-'.join(map(str, config.sizes))} ReLU network on moons "
               f"(float32, {g.size} parameters), multiplied by {', '.join(f'{s:g}' for s in scales)}, and "
               f"one step of optax's Adam (lr {lr:g}, eps 1e-8) from a fresh state; also a single "
               "parameter's gradient from 1e-12 to 1e3."),
        explanation=(
            "At step 1 the bias-corrected moments are m = g and v = g^2 exactly, so the update is "
            "-lr g / (|g| + eps) = -lr sign(g) |g| / (|g| + eps): lr in every coordinate, however large "
            "or small g is, as long as |g| is well above eps = 1e-8. That is where it breaks: at "
            f"|g| = eps the step is {_n(at_eps, 2)} lr, and below it shrinks like |g| / eps."),
        charts=(Chart("|first Adam step| / lr against |g|", "|g|", "|step| / lr",
                      (("adam", tuple(float(v) for v in sizes), tuple(float(v) for v in curve)),), xlog=True),),
    )


@lesson("adam-lr",
        claim="Adam is less sensitive to the learning rate than plain gradient descent.",
        source="course notes", command="actlab sweep xor --act relu,tanh --opt adam,sgd --lr 0.001,0.01,0.1,1")
def adam_lr(*, names: Sequence[str] = ("relu", "tanh"), optimizers: Sequence[str] = ("adam", "sgd"),
            lrs: Sequence[float] = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0),
            seeds: int = 32, steps: int = 500, good: float = 0.9) -> Measured:
    ds = make_dataset("xor")
    result = sweep(ds, activations=[activations.get(n) for n in names], optimizers=list(optimizers),
                   lrs=list(lrs), seeds=seeds, steps=steps)
    rate = {(c.activation, c.optimizer, c.lr): c.success_rate for c in result.configs}
    figures, checks, series = {}, [], []
    first, second = optimizers
    for name in names:
        count = {}
        for opt in optimizers:
            rates = [rate[name, opt, float(lr)] for lr in lrs]
            count[opt] = sum(r >= good for r in rates)
            figures[f"{name}_{opt}_good_lrs"] = float(count[opt])
            figures[f"{name}_{opt}_mean_success"] = float(np.mean(rates))
            series.append((f"{name} {opt}", tuple(lrs), tuple(rates)))
        checks.append(Check(f"{name}: {first} succeeds on {count[first]} of the {len(lrs)} learning rates, "
                            f"{second} on {count[second]} (success: at least {_pct(good)} of {seeds} seeds)",
                            count[first] > count[second]))
    span = f"{min(lrs):g} to {max(lrs):g}"
    return Measured(
        figures=figures, headline=tuple(f"{n}_{o}_good_lrs" for n in names for o in optimizers),
        expected=f"{{act}}_{first}_good_lrs > {{act}}_{second}_good_lrs",
        thresholds={"good_success_min": good}, checks=tuple(checks),
        setup=(f"XOR, a 2-16-1 network with {' or '.join(names)} hidden units, {steps} full-batch steps of "
               f"{' or '.join(optimizers)} at {len(lrs)} learning rates from {span} (half decades), "
               f"{seeds} seeds each; a learning rate works when at least {_pct(good)} of the seeds get all "
               "four points right."),
        explanation=(
            "Plain gradient descent steps by lr * g, so the right lr depends on the size of the gradient "
            "and is easy to miss by a factor of 10 either way. Adam divides by a running root mean "
            "square of g, so each parameter moves by about lr whatever its gradient's scale (lesson "
            "adam-step): one lr works over a wider range. Too large an lr still breaks Adam; the grid "
            "shows where."),
        charts=(Chart("share of seeds that solve XOR", "learning rate", "success", tuple(series), xlog=True),),
    )


@lesson("multi-label",
        claim="Several independent labels need one sigmoid each, not a softmax.",
        source="course notes", command="actlab train multilabel --out softmax")
def multi_label(*, name: str = "relu", heads: Sequence[str] = ("sigmoid", "softmax"), seeds: int = 8,
                steps: int = 500) -> Measured:
    ds = make_dataset("multilabel")
    lr = setup.default_lr(ds, "adam")
    results = {head: sweep(ds, activations=[activations.get(name)], optimizers=["adam"], lrs=[lr], seeds=seeds,
                           steps=steps, output=head) for head in heads}
    stats = {head: result.configs[0] for head, result in results.items()}
    threshold = results[heads[0]].threshold
    on = np.asarray(ds.y_test).sum(1)
    labels = ds.y_test.shape[1]
    several = float(np.mean(on >= 2))
    # With at most one output above 0.5, a row with k labels on has at least k - 1 wrong.
    bound = float(1 - np.mean(np.maximum(on - 1, 0)) / labels)
    good, bad = heads
    figures = {f"{h}_accuracy": stats[h].accuracy_median for h in heads}
    figures.update({f"{h}_success": stats[h].success_rate for h in heads})
    figures["several_labels"], figures["softmax_bound"] = several, bound
    checks = (Check(f"{good} outputs: {_share(stats[good].successes, seeds)} of the seeds reach per-label "
                    f"accuracy {threshold:g}; {bad}: {_share(stats[bad].successes, seeds)} (better: 95% "
                    "intervals apart)", stats[good].ci95[0] > stats[bad].ci95[1]),)
    return Measured(
        figures=figures, headline=(f"{good}_accuracy", f"{bad}_accuracy", "softmax_bound"),
        expected=f"{good}_success above {bad}_success beyond their 95% intervals",
        thresholds={"success_accuracy": threshold}, checks=checks,
        setup=(f"multilabel (2-D points with {labels} labels at once), a 2-16-16-{labels} {name} network with "
               f"{' or '.join(heads)} outputs, {steps} full-batch Adam steps at lr {lr:g}, {seeds} seeds; "
               "per-label accuracy on the held-out quarter."),
        explanation=(
            "A softmax makes the outputs compete: they sum to 1, so at most one can pass 0.5, and a row "
            f"with two labels on always has one wrong. {_pct(several)} of the test rows have two or more "
            f"labels, which caps a softmax's per-label accuracy at {_n(bound)} (measured "
            f"{_n(figures[f'{bad}_accuracy'])}); one sigmoid per label decides each on its own "
            f"({_n(figures[f'{good}_accuracy'])})."),
    )


@lesson("backprop-cost",
        claim="Backpropagation costs about N + P steps where separate derivatives cost N x P.",
        source="course notes", command="actlab grad tanh --cost")
def backprop_cost(*, name: str = "tanh", widths: Sequence[int] = (8, 16, 32, 64), repeats: int = 3,
                  few: float = 10.0, growth: float = 0.75) -> Measured:
    result = gradflow.backprop_cost(activations.get(name), widths=widths, repeats=repeats)
    rows = result.rows
    reverse = [r.reverse_s / r.loss_s for r in rows]
    finite = [r.finite_diff_s / r.loss_s for r in rows]
    ps = [r.n_params for r in rows]
    slope = _slope(ps, finite)
    figures = {"P": float(ps[-1]), "reverse_passes": reverse[-1], "finite_diff_passes": finite[-1],
               "growth": slope}
    checks = (
        Check(f"reverse mode: {', '.join(_n(v, 2) for v in reverse)} forward passes for P = "
              f"{', '.join(map(str, ps))} (a few: at most {few:g} at every P)", max(reverse) <= few),
        Check(f"finite differences: {', '.join(_n(v, 3) for v in finite)} forward passes, growing like "
              f"P^{slope:.2f} (like P: exponent at least {growth:g})", slope >= growth),
    )
    return Measured(
        figures=figures, headline=("reverse_passes", "finite_diff_passes", "growth", "P"),
        expected=f"reverse_passes <= {few:g} at every P; finite_diff_passes grow like P^growth, growth >= {growth:g}",
        thresholds={"few_passes_max": few, "growth_min": growth}, checks=checks,
        setup=(f"{name} MLPs {result.n_in} -> {result.depth} x width -> 1 for widths "
               f"{', '.join(map(str, widths))}, batch {result.batch}, {result.dtype}; seconds per full "
               f"gradient (best of {repeats}) by reverse mode (jax.grad) and by central differences one "
               "parameter at a time, in units of one forward pass."),
        explanation=(
            "Reverse mode runs the network forward once, keeping each layer's intermediate values, then "
            "once backward reusing them: a few forward passes' worth for all P derivatives at once "
            f"({_n(reverse[-1], 2)} at P = {ps[-1]}), about N + P steps. Nudging each parameter on its own "
            f"takes two forward passes per parameter ({_n(finite[-1], 3)} passes at P = {ps[-1]}, against "
            f"2P = {2 * ps[-1]}): N x P steps."),
        charts=(Chart("seconds per gradient in forward passes", "parameters P", "forward passes",
                      (("reverse (jax.grad)", tuple(ps), tuple(reverse)),
                       ("finite differences", tuple(ps), tuple(finite))), xlog=True, ylog=True),),
    )


def _multiply_adds(config) -> int:
    """Multiply-adds per example: 9 c_in c_out per output pixel of a 3x3
    convolution, n_in n_out for a dense layer."""
    total, sizes = 0, list(config.sizes)
    if config.conv is not None:
        shapes = config.conv.shapes()
        total += sum(h * w * model.WINDOW ** 2 * c_in * c_out
                     for (_, _, c_in), (h, w, c_out) in zip(shapes, shapes[1:]))
    return total + sum(a * b for a, b in zip(sizes, sizes[1:]))


@lesson("conv-vs-dense",
        claim="Convolutional layers need fewer parameters, compute faster and overfit less than dense ones.",
        source="course notes", command="actlab train digits --conv")
def conv_vs_dense(*, channels: Sequence[int] = setup.CONV_CHANNELS, seeds: int = 4) -> Measured:
    ds = load_bundled("digits")
    relu, lr = activations.get("relu"), setup.default_lr(ds, "adam")
    conv = model.Conv(ds.image, tuple(channels))
    twin = tuple(h * w * c for h, w, c in conv.shapes()[1:])  # the same layers, every unit seeing every input
    setups = {"conv": dict(conv=tuple(channels)), "dense": dict(hidden=twin)}
    runs, size, work = {}, {}, {}
    for kind, kw in setups.items():
        runs[kind] = sweep(ds, activations=[relu], optimizers=["adam"], lrs=[lr], seeds=seeds, **kw)
        config, _ = setup.make_config(ds, activation=relu, optimizer="adam", **kw)
        data = prepare_data(ds.x_train, ds.y_train, config)
        # The shapes of the initial parameters, traced, not computed.
        size[kind] = model.count_params(jax.eval_shape(make_run(config).init, jax.random.key(0), data).params)
        work[kind] = _multiply_adds(config)
    stats = {kind: r.configs[0] for kind, r in runs.items()}
    seconds = {kind: r.train_seconds for kind, r in runs.items()}
    gap = {kind: s.train_accuracy_median - s.accuracy_median for kind, s in stats.items()}
    figures = {"conv_params": float(size["conv"]), "dense_params": float(size["dense"]),
               "conv_multiply_adds": float(work["conv"]), "dense_multiply_adds": float(work["dense"]),
               "conv_seconds": seconds["conv"], "dense_seconds": seconds["dense"],
               "conv_train_accuracy": stats["conv"].train_accuracy_median,
               "dense_train_accuracy": stats["dense"].train_accuracy_median,
               "conv_test_accuracy": stats["conv"].accuracy_median,
               "dense_test_accuracy": stats["dense"].accuracy_median,
               "conv_gap": gap["conv"], "dense_gap": gap["dense"]}
    checks = (
        Check(f"parameters: {size['conv']} (conv) against {size['dense']} (dense), "
              f"{_n(size['dense'] / size['conv'], 2)} times fewer (fewer: below the dense count)",
              size["conv"] < size["dense"]),
        Check(f"training time, {seeds} seeds x {runs['conv'].steps} steps: {_n(seconds['conv'], 2)} s (conv) "
              f"against {_n(seconds['dense'], 2)} s (dense), with {_n(work['dense'] / work['conv'], 2)} times "
              "fewer multiply-adds per example for the conv (faster: less time)", seconds["conv"] < seconds["dense"]),
        Check(f"overfitting, training minus test accuracy (medians): {_n(gap['conv'], 2)} (conv) against "
              f"{_n(gap['dense'], 2)} (dense); test accuracy {_n(stats['conv'].accuracy_median)} against "
              f"{_n(stats['dense'].accuracy_median)} (less: a smaller gap)", gap["conv"] < gap["dense"]),
    )
    shapes = " -> ".join(f"{h}x{w}x{c}" for h, w, c in conv.shapes())
    faster = seconds["conv"] < seconds["dense"]
    return Measured(
        figures=figures, headline=("conv_params", "dense_params", "conv_seconds", "dense_seconds", "conv_gap",
                                   "dense_gap"),
        expected="conv_params < dense_params; conv_seconds < dense_seconds; conv_gap < dense_gap",
        thresholds={}, checks=checks,
        setup=(f"digits ({ds.x_train.shape[0]} training images of 8x8, {ds.x_test.shape[0]} held out); a ReLU "
               f"network of two 3x3 convolutions with stride 2 ({shapes}) and a dense output layer, "
               f"against its dense twin {'-'.join(map(str, (ds.n_features, *twin, ds.n_outputs)))}: the same "
               f"layers, each unit connected to every input instead of a 3x3 window; Adam at lr {lr:g}, "
               f"mini-batches of {runs['conv'].batch}, {runs['conv'].steps} steps, {seeds} seeds each, "
               "as one vmapped program per network."),
        explanation=(
            "A convolution uses one small set of weights, 9 c_in c_out of them, in every window: that is "
            "the parameter saving, and each output pixel reads 9 inputs, not all of them, which is the "
            f"saving in multiply-adds ({work['conv']} against {work['dense']} per example). Whether that "
            "is faster depends on the kernels: "
            + ("here the convolution also ran faster. " if faster else
               f"here it ran {_n(seconds['conv'] / seconds['dense'], 2)} times slower: on {jax.default_backend()} "
               "XLA's convolution of 8x8 images does not run at the speed of a dense matrix product, so "
               "fewer operations did not mean less time. ")
            + "Fewer parameters leave less room to memorise the training set; "
            + ("the conv's smaller gap shows it here." if gap["conv"] < gap["dense"] else
               f"on these {ds.x_train.shape[0]} images the networks reach training accuracies of "
               f"{_n(stats['conv'].train_accuracy_median)} (conv) and {_n(stats['dense'].train_accuracy_median)} "
               "(dense), and the dense one loses less on the held-out images, so the claim does not show "
               "here.")),
    )
