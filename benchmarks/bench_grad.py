"""Benchmark: the gradient-flow experiment of ``actlab grad --depth``.

actlab runs every activation in one jit-compiled program (one backward pass
each, all per-layer statistics fused in). The peers, measured in the same run:
  * the same experiment one activation at a time with a separate jitted
    program each (what a per-activation loop would compile),
  * PyTorch eager autograd (if torch is installed), which also checks that the
    per-layer gradient norms agree.

    python benchmarks/bench_grad.py [--depth 10 --width 64 --batch 128]

Prints medians of several repeats (after a warm-up) and ratios.
"""

from __future__ import annotations

import argparse
import time

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

from _timing import median_time  # noqa: E402
from actlab.blocks import activations
from actlab.lab import gradflow  # noqa: E402
from actlab.blocks.model import parse_init  # noqa: E402

NAMES = ("sigmoid", "relu", "tanh", "linear")


def actlab_program(acts, depth, width, batch, dtype="float32"):
    """The core's compiled program, called the way ``gradient_flow`` calls it."""
    inits = [parse_init("auto", a) for a in acts]
    affines = tuple(gradflow._affine_form(a) for a in acts)
    draws = gradflow._draws(0, depth, width, batch)
    nets = tuple(gradflow._stack(draws, i, 0.0, np.dtype(dtype)) for i in inits)
    x, t = jax.numpy.asarray(draws.x, dtype), jax.numpy.asarray(draws.t, dtype)
    program = gradflow._flow_program(tuple(acts), affines)
    return lambda: jax.block_until_ready(program(nets, x, t))


def torch_flow(name, depth, width, batch):
    import torch

    init = parse_init("auto", activations.get(name))
    draws = gradflow._draws(0, depth, width, batch)
    w = [torch.tensor(init.std(width, width) * draws.w[i], dtype=torch.float32, requires_grad=True)
         for i in range(depth)]
    w_out = torch.tensor(init.std(width, 1) * draws.w_out, dtype=torch.float32, requires_grad=True)
    x = torch.tensor(draws.x, dtype=torch.float32)
    t = torch.tensor(draws.t, dtype=torch.float32)
    g = {"sigmoid": torch.sigmoid, "relu": torch.relu, "tanh": torch.tanh, "linear": lambda z: z}[name]

    def run():
        for p in w + [w_out]:
            p.grad = None
        a, zs = x, []
        for wl in w:
            z = a @ wl
            z.retain_grad()
            zs.append(z)
            a = g(z)
        loss = 0.5 * torch.mean((a @ w_out - t) ** 2)
        loss.backward()
        return [float(p.grad.norm()) for p in w], [float(z.grad.norm()) for z in zs]

    return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    acts = [activations.get(n) for n in NAMES]
    shape = dict(depth=args.depth, width=args.width, batch=args.batch)
    print(f"gradient flow, {', '.join(NAMES)}: depth {args.depth}, width {args.width}, "
          f"batch {args.batch}, float32, backend {jax.default_backend()}")

    start = time.perf_counter()
    fused = actlab_program(acts, **shape)
    fused()
    compile_fused = time.perf_counter() - start
    start = time.perf_counter()
    separate = [actlab_program([a], **shape) for a in acts]
    for f in separate:
        f()
    compile_separate = time.perf_counter() - start

    t_fused = median_time(fused)
    t_separate = median_time(lambda: [f() for f in separate])
    print(f"  actlab, one program for all:      {t_fused * 1e3:8.3f} ms  (first call with compile {compile_fused:.2f} s)")
    print(f"  one program per activation:       {t_separate * 1e3:8.3f} ms  (first calls {compile_separate:.2f} s)"
          f"   ratio {t_separate / t_fused:.2f}x")
    t_api = median_time(lambda: gradflow.gradient_flow(acts, **shape), repeats=7)
    print(f"  gradient_flow() end to end:       {t_api * 1e3:8.3f} ms  (draws, transfer, results)")

    try:
        import torch
    except ImportError:
        print("  torch not installed: no PyTorch comparison")
        return
    torch.set_num_threads(max(1, torch.get_num_threads()))
    runs = [torch_flow(n, **shape) for n in NAMES]
    t_torch = median_time(lambda: [r() for r in runs])
    print(f"  PyTorch eager autograd:           {t_torch * 1e3:8.3f} ms   ratio {t_torch / t_fused:.2f}x "
          "(torch / actlab program)")
    flows = gradflow.gradient_flow(acts, **shape)
    worst = 0.0
    for flow, run in zip(flows, runs):
        grad_norms, signal_norms = run()
        ours = np.array([layer.grad_norm for layer in flow.layers])
        ours_signal = np.array([layer.signal_norm for layer in flow.layers])
        worst = max(worst, float(np.max(np.abs(ours / np.array(grad_norms) - 1))),
                    float(np.max(np.abs(ours_signal / np.array(signal_norms) - 1))))
    print(f"  per-layer norms, actlab vs torch: max relative difference {worst:.2e} (float32)")


if __name__ == "__main__":
    main()
