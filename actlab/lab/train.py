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
depend on it); ``key`` alone decides the initial weights and the mini-batches
(``batch_of``: one shuffle per epoch, then slices, so a step costs O(batch)
whatever the number of rows). ``lr`` is cast to the parameters' dtype. ``x``
has the config's float dtype; ``y`` holds int32 class ids (binary /
multi-class: shape (n,)), int32 0/1 (multi-label: (n, L)) or floats
(regression: (n, outputs)). Data generation is deterministic in its own seed
(``actlab.blocks.data``, numpy), so many runs can share one dataset.
``actlab.lab.heads.choose_head(task, n_outputs)`` gives the output layer and
loss by the task rules; ``trace_count()`` counts traces of the training loop.

Lower-level pieces (``sweep`` and ``train`` use them): ``r.init(key, data) ->
TrainState`` (for regression, data sets the output bias to the target mean);
``r.steps(state, lr, data, total, length=C, start=t)`` runs C scan steps from
step t and leaves the state unchanged after step ``total`` (so one compiled
chunk length serves any step count); ``r.evaluate(params, x, y) -> (loss,
score)``; ``r.predict(params, x)`` gives the output layer's values
(probabilities for sigmoid/softmax); ``r.inside(params, x)`` the dead and
saturated shares and the output mean and std of each hidden layer, and
``r.measure(state, lr, data)`` those with the gradient norm and the
update-to-weight ratio (``actlab.lab.layers``).

``train(config, dataset, lr=..., seed=...)`` is what ``actlab train`` calls.
It compiles one program (``make_program``: initialisation, a chunk of steps
with checkpoints of the train and test loss and, at about ``layers.CHECKPOINTS``
of them, the hidden layers; or the final measurements) ahead of time, timed
apart from training, calls it chunk after chunk with a progress callback (or
a ``watch`` that gets a ``Frame`` to draw), then once to measure, and returns
a ``TrainResult``.
Compiled programs are kept per configuration and shapes, so a second run
with the same shapes compiles nothing; across processes jax's persistent
compilation cache (turned on by ``actlab.runtime.configure``) does the same.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from actlab import runtime
from actlab.blocks import activations, model, optim
from actlab.blocks.data import CLASSIFICATION, LOGIC_GATES, Dataset
from actlab.errors import ActlabError
from actlab.lab import layers, metrics
from actlab.limits import check_memory, in_dtype, training_bytes
from actlab.lab.heads import Head, head_loss, output_values, score

# --- the configuration and the pure run function -------------------------------------


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that fixes the compiled program (the learning rate and the key do not).

    Attributes:
      task: one of ``actlab.blocks.data.TASKS``.
      sizes: dense layer widths, input first, outputs last: (n_in, h_1, ..., n_out);
        with ``conv`` n_in is ``conv.features``.
      activation: an ``Activation`` from the registry (one object per name and
        parameters, so it hashes stably) or any elementwise jnp function.
      optimizer: an ``actlab.blocks.optim`` name.
      output, loss: the head (``choose_head``).
      steps: number of optimizer steps of ``run``.
      batch: mini-batch size; None: full batch. Each epoch is one shuffle of the
        training rows cut into n // batch batches (the n % batch rows that the
        shuffle puts last sit that epoch out), so every step costs O(batch).
      l2: weight-matrix L2 coefficient.
      l1: weight-matrix L1 coefficient.
      init: the weight init (``actlab.blocks.model.parse_init``).
      dtype: the compute dtype name. float16 trains in mixed precision:
        float32 master weights and optimizer state, float16 forward and
        backward passes, and a dynamic loss scale (Micikevicius et al. 2018).
      conv: convolutional layers in front of the dense ones (image rows), or None.
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
    conv: model.Conv | None = None
    l1: float = 0.0
    features: Any = None

    def __post_init__(self):
        if self.steps < 1:
            raise ActlabError(f"bad --steps {self.steps}: must be >= 1")
        if self.batch is not None and self.batch < 1:
            raise ActlabError(f"bad --batch {self.batch}: must be >= 1")

    @property
    def head(self) -> Head:
        return Head(self.output, self.loss, self.sizes[-1])

    @property
    def mixed(self) -> bool:
        """float16 compute on float32 master weights, with a loss scale."""
        return self.dtype == "float16"

    @property
    def param_dtype(self) -> str:
        """The dtype of the parameters, the optimizer state and the learning rate."""
        return "float32" if self.mixed else self.dtype


class LossScale(NamedTuple):
    """Dynamic loss scaling: the loss is multiplied by ``value`` before the
    backward pass so that small float16 gradients do not flush to zero; a step
    whose gradients overflow is skipped and halves it, ``PERIOD`` good steps
    in a row double it."""

    value: Any  # float32 scalar
    good: Any  # int32 scalar: finite steps since the last change

    INITIAL = 2.0**15
    PERIOD = 2000

    def adjust(self, finite):
        grow = finite & (self.good + 1 >= self.PERIOD)
        value = jnp.where(finite, jnp.where(grow, 2 * self.value, self.value), jnp.maximum(self.value / 2, 1))
        return LossScale(value, jnp.where(finite & ~grow, self.good + 1, 0).astype(jnp.int32))


class TrainState(NamedTuple):
    params: Any
    opt_state: Any
    key: Any  # uint32 key data: the shuffles of the epochs
    step: Any  # int32 scalar: optimizer steps taken
    scale: LossScale


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
    measure: Callable


_TRACES: Counter = Counter()


def trace_count() -> int:
    """How many times a training loop has been traced (compiled) in this process."""
    return sum(_TRACES.values())


def steps_per_epoch(n: int, batch: int | None) -> int:
    """Optimizer steps in one pass over ``n`` rows: n // batch (1 for the full batch)."""
    return n // batch if batch and batch < n else 1


SHUFFLE_ROUNDS = 6


def _mix(x, key):
    """A 32-bit hash of ``x`` under ``key`` (murmur3's finalizer)."""
    x = x ^ key
    x = (x ^ (x >> 16)) * jnp.uint32(0x85EBCA6B)
    x = (x ^ (x >> 13)) * jnp.uint32(0xC2B2AE35)
    return x ^ (x >> 16)


def shuffled(i, n: int, keys):
    """Position ``i`` (uint32) of a pseudorandom permutation of range(n), in
    O(1) per position: a Feistel network on the k = ceil(log2 n) bits of i (each
    round is invertible, so the whole is a bijection of [0, 2^k)), walked along
    its cycle until it lands below n (fewer than 2 rounds on average, as
    2^k < 2n). Luby & Rackoff 1988; Black & Rogaway 2002 (cycle walking).

    Args:
      i: positions, uint32 in [0, n) (outside it the walk need not end).
      n: the size of the permuted range.
      keys: uint32 (rounds,), one key per Feistel round.
    """
    k = max(2, math.ceil(math.log2(n)))
    widths = (k // 2, k - k // 2)  # the high and the low part of x

    def permute(x):
        hi, lo = widths
        for key in keys:  # (L, R) -> (R, L xor F(R)): the parts swap widths each round
            left, right = x >> lo, x & jnp.uint32((1 << lo) - 1)
            x = (right << hi) | ((left ^ _mix(right, key)) & jnp.uint32((1 << hi) - 1))
            hi, lo = lo, hi
        return x

    return lax.while_loop(lambda x: jnp.any(x >= n), lambda x: jnp.where(x >= n, permute(x), x), permute(i))


def batch_of(key, t, x, y, batch: int | None):
    """The rows of step ``t``: epoch e = t // per_epoch is one pseudorandom
    permutation of the rows (``shuffled``, its keys hashed from the run's
    ``key`` data and e), and step t takes its positions [j * batch, (j + 1) * batch)
    with j = t mod per_epoch; the n mod batch rows the permutation puts last sit
    that epoch out. No permutation is ever stored or sorted: a step costs
    O(batch) whatever the number of rows. -> (xb, yb)."""
    n = x.shape[0]
    if not batch or batch >= n:
        return x, y
    per_epoch = n // batch
    start = (t % per_epoch) * batch
    positions = start.astype(jnp.uint32) + jnp.arange(batch, dtype=jnp.uint32)
    idx = shuffled(positions, n, epoch_keys(key, t // per_epoch))
    return x[idx], y[idx]


def epoch_keys(key, epoch):
    """The Feistel round keys of one epoch: the run's key data and the epoch
    number hashed together (a few integer operations a step, where drawing them
    with ``jax.random`` would run threefry every step)."""
    key = jnp.asarray(key, jnp.uint32)
    golden = jnp.uint32(0x9E3779B9)  # 2^32 / phi: spreads consecutive epochs apart
    rounds = jnp.asarray(epoch).astype(jnp.uint32) * golden + jnp.arange(SHUFFLE_ROUNDS, dtype=jnp.uint32)
    return _mix(_mix(rounds, key[0]), key[-1])


@functools.lru_cache(maxsize=128)
def make_run(config: TrainConfig) -> Run:
    """The pure functions of one training configuration; see the module docstring."""
    optim.check_name(config.optimizer)
    dtype, pdtype = jnp.dtype(config.dtype), jnp.dtype(config.param_dtype)
    act = config.activation
    head = config.head
    task = config.task

    def inputs(x):
        return x if config.features is None else config.features(x)

    def compute(params):
        return jax.tree.map(lambda p: p.astype(dtype), params)

    def forward(params, x):
        return model.apply(compute(params), inputs(x), act, conv=config.conv)

    def optimizer(lr):
        return optim.make_optimizer(config.optimizer, jnp.asarray(lr, pdtype), l2=config.l2, l1=config.l1)

    def loss_and_score(params, x, y):
        logits = forward(params, x)
        return head_loss(logits, y, task, head), score(logits, y, task, head)

    def gradients(params, x, y, scale: LossScale):
        """((loss, score), grads, finite): in mixed precision through the scaled loss."""
        if not config.mixed:
            out, grads = jax.value_and_grad(loss_and_score, has_aux=True)(params, x, y)
            return out, grads, jnp.asarray(True)

        def scaled(p):
            loss, sc = loss_and_score(p, x, y)
            return loss.astype(pdtype) * scale.value, (loss, sc)

        (_, out), grads = jax.value_and_grad(scaled, has_aux=True)(params)
        grads = jax.tree.map(lambda g: g / scale.value, grads)
        finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(g)) for g in jax.tree.leaves(grads)]))
        return out, grads, finite

    def init(key, data):
        k_init, k_batch = jax.random.split(key)
        params = model.init_net(key=k_init, sizes=list(config.sizes), conv=config.conv, init=config.init,
                                dtype=pdtype)
        if task not in CLASSIFICATION:
            # Start near the best constant: output bias at the target mean, last
            # weights scaled by 0.1. A ReLU output then starts alive on every
            # example; with a bias at 0 (or large last weights) a part of the
            # input range starts at z < 0, where its gradient is 0 for good.
            w, _ = params[-1]
            params[-1] = (0.1 * w, jnp.mean(data[1].astype(pdtype), 0))
        opt_state = optimizer(1.0).init(params)
        scale = LossScale(jnp.asarray(LossScale.INITIAL if config.mixed else 1.0, jnp.float32),
                          jnp.zeros((), jnp.int32))
        return TrainState(params, opt_state, jax.random.key_data(k_batch), jnp.zeros((), jnp.int32), scale)

    # Jitted once: its trace is kept, so the blank state of ``train`` and the
    # program that calls it share one trace.
    init = jax.jit(init)

    def steps(state, lr, data, total, length: int, start=None):
        """``length`` optimizer steps, numbered from ``start`` (default
        ``state.step``; the number picks the batch). Past step ``total`` the
        state stays put, so one chunk length serves any step count;
        ``total=None`` takes every step (no masking, fewer kernels: on tiny
        networks each one counts)."""
        _TRACES[config] += 1  # runs only while tracing
        x, y = data
        opt = optimizer(lr)

        def body(carry, t):
            state, held = carry
            xb, yb = batch_of(state.key, t, x, y, config.batch)
            if held is not None:
                held = tuple(lax.dynamic_update_slice_in_dim(h, b, 0, 0) for h, b in zip(held, (xb, yb)))
                xb, yb = (h[: xb.shape[0]] for h in held)
            (loss, sc), grads, finite = gradients(state.params, xb, yb, state.scale)
            updates, opt_state = opt.update(grads, state.opt_state, state.params)
            params = jax.tree.map(lambda p, u: (p + u).astype(p.dtype), state.params, updates)
            if config.mixed:  # a step whose gradients overflowed changes only the loss scale
                params, opt_state = jax.tree.map(lambda new, old: jnp.where(finite, new, old),
                                                 (params, opt_state), (state.params, state.opt_state))
            new = TrainState(params, opt_state, state.key, state.step + 1, state.scale.adjust(finite))
            if total is not None:
                new = jax.tree.map(lambda a, b: jnp.where(t < total, a, b), new, state)
            return (new, held), (loss.astype(pdtype), sc.astype(pdtype))

        # A mini-batch's rows pass through buffers the loop carries (one row
        # longer than the batch, so the update is never the whole buffer): XLA:CPU
        # splits a lone gather from a large array across threads (its cost model
        # counts the whole array as read), and for one batch the hand-off costs
        # more than the gather (a 16-16 network, Adam, batches of 256 from 750k
        # rows, 2 cores: 40.7 us a step, 29.1 with the buffers); an update in
        # place is never split.
        held = None
        if config.batch and config.batch < x.shape[0]:
            held = tuple(jnp.zeros((config.batch + 1, *a.shape[1:]), a.dtype) for a in (x, y))
        first = state.step if start is None else start
        (state, _), out = lax.scan(body, (state, held), first + jnp.arange(length, dtype=jnp.int32))
        return state, out

    def evaluate(params, x, y):
        loss, sc = loss_and_score(params, x, y)
        return loss.astype(pdtype), sc.astype(pdtype)

    def predict(params, x):
        return output_values(forward(params, x), head.output)

    def hidden(params, x):
        return model.pre_activations(compute(params), inputs(x), act, conv=config.conv)[0]

    def inside(params, x):
        return layers.activation_stats(hidden(params, layers.sample(x)), act)

    def measure(state, lr, data):
        # On layers.sample's rows: the gradient of a batch of them (all of them
        # without mini-batches) and the update the optimizer takes with it; the
        # activations of all of them.
        x, y = (layers.sample(a) for a in data)
        _, grads, _ = gradients(state.params, x[: config.batch], y[: config.batch], state.scale)
        updates, _ = optimizer(lr).update(grads, state.opt_state, state.params)
        return layers.layer_stats(state.params, grads, updates, hidden(state.params, x), act)

    def run(key, lr, data):
        state, (loss, sc) = steps(init(key, data), lr, data, config.steps, length=config.steps, start=0)
        final_loss, final_score = evaluate(state.params, *data)
        return RunOutput(state.params, loss, sc, final_loss, final_score)

    return Run(config, init, steps, run, evaluate, predict, inside, measure)


def on_device(a, dtype):
    """A host array as a jax array of ``dtype``, converted by numpy and put on
    the device as it is (``jnp.asarray`` would compile a program per shape)."""
    return jax.device_put(np.asarray(a).astype(jnp.dtype(dtype), copy=False))


def prepare_data(x, y, config: TrainConfig):
    """(x, y) as jax arrays in the dtypes ``run`` expects."""
    return on_device(x, config.dtype), on_device(y, jnp.int32 if config.task in CLASSIFICATION else config.dtype)


# --- one program for one training run ----------------------------------------------------

TEST_SAMPLE = 4096  # test rows evaluated at each checkpoint (all of them at the end)


class Report(NamedTuple):
    """The trained network measured once, by a call of its own after the last chunk."""

    train_loss: Any  # on every training row
    train_score: Any
    test_loss: Any  # on every test row (the training rows without a split)
    test_score: Any
    eval_values: Any  # output values of the test rows (training rows without a split)
    probe_values: Any  # output values at the probe points (grid, curve, truth table)
    layers: Any  # (hidden layers, 6): ``layers.layer_stats`` of the trained network


class Inside(NamedTuple):
    """The hidden layers at the start of each interval of a program call."""

    step: Any  # (intervals,) optimizer steps taken
    recorded: Any  # (intervals,) bool: whether ``stats`` were measured there
    stats: Any  # (intervals, hidden layers, 6): ``layers.layer_stats`` (zeros where not recorded)


class Chunk(NamedTuple):
    """What one program call returns besides the state."""

    loss: Any  # (chunk,) the batch loss before each step
    score: Any
    marks: metrics.Checkpoints  # (intervals,)
    inside: Inside
    probe_values: Any  # output values at the probe points now (a live view's picture), or None


class Plan(NamedTuple):
    """How the driver cuts a run: a checkpoint every ``every`` steps, ``intervals``
    of them per program call; ``exact``: the checkpoints divide the run, so no
    step needs masking; the hidden layers are measured at every
    ``layers_every``-th checkpoint (0: never), besides the end; the loss is
    recorded every ``stride`` steps (1 up to ``HISTORY_POINTS`` steps: a long
    run's memory does not grow with its length)."""

    every: int
    intervals: int
    exact: bool
    layers_every: int = 0
    stride: int = 1

    @property
    def chunk(self) -> int:
        return self.every * self.intervals


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted({*small, *(n // d for d in small)})


def _divisor_near(n: int, target: int, within: float = 2.0) -> int | None:
    """The divisor of ``n`` closest to ``target`` within a factor ``within`` of it, or None."""
    near = [d for d in _divisors(n) if target / within <= d <= target * within]
    return min(near, key=lambda d: (abs(d - target), d)) if near else None


CHECKPOINTS = 100  # at most
TEST_SHARE = 0.05  # the most that evaluating the test rows at checkpoints may add to the steps' work
# Steps of one program call, about at most: in a very long run the progress
# and Ctrl-C stay prompt (the checkpoints are then more than CHECKPOINTS).
MAX_CALL_STEPS = 1 << 16


def plan(steps: int, per_epoch: int, *, rows: int = 1, test_rows: int = 0, chunks: int = 10) -> Plan:
    """Where the checkpoints go: up to ``CHECKPOINTS`` of them, fewer when
    evaluating the test rows (at most ``TEST_SAMPLE``) there would add more than
    ``TEST_SHARE`` to the work of the steps (``rows`` a step, a forward and a
    backward pass: about 3 forward passes), but never fewer than 10; on epoch
    boundaries when the run has 10 epochs or more, and spaced to divide the
    run where they can. About ``chunks`` program calls, each of about
    ``MAX_CALL_STEPS`` steps at most; the loss of every step, or of every k-th
    past ``HISTORY_POINTS``.

    Args:
      steps: the run's optimizer steps.
      per_epoch: steps in one epoch (1 for the full batch).
      rows: rows in one step's batch.
      test_rows: rows of the test split (0: none).
    """
    sample = min(test_rows, TEST_SAMPLE)
    budget = TEST_SHARE * 3 * steps * rows / sample if sample else CHECKPOINTS
    count = max(1, min(steps, CHECKPOINTS, max(10, int(budget))))
    if per_epoch > 1 and steps % per_epoch == 0 and steps >= 10 * per_epoch:
        epochs = steps // per_epoch
        every = per_epoch * (_divisor_near(epochs, math.ceil(epochs / count)) or 1)
    else:
        target = math.ceil(steps / count)
        every = _divisor_near(steps, target) or target
    if every > MAX_CALL_STEPS:
        every = _divisor_near(steps, MAX_CALL_STEPS) or MAX_CALL_STEPS
    intervals = math.ceil(steps / every)  # calls take whole intervals: no call runs past the end
    per_call = _divisor_near(intervals, max(1, round(intervals / chunks)), within=math.inf)
    if per_call * every > MAX_CALL_STEPS:
        per_call = max(d for d in _divisors(intervals) if d == 1 or d * every <= MAX_CALL_STEPS)
    # the smallest divisor of the interval that keeps at most HISTORY_POINTS losses
    stride = min((d for d in _divisors(every) if d >= steps / HISTORY_POINTS), default=every)
    return Plan(every, per_call, steps % every == 0, max(1, round(intervals / layers.CHECKPOINTS)), stride)


def measure(r: Run, state: TrainState, lr, data, test, probe) -> Report:
    """The network of ``state`` measured on every row (``Report``)."""
    train_loss, train_score = r.evaluate(state.params, *data)
    test_loss, test_score = r.evaluate(state.params, *test)
    return Report(train_loss, train_score, test_loss, test_score, r.predict(state.params, test[0]),
                  r.predict(state.params, probe), r.measure(state, lr, data))


def make_program(config: TrainConfig, plan_: Plan, has_test: bool, live: bool = False):
    """The one function ``train`` compiles: called with a blank state (step -1)
    it initialises from ``seed``; each call advances ``plan_.chunk`` steps with a
    checkpoint every ``plan_.every`` (the hidden layers at every
    ``plan_.layers_every``-th), or, with ``measure``, leaves the state as it is
    and measures the network on every row (``Report``; zeros otherwise).
    ``live``: each call also predicts the probe points, for a picture of the
    network as it is.

    advance(state, seed, lr, data, test, probe, total, measure) -> (state, Chunk, Report)
    """
    r = make_run(config)
    every = plan_.every

    def zeros_like(fn, *args):
        return jax.tree.map(jnp.zeros_like, jax.eval_shape(fn, *args))

    def inside(state, lr, data, total):
        # Only at every layers_every-th checkpoint (lax.cond runs one branch):
        # about a training step's work.
        start = state.step
        record = (start < total) & (plan_.layers_every > 0)
        record &= (start // every) % max(plan_.layers_every, 1) == 0
        stats = lax.cond(record, lambda s: r.measure(s, lr, data), lambda s: zeros_like(r.measure, s, lr, data),
                         state)
        return Inside(start, record, stats)

    def strides(state, lr, data, total):
        """The steps of one interval: the loss and score of every ``stride``-th
        step, and the sum of the losses of the steps taken (the checkpoint's
        training loss is their mean)."""
        masked = None if plan_.exact else total

        def block(state, length):
            start = state.step
            state, (loss, sc) = r.steps(state, lr, data, masked, length=length)
            return state, (loss, sc, jnp.sum(jnp.where(start + jnp.arange(length) < total, loss, 0)))

        def thinned(state, _):  # `stride` steps, of which the first is recorded
            state, (loss, sc, loss_sum) = block(state, plan_.stride)
            return state, (loss[0], sc[0], loss_sum)

        if plan_.stride == 1:
            return block(state, every)
        state, (loss, sc, sums) = lax.scan(thinned, state, None, length=every // plan_.stride)
        return state, (loss, sc, jnp.sum(sums))

    def chunk(state, lr, data, test, probe, total):
        sample = tuple(a[:TEST_SAMPLE] for a in test)

        def interval(state, _):
            start, seen = state.step, inside(state, lr, data, total)
            state, (loss, sc, loss_sum) = strides(state, lr, data, total)
            active = start + jnp.arange(every) < total
            train_loss = loss_sum / jnp.maximum(jnp.sum(active), 1)
            nan = jnp.asarray(jnp.nan, loss.dtype)
            test_loss, test_score = r.evaluate(state.params, *sample) if has_test else (nan, nan)
            return state, (loss, sc, metrics.Checkpoints(state.step, train_loss, test_loss, test_score), seen)

        state, (loss, sc, marks, seen) = lax.scan(interval, state, None, length=plan_.intervals)
        now = r.predict(state.params, probe) if live else None
        return state, Chunk(loss.reshape(-1), sc.reshape(-1), marks, seen, now)

    report = functools.partial(measure, r)
    # Jitted so that each is traced once: for its own branch, and for the
    # zeros of the other branch.
    chunk, report = jax.jit(chunk), jax.jit(report)

    def advance(state, seed, lr, data, test, probe, total, measure_now):
        state = lax.cond(state.step < 0, lambda s: r.init(jax.random.key(seed), data), lambda s: s, state)

        def train_chunk(state):
            return *chunk(state, lr, data, test, probe, total), zeros_like(report, state, lr, data, test, probe)

        def measure_only(state):
            return state, zeros_like(chunk, state, lr, data, test, probe, total)[1], report(state, lr, data, test,
                                                                                           probe)

        return lax.cond(measure_now, measure_only, train_chunk, state)

    return advance


# --- the driver behind `actlab train` -------------------------------------------------


# Most losses a History keeps: a longer run keeps every k-th step's (``Plan.stride``).
HISTORY_POINTS = 100_000


class History(NamedTuple):
    step: np.ndarray  # 1..steps (every k-th past HISTORY_POINTS steps)
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
    checkpoints: metrics.Checkpoints | None = None  # train and test loss at regular steps
    best_test_step: int | None = None  # the checkpoint with the lowest test loss
    overfitting: metrics.Overfitting | None = None
    classification: metrics.Classification | None = None  # classification: on the test rows
    steps_per_epoch: int = 1
    param_count: int = 0
    conv: tuple[int, ...] = ()  # channels of the convolutional layers
    dtype: str = "float32"
    image: tuple[int, int] | None = None  # rows are images of this shape (digits)
    feature_names: tuple[str, ...] = ()
    test_sample: int = 0  # test rows evaluated at each checkpoint
    eval_values: np.ndarray | None = None  # output values of the test rows (training rows without a split)
    measure_seconds: float = 0.0  # the final measurement on every row, after training
    layers: layers.LayerHistory | None = None  # inside each hidden layer, at the checkpoints
    layer_notes: tuple = ()  # what the layers did, with suggestions
    interrupted: bool = False  # stopped by Ctrl-C after ``steps`` of the planned updates
    l1: float = 0.0
    l2: float = 0.0
    features: tuple | None = None  # the input formulas, when not the data's columns


class Program(NamedTuple):
    """The compiled ``make_program`` for one configuration and data shapes, and
    the blank state its first call starts from."""

    call: Callable
    blank: TrainState


_PROGRAMS: dict = {}


def compiled_program(config: TrainConfig, plan_: Plan, has_test: bool, data, test, probe,
                     live: bool = False) -> tuple[Program, float]:
    """``make_program`` compiled ahead of time, once per process for these
    shapes; across processes it is saved (``runtime.saved_program``), or kept
    by jax's persistent cache where code that is not actlab's is in it
    (``_saved_key``). -> (program, seconds spent compiling or loading now)."""
    shapes = tuple((a.shape, str(a.dtype)) for a in (*data, *test, probe))
    sig = (config, plan_, has_test, live, *shapes)
    if sig in _PROGRAMS:
        return _PROGRAMS[sig], 0.0
    t0 = time.perf_counter()

    def build(options=None):
        state = jax.eval_shape(make_run(config).init, jax.eval_shape(jax.random.key, 0), data)
        blank = jax.tree.map(lambda s: np.zeros(s.shape, s.dtype), state)._replace(step=np.asarray(-1, np.int32))
        args = (blank, np.int64(0), np.asarray(1, config.param_dtype), data, test, probe, np.int32(config.steps),
                np.bool_(False))
        # The state is donated: each call updates it in place.
        # XLA's default options (not runtime.compile's LLVM level 1, which compiles
        # faster): with them a chaotic run (moons at lr 1) replays its sweep seed's
        # dead units; at level 1 it ended with others.
        lowered = jax.jit(make_program(config, plan_, has_test, live), donate_argnums=0).lower(*args)
        return lowered.compile(options), blank

    key = _saved_key(config)
    call, blank = build() if key is None else runtime.saved_program((key, plan_, has_test, live, *shapes), build)
    _PROGRAMS[sig] = Program(call, blank)
    return _PROGRAMS[sig], time.perf_counter() - t0


def _saved_key(config: TrainConfig) -> str | None:
    """The configuration in words for ``runtime.saved_program``, or None where
    its program may not be saved: an activation or input features given as
    Python functions, or a formula (it may call a plugin's): code that is not
    actlab's."""
    act = config.activation
    if config.features is not None or not isinstance(act, activations.Activation) or act.source != "built-in":
        return None
    return repr(dataclasses.replace(config, activation=(act.name, tuple(sorted(act.params.items())))))


class Frame(NamedTuple):
    """Training so far, after a program call: what a live view draws."""

    step: int  # updates done
    steps: int  # updates planned
    history: History  # up to ``step``
    layers: layers.LayerHistory  # the checkpoints so far
    checkpoints: metrics.Checkpoints  # train and test loss so far
    n_test: int  # test rows (0: no split)
    regions: Regions | None  # at the current parameters (2-D binary or multi-class)
    curve: Curve | None  # at the current parameters (1-D regression)
    points: tuple  # as TrainResult.points
    class_names: tuple
    dataset: str


def train(config: TrainConfig, ds: Dataset, *, lr: float, seed: int = 0,
          progress: Callable[[int, float], None] | None = None, chunks: int | None = None,
          grid: int = 101, watch: Callable[[Frame], None] | None = None,
          stop_on_interrupt: bool = False) -> TrainResult:
    """Trains one network on ``ds`` and measures it, its hidden layers
    included, in one compiled program.

    Args:
      config: the configuration (its ``steps`` is the step count).
      ds: the data (``actlab.blocks.data``).
      lr: learning rate (> 0).
      seed: seeds the initial weights and the mini-batches.
      progress: called with (0, nan) once compiled, then after each chunk with
        (steps done, last loss).
      chunks: about how many program calls; default 10 with ``progress`` or
        ``watch`` (each reports), else 1 (a call costs about as much as 20
        small steps).
      grid: resolution of the decision-region grid for 2-D classification.
      watch: called after each program call with a ``Frame``; its program
        also predicts the picture's points each call.
      stop_on_interrupt: a KeyboardInterrupt (Ctrl-C) during training ends the
        run after the last finished call; the network is measured as it is
        then and the result has ``interrupted`` set. Otherwise it propagates.
    """
    in_dtype(optim.check_lr(lr), config.dtype, "--lr", positive=True)
    probe, shape_probe = _probe(ds, config, grid)
    _check_memory(config, ds, probe.shape[0], grid if shape_probe[0] == "grid" else None)
    data = prepare_data(ds.x_train, ds.y_train, config)
    test = prepare_data(ds.x_test, ds.y_test, config)
    n_train = ds.x_train.shape[0]
    per_epoch = steps_per_epoch(n_train, config.batch)
    reports = progress is not None or watch is not None
    plan_ = plan(config.steps, per_epoch, rows=config.batch or n_train,
                 test_rows=ds.x_test.shape[0] if ds.has_test else 0, chunks=chunks or (10 if reports else 1))
    probe = on_device(probe, config.dtype)
    program, compile_seconds = compiled_program(config, plan_, ds.has_test, data, test, probe,
                                                live=watch is not None)
    if progress is not None:
        progress(0, math.nan)

    state = program.blank
    rest = (np.int64(seed), np.asarray(lr, config.param_dtype), data, test, probe, np.int32(config.steps))
    chunks_out, done, interrupted = [], 0, False
    t0 = time.perf_counter()
    try:
        while done < config.steps:
            with _ctrl_c_after():  # the call donates the state: never stop between the call and its result
                state, chunk, _ = program.call(state, *rest, np.bool_(False))
                chunk = jax.tree.map(np.asarray, chunk)  # blocks until the call is done
                chunks_out.append(chunk)
                prev, done = done, min(done + plan_.chunk, config.steps)
            if progress is not None:
                progress(done, float(chunk.loss[(done - prev - 1) // plan_.stride]))
            if watch is not None and done < config.steps:  # the last frame waits for the measurements
                watch(_frame(chunks_out, done, plan_.stride, config, ds, shape_probe, None))
    except KeyboardInterrupt:
        if not stop_on_interrupt or not chunks_out:
            raise
        interrupted = True
    t1 = time.perf_counter()
    state, _, report = program.call(state, *rest, np.bool_(True))  # the network as it is, on every row
    report = Report(*(np.asarray(v) for v in report))
    train_seconds, measure_seconds = t1 - t0, time.perf_counter() - t1
    if watch is not None and not interrupted:
        watch(_frame(chunks_out, done, plan_.stride, config, ds, shape_probe, report.layers))
    history, checkpoints, inside = _histories(chunks_out, done, plan_.stride, ds.has_test, report.layers)
    params = [(np.asarray(w), np.asarray(b)) for w, b in state.params]
    result = _result(config, ds, lr=lr, seed=seed, report=report, history=history, checkpoints=checkpoints,
                     params=params, probe=shape_probe, train_seconds=train_seconds,
                     measure_seconds=measure_seconds, compile_seconds=compile_seconds, per_epoch=per_epoch)
    activation = result.activation
    notes = [f"interrupted at step {done} of {config.steps}: the report is for that step"] * interrupted
    return result._replace(
        steps=done, notes=tuple(notes) + result.notes, interrupted=interrupted, layers=inside,
        layer_notes=layers.layer_notes(inside, activation=activation, lr=float(lr),
                                       saturates=getattr(config.activation, "saturates", "none")))


@contextlib.contextmanager
def _ctrl_c_after():
    """Holds a Ctrl-C heard inside the block until the block is done, then hands
    it to the handler it was meant for (Python's raises KeyboardInterrupt).
    Only the main thread hears signals; elsewhere, or where Ctrl-C has no
    Python handler, nothing changes."""
    handler = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(handler):
        yield
        return
    heard = []
    signal.signal(signal.SIGINT, lambda signum, frame: heard.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)
    if heard:
        handler(signal.SIGINT, heard[0])


def _histories(chunks_out, done: int, stride: int, has_test: bool, final_layers):
    """(History, metrics.Checkpoints, layers.LayerHistory) of the first ``done``
    steps from the program calls' outputs (the loss of every ``stride``-th step;
    ``final_layers``: the layers at step ``done``)."""
    recorded = np.arange(1, done + 1, stride)
    loss, score = (np.concatenate([getattr(c, f) for c in chunks_out])[:recorded.size] for f in ("loss", "score"))
    marks = [c.marks for c in chunks_out]
    checkpoints = metrics.checkpoints(*(np.concatenate([np.asarray(getattr(m, f)) for m in marks])
                                        for f in metrics.Checkpoints._fields), has_test=has_test)
    seen = Inside(*(np.concatenate([getattr(c.inside, f) for c in chunks_out]) for f in Inside._fields))
    keep = seen.recorded & (seen.step < done)
    steps, rows = seen.step[keep], seen.stats[keep]
    if final_layers is not None:
        steps, rows = np.append(steps, done), np.concatenate([rows, np.asarray(final_layers)[None]])
    history = History(recorded, loss, score)
    return history, checkpoints, layers.LayerHistory.from_rows(steps, rows)


def _frame(chunks_out, done: int, stride: int, config: TrainConfig, ds: Dataset, probe, end_layers) -> Frame:
    history, checkpoints, inside = _histories(chunks_out, done, stride, ds.has_test, end_layers)
    regions, _, curve, _ = _pictures(probe, chunks_out[-1].probe_values, ds, config.task)
    return Frame(done, config.steps, history, inside, checkpoints,
                 int(ds.x_test.shape[0]) if ds.has_test else 0, regions, curve, _points(ds),
                 ds.target_names, ds.name)


def _points(ds: Dataset) -> tuple:
    """(x_train, y_train, x_test, y_test), the test pair None without a split: for pictures."""
    return ds.x_train, ds.y_train, ds.x_test if ds.has_test else None, ds.y_test if ds.has_test else None


def _probe(ds: Dataset, config: TrainConfig, n: int):
    """The points whose predictions the pictures need, and how to read them back:
    a grid over the plane (2-D classification), a line (1-D regression), the
    four points of a logic gate; else none."""
    if ds.name in LOGIC_GATES:
        return ds.x_train, ("truth",)
    if ds.n_features > 2:
        return np.zeros((0, ds.n_features)), ("none",)
    x_all = np.concatenate([ds.x_train, ds.x_test]) if ds.has_test else ds.x_train
    if ds.n_features == 2 and config.task in CLASSIFICATION:
        lo, hi = x_all.min(0), x_all.max(0)
        pad = 0.1 * np.maximum(hi - lo, 1e-9)
        xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], n)
        ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], n)
        gx, gy = np.meshgrid(xs, ys)
        return np.stack([gx.ravel(), gy.ravel()], 1), ("grid", xs, ys)
    if ds.n_features == 1 and config.task not in CLASSIFICATION:
        xs = np.linspace(float(x_all.min()), float(x_all.max()), 201)
        return xs[:, None], ("curve", xs)
    return np.zeros((0, ds.n_features)), ("none",)


def _pictures(kind, values, ds: Dataset, task: str):
    """(regions, label_regions, curve, truth table) from the probe's output values."""
    values = np.asarray(values, np.float64)
    if kind[0] == "truth":
        p1 = values[:, 0] if values.shape[1] == 1 else values[:, 1]
        truth = [TruthRow(float(a), float(b), int(t), float(q), int(q > 0.5))
                 for (a, b), t, q in zip(ds.x_train, ds.y_train, p1)]
        return None, None, None, truth
    if kind[0] == "curve":
        return None, None, Curve(kind[1], values[:, 0]), None
    if kind[0] != "grid":
        return None, None, None, None
    xs, ys = kind[1], kind[2]
    n = len(xs)
    if task == "multi-label":  # each label on (p > 0.5) or off, on its own
        labels = tuple(Regions(xs, ys, (values[:, k] > 0.5).astype(np.int64).reshape(n, n),
                               values[:, k].reshape(n, n)) for k in range(values.shape[1]))
        return None, labels, None, None
    cls, _ = metrics.predictions(values, task)
    # shaded by P(class 1) with two classes, else by the winner's probability
    prob = values[:, -1] if values.shape[1] <= 2 else values.max(1)
    return Regions(xs, ys, cls.reshape(n, n), prob.reshape(n, n)), None, None, None


def _result(config, ds, *, lr, seed, report, history, checkpoints, params, probe, train_seconds,
            measure_seconds, compile_seconds, per_epoch) -> TrainResult:
    classify = config.task in CLASSIFICATION
    final_loss, final_score = float(report.train_loss), float(report.train_score)
    test_loss, test_score = ((float(report.test_loss), float(report.test_score)) if ds.has_test
                             else (None, final_score))
    regions, label_regions, curve, truth = _pictures(probe, report.probe_values, ds, config.task)
    classification = None
    if classify:
        classification = metrics.classify(report.eval_values, ds.y_test, config.task, ds.target_names,
                                          split="test" if ds.has_test else "train")
    return TrainResult(
        dataset=ds.name, task=config.task, activation=activations.name_of(config.activation),
        optimizer=config.optimizer, lr=float(lr), steps=config.steps, batch=config.batch,
        hidden=tuple(config.sizes[1:-1]), output=config.output, loss=config.loss, seed=seed,
        final_loss=final_loss, test_loss=test_loss,
        accuracy=test_score if classify else None, train_accuracy=final_score if classify else None,
        r2=None if classify else test_score, train_r2=None if classify else final_score,
        train_seconds=train_seconds, compile_seconds=compile_seconds, backend=jax.default_backend(),
        n_train=int(ds.x_train.shape[0]), n_test=int(ds.x_test.shape[0]) if ds.has_test else 0,
        history=history, params=params, regions=regions, curve=curve, truth_table=truth,
        points=_points(ds),
        class_names=ds.target_names, notes=tuple(_notes(config, ds, final_loss, final_score, history)),
        label_regions=label_regions,
        activation_params=dict(getattr(config.activation, "params", {}) or {}),
        checkpoints=checkpoints, best_test_step=metrics.best_step(checkpoints),
        overfitting=metrics.overfitting(checkpoints), classification=classification,
        steps_per_epoch=per_epoch, param_count=model.count_params(params),
        conv=tuple(config.conv.channels) if config.conv else (), dtype=config.dtype, image=ds.image,
        feature_names=tuple(ds.feature_names),
        test_sample=min(TEST_SAMPLE, int(ds.x_test.shape[0])) if ds.has_test else 0,
        eval_values=np.asarray(report.eval_values), measure_seconds=measure_seconds, l1=config.l1, l2=config.l2,
        features=config.features.formulas if config.features is not None else None,
    )


def _notes(config: TrainConfig, ds: Dataset, final_loss: float, final_score: float,
           history: History) -> list[str]:
    """A run that diverged; what a linear network can and cannot do here."""
    notes = []
    if not math.isfinite(final_loss):
        bad = np.flatnonzero(~np.isfinite(history.loss))
        since = f" from step {int(history.step[bad[0]])}" if bad.size else " after the last step recorded"
        notes.append(f"training diverged: the loss is {final_loss}{since}, past what {config.dtype} holds; "
                     "try a smaller --lr (or a smaller --init normal:STD)")
    inputs = "the features" if config.features is not None else "the inputs"
    linear_hidden = getattr(config.activation, "name", "") == "linear" and len(config.sizes) > 2
    if linear_hidden:
        notes.append(f"with --act linear every layer is affine, so the whole network is one affine "
                     f"map of {inputs} (logistic regression with a sigmoid output)")
    elif len(config.sizes) == 2 and not config.conv:
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


def units(config: TrainConfig) -> int:
    """Units per row: the dense widths and, in convolutional layers, every
    pixel of every channel."""
    return sum(config.sizes) + (sum(h * w * c for h, w, c in config.conv.shapes()) if config.conv else 0)


def step_bytes(config: TrainConfig, rows: int) -> int:
    """About what one network needs for a training step on ``rows`` rows
    (``limits.training_bytes``, a convolution's pixels counted as units, its
    few weights left out)."""
    item = jnp.dtype(config.dtype).itemsize
    return training_bytes(config.sizes, rows, item) + 6 * item * rows * (units(config) - sum(config.sizes))


def data_bytes(config: TrainConfig, ds: Dataset) -> int:
    """The data on the device: inputs and targets, training and test rows, and a copy."""
    return 2 * jnp.dtype(config.dtype).itemsize * (ds.x_train.shape[0] + ds.x_test.shape[0]) * (
        ds.n_features + config.sizes[-1])


def _check_memory(config: TrainConfig, ds: Dataset, probe_rows: int, grid: int | None) -> None:
    """Refuses a network that cannot train here: the training step on a batch,
    and the measurement at the end, which evaluates the training rows, the test
    rows twice and the pictures' ``probe_rows`` points (a ``grid`` x ``grid``
    of decision regions, where there is one) in one program, each unit's value
    once per row."""
    item = jnp.dtype(config.dtype).itemsize
    n_train, n_test = ds.x_train.shape[0], ds.x_test.shape[0]
    rows = config.batch or n_train
    need = (step_bytes(config, rows) + item * (n_train + 2 * n_test + probe_rows) * units(config)
            + data_bytes(config, ds))
    what = f"training the {'-'.join(map(str, config.sizes))} network on {rows} rows at once"
    if grid is not None and probe_rows > n_train + 2 * n_test:
        what += f" and drawing its decision regions ({grid} x {grid} points)"
    check_memory(need, what, "use a smaller --hidden, --batch or --samples", device=jax.devices()[0])
