"""2000 full-batch Adam steps of a 2-8-1 tanh network on XOR: one compiled
``lax.scan`` program (actlab) against a PyTorch eager loop, measured in this run.

    python benchmarks/bench_train.py [--steps 2000] [--repeats 5]

Prints the median wall time of each (after compilation / warm-up) and the ratio.
Also times actlab's chunked driver (what `actlab train` runs, with progress)
and the compile time.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)

from _timing import median_time  # noqa: E402
from actlab.blocks import activations, data
from actlab.lab import train  # noqa: E402


def bench_actlab(steps, repeats):
    ds = data.make_dataset("xor")
    config = train.TrainConfig(task="binary", sizes=(2, 8, 1), activation=activations.get("tanh"),
                               optimizer="adam", output="sigmoid", loss="bce", steps=steps)
    r = train.make_run(config)
    d = train.prepare_data(ds.x_train, ds.y_train, config)
    key, lr = jax.random.key(0), jnp.float32(0.01)
    t0 = time.perf_counter()
    run = jax.jit(r.run).lower(key, lr, d).compile()
    compile_s = time.perf_counter() - t0
    out = run(key, lr, d)
    jax.block_until_ready(out)
    t_scan = median_time(lambda: jax.block_until_ready(run(key, lr, d)), repeats)
    t_driver = median_time(lambda: train.train(config, ds, lr=0.01, seed=0), repeats)
    return t_scan, t_driver, compile_s, float(out.final_score)


def bench_torch(steps, repeats):
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    torch.set_num_threads(1)  # 4-row tensors: threads only add contention
    x = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float32)
    y = torch.tensor([[0], [1], [1], [0]], dtype=torch.float32)

    def run():
        net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
        opt = torch.optim.Adam(net.parameters(), lr=0.01)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
        return net

    t = median_time(run, max(1, repeats // 2))
    net = run()
    acc = float(((net(x) > 0).float() == y).float().mean())
    return t, acc, torch.__version__


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    t_scan, t_driver, compile_s, acc = bench_actlab(args.steps, args.repeats)
    print(f"{args.steps} full-batch Adam steps, 2-8-1 tanh on XOR, backend {jax.default_backend()}")
    print(f"  actlab, one lax.scan program:    {t_scan * 1e3:9.2f} ms  (compile {compile_s:.2f} s, accuracy {acc:.2f})")
    print(f"  actlab, chunked driver (train):  {t_driver * 1e3:9.2f} ms")
    res = bench_torch(args.steps, args.repeats)
    if res is None:
        print("  torch not importable: no eager peer measured")
        return
    t_torch, acc_t, version = res
    print(f"  PyTorch {version} eager loop:     {t_torch * 1e3:9.2f} ms  (accuracy {acc_t:.2f})")
    print(f"ratio torch eager / actlab scan:   {t_torch / t_scan:8.1f}x")
    print(f"ratio torch eager / actlab driver: {t_torch / t_driver:8.1f}x")


if __name__ == "__main__":
    main()
