"""What recording the layer statistics costs: the same training run with the
layer checkpoints (as `actlab train` runs it) and without, in this process,
the two interleaved run by run.

    python benchmarks/bench_layers.py [--repeats 15]

Each run is the driver's loop: the compiled training program called until
the run is done, from the same seed. Prints min and median milliseconds of
each and the ratio with/without (goal: under 1.2).
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

from actlab.blocks import activations, data  # noqa: E402
from actlab.lab import layers, setup, train  # noqa: E402

CASES = [  # dataset, hidden, steps, batch
    ("moons", (16, 16), 1000, None),
    ("spiral", (64, 64), 2000, None),
    ("spiral", (64, 64), 2000, 32),
    ("moons", (8,) * 6, 1000, None),
    ("digits", (25, 15), 840, 32),
]


def programs(name, hidden, steps, batch):
    """(run with the layer checkpoints, run without, config): each run trains once and waits."""
    ds, _ = data.load(data.Request(name=name, seed=0))
    config, _ = setup.make_config(ds, activation=activations.get("relu"), optimizer="adam", hidden=hidden,
                                  steps=steps, batch=batch)
    d = train.prepare_data(ds.x_train, ds.y_train, config)
    test = train.prepare_data(ds.x_test, ds.y_test, config)
    plan = train.plan(steps, train.steps_per_epoch(ds.x_train.shape[0], config.batch))
    args = (train.blank_state(config, d), np.asarray(0, np.int64), np.asarray(0.01, config.param_dtype), d, test,
            jnp.zeros((0, ds.n_features), config.dtype), np.asarray(steps, np.int32))

    def run(plan_):
        program = jax.jit(train.make_program(config, plan_, ds.has_test)).lower(*args).compile()

        def once():
            state, *rest = args
            for _ in range(0, steps, plan_.chunk):
                state, chunk, report = program(state, *rest)
                jax.block_until_ready(chunk.loss)  # the driver reads each call's losses
            return jax.block_until_ready(report)

        return once

    return run(plan), run(plan._replace(layers_every=0)), config, plan


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
    print(f"hidden layers measured at about {layers.CHECKPOINTS} checkpoints and the end, backend "
          f"{jax.default_backend()}, {args.repeats} runs each, interleaved")
    print(f"{'case':40s} {'with: min':>10s} {'median':>8s} {'without: min':>13s} {'median':>8s} "
          f"{'ratio min':>10s} {'median':>7s}")
    for name, hidden, steps, batch in CASES:
        with_layers, without, config, plan = programs(name, hidden, steps, batch)
        t_with, t_without = interleaved([with_layers, without], args.repeats)
        label = f"{name} {'-'.join(map(str, config.sizes))}, {steps} steps" + (f", batch {batch}" if batch else "")
        a, b = (min(t_with), statistics.median(t_with)), (min(t_without), statistics.median(t_without))
        print(f"{label:40s} {a[0] * 1e3:8.1f}ms {a[1] * 1e3:6.1f}ms {b[0] * 1e3:11.1f}ms {b[1] * 1e3:6.1f}ms "
              f"{a[0] / b[0]:10.2f} {a[1] / b[1]:7.2f}")


if __name__ == "__main__":
    main()
