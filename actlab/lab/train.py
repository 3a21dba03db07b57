"""Training small networks: one compiled program per shape, a pure run function.

The building block is a pure function of (key, learning rate, data), built
once per configuration, which ``actlab sweep`` vmaps over seeds and learning
rates and shards over devices::

    config = TrainConfig(task="binary", sizes=(2, 8, 1), activation=activations.get("tanh"),
                         optimizer="adam", output="sigmoid", loss="bce", steps=2000)
    r = make_run(config)                   # cached: one config -> one set of functions
    data = prepare_data(ds.x_train, ds.y_train, config)   # (x, y) in the right dtypes
    out = r.run(key, lr, data)             # -> RunOutput, all jax arrays
    out.loss[t], out.score[t]              # (steps,): loss and accuracy (R^2 for regression)
                                           #   of the batch at step t, i.e. of the params
                                           #   after t updates (t = 0 is the initial net)
    out.final_loss, out.final_score        # after all `steps` updates, on the whole data
    out.params                             # [(W, b), ...]

    run_many = jax.jit(jax.vmap(r.run, in_axes=(0, 0, None)))   # runs axis first
    many = run_many(jax.random.split(jax.random.key(0), 1024), lrs, data)
    many.final_score                       # (1024,)

Nothing in ``run`` is Python-side state: the loop is a ``lax.scan``; the
optimizer is rebuilt from the traced ``lr`` (its state's structure does not
depend on it); ``key`` alone decides the initial weights and the mini-batches.
``lr`` is cast to the config's dtype. ``x`` has the config's float dtype;
``y`` holds int32 class ids (binary / multi-class: shape (n,)), int32 0/1
(multi-label: (n, L)) or floats (regression: (n, outputs)). Data generation is
deterministic in its own seed (``actlab.blocks.data``, numpy), so many runs can share
one dataset. ``actlab.lab.heads.choose_head(task, n_outputs)`` gives the
output layer and loss by the task rules; ``trace_count()`` counts traces of
the training loop.

Lower-level pieces, for a driver that wants progress (``train`` uses them):
``r.init(key, data) -> TrainState`` (for regression, data sets the output
bias to the target mean); ``r.steps(state, lr, data, total, length=C)`` runs C
scan steps and leaves the state unchanged after step ``total`` (so one
compiled chunk length serves any step count); ``r.evaluate(params, x, y) ->
(loss, score)``; ``r.predict(params, x)`` gives the output layer's values
(probabilities for sigmoid/softmax); ``r.inside(params, x)`` the dead and
saturated fractions and the output mean and std of each hidden layer
(``actlab.lab.layers.activation_stats``). ``r.steps(..., checkpoints)``
also measures the hidden layers at the steps in ``checkpoints`` (an int32
array, padded with -1 if need be) and returns them as a third history,
(C, hidden layers, 6), zero at other steps (``actlab.lab.layers``).

``train(config, dataset, lr=..., seed=...)`` is what ``actlab train`` calls:
it compiles ahead of time (timed apart from training), runs in chunks with a
progress callback, and returns a ``TrainResult``. Compiled programs are kept
per configuration and shapes, so a second run with the same shapes compiles
nothing; across processes jax's persistent compilation cache (turned on by
``actlab.runtime.configure``) does the same.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from actlab.blocks import model, optim
from actlab.blocks.data import CLASSIFICATION, LOGIC_GATES, Dataset
from actlab.errors import ActlabError
from actlab.lab import layers
from actlab.lab.heads import Head, head_loss, output_values, score

# --- the configuration and the pure run function -------------------------------------


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that fixes the compiled program (the learning rate and the key do not).

    Attributes:
      task: one of ``actlab.blocks.data.TASKS``.
      sizes: layer widths, input first, outputs last: (n_in, h_1, ..., n_out).
      activation: an ``Activation`` from the registry (one object per name and
        parameters, so it hashes stably) or any elementwise jnp function.
      optimizer: an ``actlab.blocks.optim`` name.
      output, loss: the head (``choose_head``).
      steps: number of optimizer steps of ``run``.
      batch: mini-batch size drawn without replacement each step; None: full batch.
      l2: weight-matrix L2 coefficient.
      l1: weight-matrix L1 coefficient.
      init: the weight init (``actlab.blocks.model.parse_init``).
      dtype: parameter and input dtype name.
      features: None (the data's columns are the inputs), or a function of
        the data's inputs (n, columns) -> (n, sizes[0]) computed inside the
        program (``actlab.catalog.features``), so pictures stay in the data's plane.
    """

    task: str
    sizes: tuple[int, ...]
    activation: Any
    optimizer: str = "adam"
    output: str = "sigmoid"
    loss: str = "bce"
    steps: int = 1000
    batch: int | None = None
    l2: float = 0.0
    init: model.Init = model.Init("glorot")
    dtype: str = "float32"
    l1: float = 0.0
    features: Any = None

    def __post_init__(self):
        if self.dtype == "float16":
            raise ActlabError("--dtype float16 cannot train here: optimizer constants such as Adam's "
                              "eps = 1e-8 round to 0 in float16 and give NaN; use bfloat16 or float32")
        if self.steps < 1:
            raise ActlabError(f"bad --steps {self.steps}: must be >= 1")

    @property
    def head(self) -> Head:
        return Head(self.output, self.loss, self.sizes[-1])


class TrainState(NamedTuple):
    params: Any
    opt_state: Any
    key: Any  # for mini-batches
    step: Any  # int32 scalar: optimizer steps taken


class RunOutput(NamedTuple):
    params: Any
    loss: Any  # (steps,)
    score: Any  # (steps,)
    final_loss: Any  # scalar
    final_score: Any  # scalar


class Run(NamedTuple):
    """Pure functions of one configuration (see the module docstring)."""

    config: TrainConfig
    init: Callable
    steps: Callable
    run: Callable
    evaluate: Callable
    predict: Callable
    inside: Callable


_TRACES: Counter = Counter()


def trace_count() -> int:
    """How many times a training loop has been traced (compiled) in this process."""
    return sum(_TRACES.values())


@functools.lru_cache(maxsize=128)
def make_run(config: TrainConfig) -> Run:
    """The pure functions of one training configuration; see the module docstring."""
    optim.check_name(config.optimizer)
    dtype = jnp.dtype(config.dtype)
    act = config.activation
    head = config.head
    task = config.task

    def inputs(x):
        return x if config.features is None else config.features(x)

    def forward(params, x):
        return model.apply(params, inputs(x), act)

    def loss_and_score(params, x, y):
        logits = forward(params, x)
        return head_loss(logits, y, task, head), score(logits, y, task, head)

    def init(key, data):
        k_init, k_batch = jax.random.split(key)
        params = model.init_mlp(key=k_init, sizes=list(config.sizes), init=config.init, dtype=dtype)
        if task not in CLASSIFICATION:
            # Start near the best constant: output bias at the target mean, last
            # weights scaled by 0.1. A ReLU output then starts alive on every
            # example; with a bias at 0 (or large last weights) a part of the
            # input range starts at z < 0, where its gradient is 0 for good.
            w, _ = params[-1]
            params[-1] = (0.1 * w, jnp.mean(data[1], 0).astype(dtype))
        opt_state = optim.make_optimizer(config.optimizer, jnp.asarray(1.0, dtype), l2=config.l2, l1=config.l1).init(params)
        return TrainState(params, opt_state, k_batch, jnp.zeros((), jnp.int32))

    def steps(state, lr, data, total, checkpoints=None, *, length: int):
        _TRACES[config] += 1  # runs only while tracing
        x, y = data
        n = x.shape[0]
        opt = optim.make_optimizer(config.optimizer, jnp.asarray(lr, dtype), l2=config.l2, l1=config.l1)
        grad_fn = jax.value_and_grad(loss_and_score, has_aux=True)

        def record(step, params, grads, updates):
            # Only at a checkpoint: a pass over every training example (lax.cond
            # runs one branch, outside vmap).
            def measure():
                return layers.layer_stats(params, grads, updates, inputs(x), act)

            blank = jax.eval_shape(measure)
            return lax.cond(jnp.any(checkpoints == step), measure,
                            lambda: jnp.zeros(blank.shape, blank.dtype))

        def body(state, _):
            key, sub = jax.random.split(state.key)
            if config.batch and config.batch < n:
                idx = jax.random.choice(sub, n, (config.batch,), replace=False)
                xb, yb = x[idx], y[idx]
            else:
                xb, yb = x, y
            (loss, sc), grads = grad_fn(state.params, xb, yb)
            updates, opt_state = opt.update(grads, state.opt_state, state.params)
            out = (loss, sc)
            if checkpoints is not None:
                out += (record(state.step + 1, state.params, grads, updates),)
            params = jax.tree.map(lambda p, u: (p + u).astype(p.dtype), state.params, updates)
            # Past `total` the state stays put: one chunk length serves any step count.
            active = state.step < total
            keep = lambda new, old: jnp.where(active, new, old)  # noqa: E731
            new = TrainState(jax.tree.map(keep, params, state.params),
                             jax.tree.map(keep, opt_state, state.opt_state),
                             key, state.step + active.astype(jnp.int32))
            return new, out

        return lax.scan(body, state, None, length=length)

    def evaluate(params, x, y):
        return loss_and_score(params, x, y)

    def predict(params, x):
        return output_values(forward(params, x), head.output)

    def inside(params, x):
        return layers.activation_stats(params, inputs(x), act)

    def run(key, lr, data):
        state, (loss, sc) = steps(init(key, data), lr, data, config.steps, length=config.steps)
        final_loss, final_score = evaluate(state.params, *data)
        return RunOutput(state.params, loss, sc, final_loss, final_score)

    return Run(config, init, steps, run, evaluate, predict, inside)


@functools.lru_cache(maxsize=128)
def _jit_predict(config: TrainConfig):
    return jax.jit(make_run(config).predict)


def prepare_data(x, y, config: TrainConfig):
    """(x, y) as jax arrays in the dtypes ``run`` expects."""
    x = jnp.asarray(np.asarray(x), jnp.dtype(config.dtype))
    if config.task in CLASSIFICATION:
        y = jnp.asarray(np.asarray(y), jnp.int32)
    else:
        y = jnp.asarray(np.asarray(y), jnp.dtype(config.dtype))
    return x, y


# --- the driver behind `actlab train` -------------------------------------------------


class History(NamedTuple):
    step: np.ndarray  # 1..steps
    loss: np.ndarray  # training loss before each update (of the batch)
    score: np.ndarray  # accuracy or R^2 before each update (of the batch)


class Regions(NamedTuple):
    """Predicted class on a grid over the input plane (2-D classification)."""

    xs: np.ndarray  # (nx,) grid x coordinates
    ys: np.ndarray  # (ny,) grid y coordinates, increasing
    cls: np.ndarray  # (ny, nx) predicted class
    prob: np.ndarray  # (ny, nx) probability of class 1 (binary) or of the predicted class


class Curve(NamedTuple):
    """The fitted function on a line (1-D regression)."""

    x: np.ndarray
    y: np.ndarray


class TruthRow(NamedTuple):
    x1: float
    x2: float
    target: int
    probability: float  # of class 1
    predicted: int


class TrainResult(NamedTuple):
    dataset: str
    task: str
    activation: str
    optimizer: str
    lr: float
    steps: int
    batch: int | None
    hidden: tuple[int, ...]
    output: str
    loss: str
    seed: int
    final_loss: float  # on the training data, after training
    test_loss: float | None
    accuracy: float | None  # held-out when there is a split, else training
    train_accuracy: float | None
    r2: float | None
    train_r2: float | None
    train_seconds: float
    compile_seconds: float
    backend: str
    n_train: int
    n_test: int
    history: History
    params: list
    regions: Regions | None
    curve: Curve | None
    truth_table: list | None
    points: tuple  # (x_train, y_train, x_test, y_test) as numpy, for pictures
    class_names: tuple
    notes: tuple
    label_regions: tuple | None = None  # multi-label 2-D data: one binary Regions per label
    activation_params: dict | None = None
    layers: layers.LayerHistory | None = None  # inside each hidden layer, at the checkpoints
    layer_notes: tuple = ()  # what the layers did, with suggestions
    interrupted: bool = False  # stopped by Ctrl-C after ``steps`` of the planned updates
    l1: float = 0.0
    l2: float = 0.0
    features: tuple | None = None  # the input formulas, when not the data's columns


_COMPILED: dict = {}


def _compiled(name, fn, args, static=None):
    """An ahead-of-time compiled ``fn`` for these argument shapes, cached; -> (compiled, seconds)."""
    sig = (name, tuple(sorted((static or {}).items())), tuple((a.shape, str(a.dtype)) for a in jax.tree.leaves(args)),
           str(jax.tree.structure(args)))
    if sig in _COMPILED:
        return _COMPILED[sig], 0.0
    t0 = time.perf_counter()
    jitted = jax.jit(fn, static_argnames=tuple(static or {}))
    compiled = jitted.lower(*args, **(static or {})).compile()
    _COMPILED[sig] = compiled
    return compiled, time.perf_counter() - t0


def chunk_length(steps: int, chunks: int = 10) -> int:
    """Steps per compiled chunk: a power of two near steps / chunks, so runs of
    similar length share one program."""
    return min(1 << max(0, math.ceil(math.log2(max(1, math.ceil(steps / chunks))))), 4096)


class Frame(NamedTuple):
    """Training so far, after a chunk: what a live view draws."""

    step: int  # updates done
    steps: int  # updates planned
    history: History  # up to ``step``
    layers: layers.LayerHistory  # checkpoints up to ``step``
    regions: Regions | None  # at the current parameters (2-D binary or multi-class)
    curve: Curve | None  # at the current parameters (1-D regression)
    points: tuple  # as TrainResult.points
    class_names: tuple
    dataset: str
    test_loss: tuple | None  # (steps, losses) on the held-out split at each frame so far


def train(config: TrainConfig, ds: Dataset, *, lr: float, seed: int = 0,
          progress: Callable[[int, float], None] | None = None, chunk: int | None = None,
          grid: int = 101, watch: Callable[[Frame], None] | None = None,
          stop_on_interrupt: bool = False) -> TrainResult:
    """Trains one network on ``ds`` and measures it, its layers included.

    Args:
      config: the configuration (its ``steps`` is the step count).
      ds: the data (``actlab.blocks.data``).
      lr: learning rate (> 0).
      seed: seeds the initial weights and the mini-batches.
      progress: called with (0, nan) once compiled, then after each chunk with
        (steps done, last loss).
      chunk: steps per compiled chunk (default: ``chunk_length(steps)``).
      grid: resolution of the decision-region grid for 2-D classification.
      watch: called after each chunk with a ``Frame`` (its pictures cost a
        prediction on the grid each time).
      stop_on_interrupt: a KeyboardInterrupt (Ctrl-C) while training ends the
        run at the last finished chunk, whose result comes back with
        ``interrupted`` set; otherwise it propagates.
    """
    optim.check_lr(lr)
    r = make_run(config)
    dtype = jnp.dtype(config.dtype)
    data = prepare_data(ds.x_train, ds.y_train, config)
    test = prepare_data(ds.x_test, ds.y_test, config)
    key = jax.random.key(seed)
    lr_arr = jnp.asarray(lr, dtype)
    C = chunk or chunk_length(config.steps)
    total = jnp.asarray(config.steps, jnp.int32)
    steps_at = layers.checkpoint_steps(config.steps)
    checkpoints = jnp.asarray(steps_at, jnp.int32)

    init_c, t_init = _compiled(("init", config), r.init, (key, data))
    state = init_c(key, data)
    steps_c, t_steps = _compiled(("steps", config), r.steps, (state, lr_arr, data, total, checkpoints),
                                 {"length": C})
    eval_c, t_eval = _compiled(("eval", config), r.evaluate, (state.params, *data))
    eval_test, t_test = (_compiled(("eval", config), r.evaluate, (state.params, *test)) if ds.has_test
                         else (None, 0.0))
    compile_seconds = t_init + t_steps + t_eval + t_test
    if progress is not None:
        progress(0, math.nan)

    points = (ds.x_train, ds.y_train, ds.x_test if ds.has_test else None, ds.y_test if ds.has_test else None)
    losses, scores, inside, tested = [], [], [], []
    done, interrupted = 0, False
    t0 = time.perf_counter()
    try:
        while done < config.steps:
            new_state, (loss, sc, stats) = steps_c(state, lr_arr, data, total, checkpoints)
            chunk_out = np.asarray(loss), np.asarray(sc), np.asarray(stats)  # blocks until the chunk is done
            state = new_state
            for kept, part in zip((losses, scores, inside), chunk_out):
                kept.append(part)
            prev, done = done, min(done + C, config.steps)
            if progress is not None:
                progress(done, float(chunk_out[0][done - prev - 1]))
            if watch is not None:
                history, inside_so_far = _histories(losses, scores, inside, steps_at, done)
                regions, _, curve, _ = _pictures(r, state.params, ds, config, grid, truth=False)
                if eval_test is not None:
                    tested.append((done, float(eval_test(state.params, *test)[0])))
                watch(Frame(done, config.steps, history, inside_so_far, regions, curve, points,
                            ds.target_names, ds.name, tuple(map(np.array, zip(*tested))) if tested else None))
    except KeyboardInterrupt:
        if not stop_on_interrupt or done == 0:
            raise
        interrupted = True
    final_loss, final_score = (float(v) for v in eval_c(state.params, *data))
    train_seconds = time.perf_counter() - t0
    if ds.has_test:
        test_loss, test_score = (float(v) for v in eval_test(state.params, *test))
    else:
        test_loss, test_score = None, final_score

    params = [(np.asarray(w), np.asarray(b)) for w, b in state.params]
    history, inside = _histories(losses, scores, inside, steps_at, done)
    classify = config.task in CLASSIFICATION
    regions, label_regions, curve, truth = _pictures(r, state.params, ds, config, grid)

    activation = getattr(config.activation, "name", str(config.activation))
    notes = [f"interrupted at step {done} of {config.steps}: the report is for that step"] * interrupted
    notes += _notes(config, ds, final_score)
    return TrainResult(
        dataset=ds.name, task=config.task, activation=activation,
        optimizer=config.optimizer, lr=float(lr), steps=done, batch=config.batch,
        hidden=tuple(config.sizes[1:-1]), output=config.output, loss=config.loss, seed=seed,
        final_loss=final_loss, test_loss=test_loss,
        accuracy=test_score if classify else None, train_accuracy=final_score if classify else None,
        r2=None if classify else test_score, train_r2=None if classify else final_score,
        train_seconds=train_seconds, compile_seconds=compile_seconds, backend=jax.default_backend(),
        n_train=int(ds.x_train.shape[0]), n_test=int(ds.x_test.shape[0]) if ds.has_test else 0,
        history=history, params=params, regions=regions, curve=curve, truth_table=truth,
        points=points, class_names=ds.target_names, notes=tuple(notes), label_regions=label_regions,
        activation_params=dict(getattr(config.activation, "params", {}) or {}),
        layers=inside, layer_notes=layers.layer_notes(inside, activation=activation, lr=float(lr),
                                                      saturates=getattr(config.activation, "saturates", "none")),
        interrupted=interrupted, l1=config.l1, l2=config.l2,
        features=config.features.formulas if config.features is not None else None,
    )


def _notes(config: TrainConfig, ds: Dataset, final_score: float) -> list[str]:
    """What a linear network can and cannot do here."""
    notes = []
    inputs = "the features" if config.features is not None else "the inputs"
    linear_hidden = getattr(config.activation, "name", "") == "linear" and len(config.sizes) > 2
    if linear_hidden:
        notes.append(f"with --act linear every layer is affine, so the whole network is one affine "
                     f"map of {inputs} (logistic regression with a sigmoid output)")
    elif len(config.sizes) == 2:
        notes.append(f"no hidden layer: the network is one affine map of {inputs} (logistic "
                     "regression with a sigmoid output)")
    if (linear_hidden or len(config.sizes) == 2) and ds.name in ("xor", "xor-noisy"):
        if config.features is None:
            notes.append("XOR is not linearly separable: no line splits (0,0),(1,1) from (0,1),(1,0), "
                         "so a linear network cannot pass 75% accuracy; a non-linear hidden layer can")
        elif ds.name == "xor" and final_score == 1.0:
            notes.append(f"with the features {', '.join(config.features.formulas)} one affine map "
                         "separates XOR: the features made it linearly separable")
    return notes


def _histories(losses, scores, inside, steps_at, done):
    """(History, LayerHistory) of the first ``done`` steps from the chunks' outputs."""
    loss, score = (np.concatenate(parts)[:done] for parts in (losses, scores))
    keep = steps_at[steps_at <= done]
    rows = np.concatenate(inside)[keep - 1]  # step s is row s - 1
    return History(np.arange(1, done + 1), loss, score), layers.LayerHistory.from_rows(keep, rows)


def _pictures(r: Run, params, ds: Dataset, config: TrainConfig, grid: int, truth: bool = True):
    """(regions, label regions, fitted curve, truth table) at ``params``, those
    that the data has (2-D classification, 1-D regression, a logic gate)."""
    regions = label_regions = curve = rows = None
    x_all = np.concatenate([ds.x_train, ds.x_test]) if ds.has_test else ds.x_train
    if ds.n_features == 2 and config.task in ("binary", "multi-class"):
        regions = _regions(r, params, x_all, config, grid)
    if ds.n_features == 2 and config.task == "multi-label" and truth:
        label_regions = _regions(r, params, x_all, config, grid, per_label=True)
    if ds.n_features == 1 and config.task not in CLASSIFICATION:
        lo, hi = float(x_all.min()), float(x_all.max())
        xs = np.linspace(lo, hi, 201)
        ys = np.asarray(_jit_predict(config)(params, jnp.asarray(xs[:, None], jnp.dtype(config.dtype))))[:, 0]
        curve = Curve(xs, ys)
    if ds.name in LOGIC_GATES and truth:
        p = np.asarray(_jit_predict(config)(params, jnp.asarray(ds.x_train, jnp.dtype(config.dtype))))
        p1 = p[:, 0] if p.shape[1] == 1 else p[:, 1]
        rows = [TruthRow(float(a), float(b), int(t), float(q), int(q > 0.5))
                for (a, b), t, q in zip(ds.x_train, ds.y_train, p1)]
    return regions, label_regions, curve, rows


def _regions(r: Run, params, x, config, n, per_label=False):
    lo, hi = x.min(0), x.max(0)
    pad = 0.1 * np.maximum(hi - lo, 1e-9)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], n)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], n)
    gx, gy = np.meshgrid(xs, ys)
    pts = jnp.asarray(np.stack([gx.ravel(), gy.ravel()], 1), jnp.dtype(config.dtype))
    p = np.asarray(_jit_predict(config)(params, pts), np.float64)
    if per_label:  # each label on (p > 0.5) or off, on its own
        return tuple(Regions(xs, ys, (p[:, k] > 0.5).astype(np.int64).reshape(n, n), p[:, k].reshape(n, n))
                     for k in range(p.shape[1]))
    if p.shape[1] == 1:
        prob = p[:, 0]
        cls = (prob > 0.5).astype(np.int64)
    else:
        cls = p.argmax(1)
        prob = p[:, 1] if p.shape[1] == 2 else p.max(1)
    return Regions(xs, ys, cls.reshape(n, n), prob.reshape(n, n))
