"""Benchmark: the gradient-flow experiment of ``actlab grad --depth``.

actlab draws the network and runs every activation in one jit-compiled program
(one backward pass each, all per-layer statistics fused in). The peers,
measured in the same run, interleaved round-robin (minimum and median):
  * the same experiment one activation at a time with a separate jitted
    program each (what a per-activation loop would compile),
  * PyTorch eager autograd (if torch is installed), which also checks that the
    per-layer gradient norms agree.

``--draws`` measures the host work of a deep, wide network instead (goal:
``actlab grad relu --depth 200 --width 1024`` within 2x of its compute alone,
and under 2x the weights' memory): ``gradient_flow()`` end to end (the draws
made by jax in the working dtype, inside the program) against the same
forward and backward pass on weights drawn beforehand; and how far the
process's peak memory rises while the compiled program runs.

    python benchmarks/bench_grad.py [--depth 10 --width 64 --batch 128]
    python benchmarks/bench_grad.py --draws [--depth 200 --width 1024]
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

from _timing import interleaved, load  # noqa: E402
from actlab.blocks import activations  # noqa: E402
from actlab.blocks.model import parse_init  # noqa: E402
from actlab.lab import gradflow  # noqa: E402

NAMES = ("sigmoid", "relu", "tanh", "linear")


def actlab_program(acts, depth, width, batch, dtype="float32"):
    """The core's compiled program, called the way ``gradient_flow`` calls it."""
    scales = tuple(gradflow._scales(parse_init("auto", a), width, 0.0, jnp.dtype(dtype)) for a in acts)
    affines = tuple(gradflow._affine_form(a) for a in acts)
    program = gradflow._flow_program(tuple(acts), affines, depth, width, batch, dtype)
    key = jax.random.key(0)
    return lambda: jax.block_until_ready(program(key, scales))


def compute_alone(act, depth, width, batch, dtype="float32"):
    """The forward and backward pass of one activation on weights drawn beforehand."""
    draws = jax.block_until_ready(gradflow._draw_program(depth, width, batch, dtype)(jax.random.key(0)))
    scales = gradflow._scales(parse_init("auto", act), width, 0.0, jnp.dtype(dtype))
    program = jax.jit(lambda d, s: gradflow._flow_one(act, None, d.net, s, d.x, d.t))
    return lambda: jax.block_until_ready(program(draws, scales))


def torch_flow(name, depth, width, batch):
    import torch

    params, x, t = gradflow.sample_network(seed=0, depth=depth, width=width, batch=batch,
                                           init=parse_init("auto", activations.get(name)))
    w = [torch.tensor(np.asarray(wl), requires_grad=True) for wl, _ in params[:-1]]
    w_out = torch.tensor(np.asarray(params[-1][0]), requires_grad=True)
    x, t = torch.tensor(np.asarray(x)), torch.tensor(np.asarray(t))
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


def programs(args):
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
    contenders = {"fused": fused, "separate": lambda: [f() for f in separate],
                  "api": lambda: gradflow.gradient_flow(acts, **shape)}
    try:
        import torch

        runs = [torch_flow(n, **shape) for n in NAMES]
        contenders["torch"] = lambda: [r() for r in runs]
    except ImportError:
        runs = None
    t = interleaved(contenders, rounds=args.rounds)
    print(f"  actlab, one program for all:  min {t['fused'].min * 1e3:8.3f} ms, median "
          f"{t['fused'].median * 1e3:8.3f} ms  (first call with compile {compile_fused:.2f} s)")
    print(f"  one program per activation:   {t['separate'].ratio(t['fused'])} of it "
          f"(first calls {compile_separate:.2f} s)")
    print(f"  gradient_flow() end to end:   {t['api'].ratio(t['fused'])} of it (results to the host)")
    if runs is None:
        print("  torch not installed: no PyTorch comparison")
        return
    print(f"  PyTorch eager autograd:       {t['torch'].ratio(t['fused'])} of it")
    flows = gradflow.gradient_flow(acts, **shape)
    worst = 0.0
    for flow, run in zip(flows, runs):
        grad_norms, signal_norms = run()
        ours = np.array([layer.grad_norm for layer in flow.layers])
        ours_signal = np.array([layer.signal_norm for layer in flow.layers])
        worst = max(worst, float(np.max(np.abs(ours / np.array(grad_norms) - 1))),
                    float(np.max(np.abs(ours_signal / np.array(signal_norms) - 1))))
    print(f"  per-layer norms, actlab vs torch: max relative difference {worst:.2e} (float32)")


def memory_of(fn) -> int:
    """Bytes the process's peak resident memory rises by while ``fn()`` runs (Linux)."""

    def status(field):
        with open("/proc/self/status") as f:
            return int(next(line.split()[1] for line in f if line.startswith(field))) * 1024

    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the peak starts again from the current resident size
    before = status("VmRSS:")
    fn()
    return status("VmHWM:") - before


def draws(args):
    relu = activations.get("relu")
    shape = dict(depth=args.depth, width=args.width, batch=args.batch)
    weights = args.depth * args.width * args.width * 4
    print(f"actlab grad relu --depth {args.depth} --width {args.width} (batch {args.batch}, float32): "
          f"hidden weights {weights / 2**20:.0f} MiB")
    # Memory first, in a process that has run nothing yet: the compiled program's
    # run, draws included, against the bytes of the weights it draws.
    key = jax.random.key(0)
    scales = (gradflow._scales(parse_init("auto", relu), args.width, 0.0, jnp.dtype("float32")),)
    program = gradflow._flow_program((relu,), (None,), args.depth, args.width, args.batch, "float32")
    compiled = program.lower(key, scales).compile()
    extra = memory_of(lambda: jax.block_until_ready(compiled(key, scales)))
    print(f"  memory of one run (draws, forward, backward): {extra / 2**20:.0f} MiB = "
          f"{extra / weights:.2f}x the weights (goal < 2x)")
    end_to_end = lambda: gradflow.gradient_flow([relu], **shape)  # noqa: E731
    alone = compute_alone(relu, **shape)
    end_to_end()
    t = interleaved({"end to end": end_to_end, "compute": alone}, rounds=args.rounds)
    print(f"  compute alone (weights drawn before): min {t['compute'].min:.2f} s, median {t['compute'].median:.2f} s")
    print(f"  gradient_flow() end to end:           min {t['end to end'].min:.2f} s, median "
          f"{t['end to end'].median:.2f} s = {t['end to end'].ratio(t['compute'])} of compute (goal <= 2x)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", action="store_true", help="the host-work goal of a deep, wide network")
    parser.add_argument("--depth", type=int)
    parser.add_argument("--width", type=int)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    args.depth = args.depth or (200 if args.draws else 10)
    args.width = args.width or (1024 if args.draws else 64)
    print(f"load average before: {load()}")
    (draws if args.draws else programs)(args)
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
