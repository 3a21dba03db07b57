"""Many training runs as one program: seeds x learning rates vmapped, sharded over devices.

    ds = actlab.blocks.data.make_dataset("xor")
    acts = [actlab.blocks.activations.get("relu"), actlab.blocks.activations.get("tanh")]
    result = sweep(ds, activations=acts, optimizers=["adam", "sgd"], lrs=[0.01, 0.1], seeds=64)
    result.configs                     # one ConfigStats per (activation, optimizer, lr)
    result.configs[0].success_rate     # share of seeds whose final accuracy >= threshold
    result.configs[0].ci95             # its Wilson 95% interval

For each (activation, optimizer) pair there is one compiled program: the
pure functions of ``actlab.lab.train.make_run`` vmapped over a runs axis that
holds every (learning rate, seed) of the pair. The runs axis is sharded over
every visible device (a one-axis ``jax.sharding.Mesh`` named ``runs``) and cut
into chunks of as many runs as fit (``runs_that_fit``: about 16 MiB a device on
a CPU), at most ``max_batch``, each padded to a multiple of the device count;
training advances in compiled chunks of steps, so a progress callback hears
from the program between chunks.

Every run computes alone: its initial weights, data and steps are the same
whatever the device count, the chunking or the other runs, and so are the
outcomes (success, accuracy, steps to the threshold) unless a run ends right
at the threshold. The float32 losses agree
to about four significant digits, not to the last bit: XLA compiles a program
for each number of runs a device takes per call and fuses each differently (a
fused multiply-add rounds once where a multiply and an add round twice; a sum
may add in another order), and training grows one step's last-bit difference
(xor, 1000 seeds, 1 against 4 devices: median final loss 1.6e-4 apart
relative with relu, 1.4e-6 with tanh).

Run ``s`` of a configuration starts from ``jax.random.key(seed + s)``: the
same initial weights for every configuration (comparisons are paired), and
the same as ``actlab train DATASET --seed SEED+s --data-seed SEED``, so a
failed seed can be replayed and looked at: the replay, a program of one run,
reaches the same outcome with a final loss within about 1e-3 relative (above).

Success: the final accuracy (held-out when the dataset has a test split, as
in ``actlab train``; R^2 for regression) reaches the threshold. The step at
which the threshold is first reached is counted on the training data (on the
mini-batch with ``batch``), in optimizer steps taken (0: already at the
start), over the successful runs.

Several hosts: call ``jax.distributed.initialize()`` before anything else in
every process (``actlab sweep --distributed``); ``jax.devices()`` is then the
global device list, the mesh spans all hosts, and each process receives the
full (replicated) results.
"""

from __future__ import annotations

import concurrent.futures
import math
import os
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from actlab import runtime
from actlab.blocks import optim
from actlab.blocks.activations import name_of
from actlab.blocks.data import CLASSIFICATION, LOGIC_GATES, Dataset
from actlab.lab import setup
from actlab.lab import train as core
from actlab.errors import ActlabError
from actlab.limits import check_memory, free_memory, in_dtype

Z95 = 1.959963984540054  # the 0.975 quantile of the standard normal
RUNS = "runs"  # the mesh axis


# --- statistics -------------------------------------------------------------------------


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion.

    With p = k / n: centre = (p + z^2 / 2n) / (1 + z^2 / n),
    half-width = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2).
    Unlike p +- z sqrt(p(1-p)/n) it stays inside [0, 1] and is not empty at
    p = 0 or 1 (Wilson 1927; Brown, Cai & DasGupta 2001).

    Returns:
      (lo, hi); exactly 0 when k = 0 and exactly 1 when k = n.
    """
    if n < 1 or not 0 <= successes <= n:
        raise ActlabError(f"bad proportion {successes}/{n}: need n >= 1 and 0 <= k <= n")
    p = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return lo, hi


def quantiles(values, qs) -> list[float]:
    """Quantiles (linear interpolation) where nan and inf count as +inf: a
    diverged run has the worst loss there is, not a missing one. A quantile
    that leans on a diverged run is inf, never nan (inf - inf)."""
    big = 1e308  # inf stands in as a finite number, so interpolation stays defined
    x = np.asarray(values, np.float64)
    x = np.where(np.isfinite(x), x, big)
    return [math.inf if v > 1e300 else float(v) for v in np.quantile(x, qs)]


def default_threshold(dataset: str) -> float:
    """1.0 on the four points of a logic gate (all of them right), else 0.95."""
    return 1.0 if dataset in LOGIC_GATES else 0.95


# --- results ----------------------------------------------------------------------------


class ConfigStats(NamedTuple):
    """What the seeds of one (activation, optimizer, learning rate) did."""

    activation: str
    optimizer: str
    lr: float
    seeds: int
    successes: int
    success_rate: float
    ci95: tuple[float, float]  # Wilson 95% interval of success_rate
    final_loss_median: float  # training loss after the last step; a diverged run counts as inf
    final_loss_quartiles: tuple[float, float]  # (25th, 75th percentile)
    final_loss_iqr: float  # 75th - 25th percentile
    accuracy_median: float  # final accuracy (R^2 for regression), as success is judged
    dead_units_median: float  # share of hidden units dead at the end (f' = 0 on every training example)
    median_steps_to_threshold: float | None  # over the successful runs; None if none succeeded
    diverged: int  # runs whose final loss is not finite
    failed_seeds: tuple[int, ...]  # the seeds that did not succeed (replay with `actlab train --seed`)
    steps_to_threshold: tuple[int, ...] = ()  # per seed, in seed order; -1 where the run did not succeed
    train_accuracy_median: float = math.nan  # the same as accuracy_median, on the training data


class SweepResult(NamedTuple):
    dataset: str
    task: str
    metric: str  # "accuracy" or "r2"
    held_out: bool  # success judged on a held-out split
    threshold: float
    steps: int
    hidden: tuple[int, ...]
    conv: tuple[int, ...]  # channels of the convolutional layers
    batch: int | None
    dtype: str
    seed: int  # run s uses seed + s
    seeds: int
    runs: int  # configurations x seeds
    devices: int
    processes: int
    backend: str
    max_batch: int | None  # as given; None: as many as fit
    chunk_runs: int  # runs per program call (padded to a multiple of devices)
    chunks: int  # program calls per (activation, optimizer) pair
    compile_seconds: float
    train_seconds: float
    configs: tuple[ConfigStats, ...]  # in grid order: activation, optimizer, lr
    notes: tuple[str, ...]


class RunsOutput(NamedTuple):
    """Per-run numbers of one pair, in runs order (lr-major, then seed)."""

    final_loss: np.ndarray
    score: np.ndarray  # final accuracy or R^2, as success is judged
    train_score: np.ndarray  # the same on the training data
    success: np.ndarray  # bool
    first_step: np.ndarray  # int, -1: never reached on the training data
    dead: np.ndarray  # share of the hidden units dead at the end


# --- the grid ---------------------------------------------------------------------------


# Runs per device and program call on a CPU: as many as fit in this working set,
# near the processor's caches. Past them every step streams the runs through
# memory: on this two-core machine at load 8, moons took 1.6x the CPU time at
# 1024 runs a call as at 64 (at load 3 the two were even).
CPU_WORKING_SET = 16 << 20


def chunk_length(steps: int, chunks: int = 10) -> int:
    """Steps per compiled chunk: a power of two near steps / chunks, so sweeps
    of similar length share one program."""
    return min(1 << max(0, math.ceil(math.log2(max(1, math.ceil(steps / chunks))))), 4096)


def runs_that_fit(per_run: int, device) -> int:
    """Runs one device takes per program call, each needing ``per_run`` bytes
    (``train.step_bytes``): a working set of ``CPU_WORKING_SET`` on a CPU,
    a quarter of the free memory of an accelerator."""
    free = free_memory(device) if device.platform != "cpu" else None
    budget = free[0] // 4 if free else CPU_WORKING_SET
    return max(1, budget // per_run)


def runs_plan(n_runs: int, max_batch: int, n_devices: int) -> tuple[int, int]:
    """(chunks, runs per chunk): the fewest chunks of at most ``max_batch`` runs
    (at least one run per device), evened out and padded to a multiple of the
    device count, so every chunk has the same shape and one compiled program."""
    per = max(max_batch, n_devices)
    chunks = math.ceil(n_runs / per)
    size = math.ceil(n_runs / chunks)
    return chunks, math.ceil(size / n_devices) * n_devices


def sweep(ds: Dataset, *, activations: Sequence[Any], optimizers: Sequence[str],
          lrs: Sequence[float] | dict[str, Sequence[float]], seeds: int, steps: int | None = None,
          epochs: int | None = None, conv: tuple[int, ...] | None = None, hidden: Sequence[int] | None = None,
          threshold: float | None = None, seed: int = 0,
          max_batch: int | None = None, batch: int | None = None, dtype: str = "float32",
          init: str = "auto", l2: float = 0.0, l1: float = 0.0, features=None, output: str | None = None,
          loss: str | None = None, devices: Sequence[Any] | None = None,
          progress: Callable[[int, int, str], None] | None = None) -> SweepResult:
    """Trains every configuration of the grid on ``seeds`` seeds and measures success.

    Args:
      ds: the data (``actlab.blocks.data``).
      activations: ``Activation`` objects (``actlab.blocks.activations.get`` or an expression).
      optimizers: ``actlab.blocks.optim`` names.
      lrs: learning rates for every optimizer, or a dict optimizer -> learning rates.
      seeds: runs per configuration; run s starts from ``jax.random.key(seed + s)``.
      steps: optimizer steps per run (default: the dataset's, as ``actlab train``; 1000 for a CSV).
      epochs: passes over the training rows instead of ``steps``.
      conv: channels of convolutional layers in front (image data), () for the default.
      hidden: hidden-layer widths (default: the dataset's; (16, 16) for a CSV).
      threshold: success when the final accuracy (R^2 for regression) >= this;
        default ``default_threshold(ds.name)``.
      seed: the first seed.
      max_batch: most runs in one program call; default as many as fit
        (``runs_that_fit``). The grid of a pair is cut into chunks of at most
        this many runs.
      batch: mini-batch size (None: the dataset's default, else the full batch).
      dtype: parameter and data dtype name.
      init: weight init text (``actlab.blocks.model.parse_init``).
      l2: L2 penalty on the weight matrices.
      l1: L1 penalty on the weight matrices.
      features: None, or the network's inputs as formulas of the columns
        (``actlab.catalog.features``).
      output, loss: override the head the task rules choose (``actlab.lab.heads.choose_head``).
      devices: devices of the mesh; default every visible device (all hosts).
      progress: called as ``progress(done, total, what)`` as step chunks finish.

    Returns:
      A ``SweepResult``; its configs are in grid order (activation, optimizer, lr).
    """
    activations, optimizers = list(activations), list(optimizers)
    lr_table = _lr_table(activations, optimizers, lrs, dtype)
    if seeds < 1:
        raise ActlabError(f"bad --seeds {seeds}: must be >= 1")
    if max_batch is not None and max_batch < 1:
        raise ActlabError(f"bad --max-batch {max_batch}: must be >= 1")
    threshold = _threshold(ds, threshold)
    jobs = [(name_of(act), opt, setup.make_config(ds, activation=act, optimizer=opt, hidden=hidden,
                                                steps=steps, epochs=epochs, batch=batch, l2=l2, l1=l1,
                                                init=init, conv=conv, dtype=dtype, output=output, loss=loss,
                                                features=features)[0])
            for act in activations for opt in optimizers]
    config = jobs[0][2]
    devices = list(jax.devices() if devices is None else devices)
    mesh = Mesh(np.array(devices), (RUNS,))
    C = chunk_length(config.steps)
    # One set of programs per optimizer, the activations its branches.
    branches = {opt: tuple(dict.fromkeys(c for _, o, c in jobs if o == opt)) for opt in optimizers}
    rows = config.batch or ds.x_train.shape[0]
    fit = len(devices) * runs_that_fit(core.step_bytes(config, rows), devices[0])
    chunks, chunk_runs = runs_plan(max(len(v) for v in lr_table.values()) * seeds,
                                   fit if max_batch is None else min(fit, max_batch), len(devices))
    _check_memory(config, ds, chunk_runs, devices, runs=len(activations) * seeds * sum(map(len, lr_table.values())))
    total = len(activations) * math.ceil(config.steps / C) * sum(
        math.ceil(len(lr_table[o]) * seeds / chunk_runs) for o in optimizers)
    compile_seconds = _compile_all(branches, ds, mesh, chunk_runs, C, threshold, progress, total)

    configs: list[ConfigStats] = []
    train_seconds, done = 0.0, 0
    for name, opt, config in jobs:
        lr_values = lr_table[opt]
        grid_lr = np.repeat(np.asarray(lr_values, np.float64), seeds)
        grid_seed = np.tile(np.arange(seed, seed + seeds, dtype=np.int64), len(lr_values))

        def tick(what, name=name, opt=opt):
            nonlocal done
            done += 1
            progress(done, total, f"{name} / {opt}{what}")

        out, t_train = _run_pair(branches[opt], branches[opt].index(config), ds, grid_seed, grid_lr, threshold,
                                 mesh, chunk_runs, C, tick if progress is not None else None)
        train_seconds += t_train
        for i, lr in enumerate(lr_values):
            part = slice(i * seeds, (i + 1) * seeds)
            configs.append(_stats(name, opt, lr, grid_seed[part], RunsOutput(*(a[part] for a in out))))
    return SweepResult(
        dataset=ds.name, task=ds.task, metric="accuracy" if ds.task in CLASSIFICATION else "r2",
        held_out=bool(ds.has_test), threshold=threshold, steps=config.steps,
        hidden=tuple(config.sizes[1:-1]), conv=tuple(config.conv.channels) if config.conv else (),
        batch=config.batch, dtype=dtype, seed=seed, seeds=seeds,
        runs=len(configs) * seeds, devices=len(devices), processes=jax.process_count(),
        backend=jax.default_backend(), max_batch=max_batch, chunk_runs=chunk_runs, chunks=chunks,
        compile_seconds=compile_seconds, train_seconds=train_seconds, configs=tuple(configs),
        notes=_notes(ds, activations))


# Host bytes per run: its seed, learning rate and results, their concatenation,
# and its seed again in the list of failed seeds (a Python int).
HOST_BYTES_PER_RUN = 100


def _check_memory(config, ds: Dataset, chunk_runs: int, devices, *, runs: int) -> None:
    """Refuses a sweep that cannot fit: one program call trains ``chunk_runs``
    networks, shared out over the devices; the host keeps every run's numbers."""
    item = jnp.dtype(config.dtype).itemsize
    n_train, n_test = ds.x_train.shape[0], ds.x_test.shape[0] if ds.has_test else 0
    rows = config.batch or n_train
    one = core.step_bytes(config, rows) + item * max(n_train, n_test) * core.units(config)
    data = core.data_bytes(config, ds)
    sizes = "-".join(map(str, config.sizes))
    check_memory(one + data, f"one run of the {sizes} network on {rows} rows",
                 "use a smaller --hidden or --batch", device=devices[0])
    shares = 1 if devices[0].platform == "cpu" else len(devices)  # CPU devices share the host's memory
    at_once = -(-chunk_runs // shares)
    free = free_memory(devices[0])
    fits = shares * max(1, (free[0] - data) // one) if free else chunk_runs
    check_memory(at_once * one + data, f"one program call of {at_once} runs",
                 f"use --max-batch {fits} or less", device=devices[0])
    check_memory(HOST_BYTES_PER_RUN * runs, f"keeping the results of {runs} runs", "use fewer --seeds")


def _lr_table(activations, optimizers, lrs, dtype) -> dict[str, list[float]]:
    """optimizer -> its learning rates, each checked (also against ``dtype``)."""
    if not activations or not optimizers:
        raise ActlabError("a sweep needs at least one activation and one optimizer")
    table = {o: list(lrs[o] if isinstance(lrs, dict) else lrs) for o in map(optim.check_name, optimizers)}
    for o, values in table.items():
        if not values:
            raise ActlabError(f"no learning rate for optimizer {o!r}")
        for lr in values:
            in_dtype(optim.check_lr(lr), dtype, "--lr", positive=True)
    return table


def _threshold(ds: Dataset, threshold: float | None) -> float:
    threshold = default_threshold(ds.name) if threshold is None else float(threshold)
    if ds.task in CLASSIFICATION and not (0 < threshold <= 1):
        raise ActlabError(f"bad --threshold {threshold}: must be in (0, 1] (an accuracy)")
    if not (math.isfinite(threshold) and threshold <= 1):
        raise ActlabError(f"bad --threshold {threshold}: must be a finite R^2 <= 1")
    return threshold


def _compile_all(groups, ds, mesh, chunk_runs, C, threshold, progress, total) -> float:
    """Traces every program, then compiles them all at once, one thread per core
    (XLA compiles without holding the GIL): compiling is most of the cost of a
    small sweep. ``groups``: optimizer -> its configurations. -> seconds."""
    t0 = time.perf_counter()
    pairs = {opt: [f"{name_of(c.activation)} / {opt}" for c in configs] for opt, configs in groups.items()}
    if progress is not None:
        progress(0, total, _compiling([p for ps in pairs.values() for p in ps]))
    lowered = {}
    for opt, configs in groups.items():
        for sig, low in _lowered(configs, mesh, *_avals(*_host_data(configs[0], ds)), chunk_runs, C,
                                 threshold).items():
            lowered[sig] = (low, pairs[opt])
    device = mesh.devices.flat[0]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(len(lowered), os.cpu_count() or 1))) as pool:
        compiling = {pool.submit(runtime.compile, low, device): (sig, ps) for sig, (low, ps) in lowered.items()}
        for future in concurrent.futures.as_completed(compiling):
            _PROGRAMS[compiling[future][0]] = future.result()
            if progress is not None:
                progress(0, total, _compiling(list(dict.fromkeys(
                    p for f, (_, ps) in compiling.items() if not f.done() for p in ps))))
    return time.perf_counter() - t0


def _compiling(pairs: list[str]) -> str:
    """What the progress bar says while the programs compile: the pairs still compiling."""
    if not pairs:
        return "compiled"
    more = f" and {len(pairs) - 3} more" if len(pairs) > 3 else ""
    return f"compiling {', '.join(pairs[:3])}{more}"


def _notes(ds: Dataset, activations) -> tuple[str, ...]:
    if "linear" not in [name_of(a) for a in activations]:
        return ()
    if ds.name == "xor":
        return ("XOR is not linearly separable: a network with linear hidden layers is one "
                "affine map, so it never gets all four points right",)
    if ds.name == "xor-noisy":
        return ("XOR is not linearly separable: a network with linear hidden layers is one "
                "affine map, which cannot pass about 75% accuracy on the XOR clouds",)
    return ()


def _stats(activation, optimizer, lr, seeds, out: RunsOutput) -> ConfigStats:
    n = len(seeds)
    k = int(out.success.sum())
    q25, q50, q75 = quantiles(out.final_loss, (0.25, 0.5, 0.75))
    # Over the successful runs only: near a loss minimum with logits at rounding
    # noise (a linear net on XOR) the training accuracy can touch the threshold
    # by chance, and such a touch is no sign of learning.
    reached = out.first_step[out.success & (out.first_step >= 0)]
    score, train_score = (np.where(np.isnan(v), -np.inf, v).astype(np.float64) for v in (out.score, out.train_score))
    return ConfigStats(
        activation=activation, optimizer=optimizer, lr=float(lr), seeds=n, successes=k,
        success_rate=k / n, ci95=wilson_interval(k, n),
        final_loss_median=q50, final_loss_quartiles=(q25, q75),
        final_loss_iqr=(q75 - q25) if math.isfinite(q75 - q25) else math.inf,
        accuracy_median=float(np.median(score)),
        dead_units_median=float(np.median(out.dead)),
        median_steps_to_threshold=float(np.median(reached)) if reached.size else None,
        diverged=int((~np.isfinite(out.final_loss)).sum()),
        failed_seeds=tuple(int(s) for s in seeds[~out.success]),
        steps_to_threshold=tuple(int(s) if ok and s >= 0 else -1 for s, ok in zip(out.first_step, out.success)),
        train_accuracy_median=float(np.median(train_score)))


# --- the compiled programs --------------------------------------------------------------


def _put(value, sharding):
    """A global array from a host value that every process holds in full."""
    value = np.asarray(value)
    return jax.make_array_from_callback(value.shape, sharding, lambda idx: value[idx])


_PROGRAMS: dict = {}  # signature -> compiled program, for the life of the process


def _signatures(configs, mesh, data_avals, test_avals, runs, C, threshold) -> tuple:
    """The keys of the init, chunk and final programs in ``_PROGRAMS``."""
    where = (configs, tuple(mesh.devices.flat), data_avals, runs)
    return ("init", *where), ("chunk", *where, C, threshold), ("final", *where, test_avals, threshold)


def _lowered(configs, mesh, data_avals, test_avals, runs, C, threshold) -> dict:
    """The three programs of configurations that differ only in the activation,
    traced for these shapes: {signature: jax ``Lowered``}, none when compiled
    already. ``init`` makes the runs' first states from their seeds, ``chunk``
    takes C steps, ``final`` measures. Each takes the index of a configuration
    first and switches to its branch: XLA compiles the kernels the branches
    share (the optimizer's update, the draws of the weights) once, so three
    activations compile in about half the time of three programs apiece, and
    every branch computes as its own program would."""
    sigs = _signatures(configs, mesh, data_avals, test_avals, runs, C, threshold)
    if all(sig in _PROGRAMS for sig in sigs):
        return {}
    rs = [core.make_run(config) for config in configs]
    dtype = jnp.dtype(configs[0].param_dtype)
    thr = jnp.asarray(threshold, dtype)  # compare in the score's own dtype: 0.95 means float32(0.95)
    sharded = NamedSharding(mesh, PartitionSpec(RUNS))
    replicated = NamedSharding(mesh, PartitionSpec())

    def init_one(which, seed, data):
        return jax.lax.switch(which, [lambda s, r=r: r.init(jax.random.key(s), data) for r in rs], seed)

    def chunk_one(which, state, first, lr, data, total, offset):
        state, (_, score) = jax.lax.switch(which, [
            lambda st, r=r: r.steps(st, lr, data, total, length=C, start=offset) for r in rs], state)
        hit = score >= thr  # score[i]: after offset + i steps
        at = (offset + jnp.argmax(hit)).astype(jnp.int32)
        first = jnp.where((first < 0) & jnp.any(hit), jnp.minimum(at, total), first)
        return state, first

    conv = configs[0].conv
    # units of each hidden layer (a convolution's are its channels), as r.inside counts them
    widths = jnp.asarray([*(conv.channels if conv else ()), *configs[0].sizes[1:-1]], dtype)

    def final_one(which, state, first, data, test, total):
        def measure(params, r):
            loss, train_score = r.evaluate(params, *data)
            score = train_score if test is None else r.evaluate(params, *test)[1]
            dead = jnp.sum(r.inside(params, data[0])[:, 0] * widths) / jnp.maximum(jnp.sum(widths), 1)
            return loss, score, train_score, dead

        loss, score, train_score, dead = jax.lax.switch(which, [lambda p, r=r: measure(p, r) for r in rs],
                                                        state.params)
        first = jnp.where((first < 0) & (train_score >= thr), total, first)
        return loss, score, train_score, score >= thr, first, dead

    which = jax.ShapeDtypeStruct((), jnp.int32, sharding=replicated)
    seeds = jax.ShapeDtypeStruct((runs,), _seed_dtype(), sharding=sharded)
    lrs = jax.ShapeDtypeStruct((runs,), dtype, sharding=sharded)
    first = jax.ShapeDtypeStruct((runs,), jnp.int32, sharding=sharded)
    scalar = jax.ShapeDtypeStruct((), jnp.int32, sharding=replicated)
    spec = lambda avals: None if avals is None else tuple(  # noqa: E731
        jax.ShapeDtypeStruct(shape, dt, sharding=replicated) for shape, dt in avals)
    data, test = spec(data_avals), spec(test_avals)

    # shard_map: each device runs the vmapped program on its share of the runs,
    # with no communication (runs are independent; on rounding see the module
    # docstring).
    runs_, same = PartitionSpec(RUNS), PartitionSpec()

    def per_device(fn, in_axes, in_specs):
        return jax.shard_map(jax.vmap(fn, in_axes=(None, *in_axes)), mesh=mesh, in_specs=(same, *in_specs),
                             out_specs=runs_, check_vma=False)

    init = jax.jit(per_device(init_one, (0, None), (runs_, same)), out_shardings=sharded).lower(which, seeds, data)
    state = jax.tree.map(lambda s: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sharded), init.out_info)
    chunk = jax.jit(per_device(chunk_one, (0, 0, 0, None, None, None), (runs_, runs_, runs_, same, same, same)),
                    out_shardings=sharded, donate_argnums=(1, 2)).lower(which, state, first, lrs, data, scalar, scalar)
    # Replicated out: every process (every host) ends with all the per-run numbers.
    final = jax.jit(per_device(final_one, (0, 0, None, None, None), (runs_, runs_, same, same, same)),
                    out_shardings=replicated).lower(which, state, first, data, test, scalar)
    return {sig: low for sig, low in zip(sigs, (init, chunk, final)) if sig not in _PROGRAMS}


def _seed_dtype():
    # int64 as `actlab train` passes a Python int (float64 mode); int32 without x64.
    return np.int64 if jax.config.jax_enable_x64 else np.int32


def _host_data(config, ds):
    data = core.prepare_data(ds.x_train, ds.y_train, config)
    test = core.prepare_data(ds.x_test, ds.y_test, config) if ds.has_test else None
    return data, test


def _avals(data, test):
    """(shape, dtype) of the training and test arrays: part of a program's signature."""
    return tuple(None if d is None else tuple((a.shape, a.dtype) for a in d) for d in (data, test))


def _run_pair(configs, which, ds, grid_seed, grid_lr, threshold, mesh, chunk_runs, C, tick):
    """Every (seed, lr) run of ``configs[which]``, with the programs ``_compile_all``
    made; -> (RunsOutput, train seconds)."""
    config = configs[which]
    data, test = _host_data(config, ds)
    init_c, chunk_c, final_c = (_PROGRAMS[sig] for sig in _signatures(
        configs, mesh, *_avals(data, test), chunk_runs, C, threshold))
    sharded = NamedSharding(mesh, PartitionSpec(RUNS))
    replicated = NamedSharding(mesh, PartitionSpec())
    which = _put(np.int32(which), replicated)
    data = tuple(_put(a, replicated) for a in data)
    test = None if test is None else tuple(_put(a, replicated) for a in test)
    total = _put(np.int32(config.steps), replicated)
    dtype = jnp.dtype(config.param_dtype)

    n = grid_seed.size
    parts = []
    t0 = time.perf_counter()
    for start in range(0, n, chunk_runs):
        stop = min(start + chunk_runs, n)
        pad = chunk_runs - (stop - start)
        # Padding repeats the last run: a valid run whose numbers are dropped.
        seeds = np.concatenate([grid_seed[start:stop], np.repeat(grid_seed[stop - 1], pad)])
        seeds = seeds.astype(_seed_dtype())
        lrs = np.concatenate([grid_lr[start:stop], np.repeat(grid_lr[stop - 1], pad)]).astype(dtype)
        state = init_c(which, _put(seeds, sharded), data)
        first = _put(np.full(chunk_runs, -1, np.int32), sharded)
        lrs = _put(lrs, sharded)
        for offset in range(0, config.steps, C):
            state, first = chunk_c(which, state, first, lrs, data, total, _put(np.int32(offset), replicated))
            if tick is not None:  # else the chunks queue up without waiting for each other
                jax.block_until_ready(first)
                tick(f": runs {start + 1}-{stop} of {n}, step {min(offset + C, config.steps)}")
        parts.append(tuple(np.asarray(a)[: stop - start] for a in final_c(which, state, first, data, test, total)))
    out = RunsOutput(*(np.concatenate(col) for col in zip(*parts)))
    return out, time.perf_counter() - t0
