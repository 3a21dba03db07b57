"""Dense against convolutional layers on digits, on equal terms: the same
schedule (Adam at 1e-3, batches of 32; 40 epochs of all the training rows,
400 epochs of 10% of them: about the same number of steps), the same seeds
and splits.

Per network: parameters, training seconds per step (median over seeds, one
program per network, warm), train and test accuracy and their gap (means over
seeds 0-4). The course notes say a convolutional layer needs fewer parameters,
computes faster and overfits less; this prints what happens here.

    python benchmarks/bench_conv.py [--seeds 5] [--conv 8,16]
"""

from __future__ import annotations

import argparse
import statistics

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

from _timing import load  # noqa: E402
from actlab.blocks import activations, data  # noqa: E402
from actlab.lab import setup, train  # noqa: E402


def measure(kind, channels, frac, epochs, seeds):
    rows = []
    for seed in range(seeds):
        ds, _ = data.load(data.Request(name="digits", seed=seed, train_frac=frac))
        conv = channels if kind == "conv" else None
        config, _ = setup.make_config(ds, activation=activations.get("relu"), optimizer="adam", conv=conv,
                                      epochs=epochs)
        lr = setup.default_lr(ds, "adam")
        train.train(config, ds, lr=lr, seed=seed)  # compiled (once per network and data shape)
        r = train.train(config, ds, lr=lr, seed=seed)
        rows.append((r.param_count, r.train_seconds / r.steps, r.train_accuracy, r.accuracy, r.steps, r.n_train))
    params, per_step, tr, te, steps, n = zip(*rows)
    return params[0], statistics.median(per_step), np.mean(tr), np.mean(te), steps[0], n[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--conv", default="8,16", help="channels of the convolutional layers")
    args = parser.parse_args()
    channels = tuple(int(c) for c in args.conv.split(","))
    print(f"digits, relu, Adam 1e-3, batches of 32, seeds 0-{args.seeds - 1}; {load()}")
    print(f"{'network':34s} {'train rows':>10s} {'steps':>6s} {'params':>7s} {'ms/step':>8s} "
          f"{'train acc':>9s} {'test acc':>9s} {'gap':>6s}")
    for frac, epochs in ((1.0, 40), (0.1, 400)):
        for kind, name in (("dense", "dense 64-25-15-10"),
                           ("conv", f"conv 3x3/2 {args.conv} + dense 10")):
            params, per_step, tr, te, steps, n = measure(kind, channels, frac, epochs, args.seeds)
            print(f"{name:34s} {n:10d} {steps:6d} {params:7,d} {1e3 * per_step:8.3f} {tr:9.4f} {te:9.4f} "
                  f"{tr - te:6.4f}")
    print(load())


if __name__ == "__main__":
    main()
