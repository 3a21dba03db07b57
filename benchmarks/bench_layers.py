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

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

from _timing import interleaved  # noqa: E402
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
    probe = train.on_device(np.zeros((0, ds.n_features)), config.dtype)
    n = ds.x_train.shape[0]
    plan = train.plan(steps, train.steps_per_epoch(n, config.batch), rows=config.batch or n,
                      test_rows=ds.x_test.shape[0])
    rest = (np.int64(0), np.asarray(0.01, config.param_dtype), d, test, probe, np.int32(steps))

    def run(plan_):
        program, _ = train.compiled_program(config, plan_, ds.has_test, d, test, probe)

        def once():
            state = program.blank
            for _ in range(0, steps, plan_.chunk):
                state, chunk, _ = program.call(state, *rest, np.bool_(False))
                jax.block_until_ready(chunk.loss)  # the driver reads each call's losses
            return jax.block_until_ready(program.call(state, *rest, np.bool_(True))[2])  # and measures

        return once

    return run(plan), run(plan._replace(layers_every=0)), config, plan


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
        times = interleaved({"with": with_layers, "without": without}, args.repeats)
        t_with, t_without = times["with"], times["without"]
        label = f"{name} {'-'.join(map(str, config.sizes))}, {steps} steps" + (f", batch {batch}" if batch else "")
        a, b = t_with[:2], t_without[:2]
        print(f"{label:40s} {a[0] * 1e3:8.1f}ms {a[1] * 1e3:6.1f}ms {b[0] * 1e3:11.1f}ms {b[1] * 1e3:6.1f}ms "
              f"{a[0] / b[0]:10.2f} {a[1] / b[1]:7.2f}")


if __name__ == "__main__":
    main()
