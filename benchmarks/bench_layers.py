"""What recording the layer statistics costs: the same training run with the
checkpoints (as `actlab train` runs it) and without, in this process, the two
interleaved run by run.

    python benchmarks/bench_layers.py [--repeats 15]

Each run is the driver's loop: the compiled chunk program called until the
run is done, from the same initial state. Prints min and median seconds of
each and the ratio with/without (goal: under 1.2).
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)

from actlab.blocks import activations, data  # noqa: E402
from actlab.lab import layers, setup, train  # noqa: E402

CASES = [  # dataset, hidden, steps, batch
    ("moons", (16, 16), 1000, None),
    ("spiral", (64, 64), 2000, None),
    ("spiral", (64, 64), 2000, 32),
    ("moons", (8,) * 6, 1000, None),
]


def programs(name, hidden, steps, batch):
    """(run with checkpoints, run without): each a function that trains once and waits."""
    ds = data.make_dataset(name, seed=0)
    config, _ = setup.make_config(ds, activation=activations.get("relu"), optimizer="adam", hidden=hidden,
                                  steps=steps, batch=batch)
    r = train.make_run(config)
    d = train.prepare_data(ds.x_train, ds.y_train, config)
    state = r.init(jax.random.key(0), d)
    lr, total = jnp.float32(0.01), jnp.int32(steps)
    C = train.chunk_length(steps)
    checkpoints = jnp.asarray(layers.checkpoint_steps(steps), jnp.int32)
    with_stats = jax.jit(lambda s, lr, d, t, ck: r.steps(s, lr, d, t, ck, length=C)).lower(
        state, lr, d, total, checkpoints).compile()
    without = jax.jit(lambda s, lr, d, t: r.steps(s, lr, d, t, length=C)).lower(state, lr, d, total).compile()

    def run(step_fn, *extra):
        def once():
            s = state
            for _ in range(0, steps, C):
                s, out = step_fn(s, lr, d, total, *extra)
                jax.block_until_ready(out)  # the driver reads each chunk's losses
            return s

        return once

    return run(with_stats, checkpoints), run(without), config


def interleaved(fns, repeats):
    """Seconds of each function, called in turn ``repeats`` times after a warm-up."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, kept in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            kept.append(time.perf_counter() - t0)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(f"layer statistics at {layers.CHECKPOINTS} checkpoints, backend {jax.default_backend()}, "
          f"{args.repeats} runs each, interleaved")
    print(f"{'case':38s} {'with: min':>10s} {'median':>8s} {'without: min':>13s} {'median':>8s} "
          f"{'ratio min':>10s} {'median':>7s}")
    for name, hidden, steps, batch in CASES:
        with_stats, without, config = programs(name, hidden, steps, batch)
        t_with, t_without = interleaved([with_stats, without], args.repeats)
        label = f"{name} {'-'.join(map(str, config.sizes))}, {steps} steps" + (f", batch {batch}" if batch else "")
        a, b = (min(t_with), statistics.median(t_with)), (min(t_without), statistics.median(t_without))
        print(f"{label:38s} {a[0] * 1e3:8.1f}ms {a[1] * 1e3:6.1f}ms {b[0] * 1e3:11.1f}ms {b[1] * 1e3:6.1f}ms "
              f"{a[0] / b[0]:10.2f} {a[1] / b[1]:7.2f}")


if __name__ == "__main__":
    main()
