"""Throughput of value + derivative on 2^24 float32, against peers, in one run.

Peers: jax.nn with jax.vmap(jax.grad) (the goal: actlab at least as fast for
every activation), numpy formulas (value and derivative written out), torch
forward + autograd (when installed), and a plain memory copy of the same bytes
(read x, write two arrays). The contenders of one activation take turns, round
after round; prints actlab's median [fastest] milliseconds and each peer's time
as a ratio to actlab's, on the medians [on the fastest] (above 1: actlab is
faster), with the load average before and after. Run it with the default
allocator and with transparent huge pages:

    python benchmarks/bench_activations.py [--size 24] [--repeats 9] [--names relu,gelu]
    GLIBC_TUNABLES=glibc.malloc.hugetlb=1 python benchmarks/bench_activations.py
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # torch's idle threads must not spin into the next contender's time

import jax
import jax.numpy as jnp
import numpy as np

from _timing import interleaved, load  # noqa: E402
from actlab.blocks import activations

NUMPY = {  # value and derivative as a user would write them in numpy
    "linear": lambda x: (x, np.ones_like(x)),
    "sigmoid": lambda x: (lambda s: (s, s * (1 - s)))(1 / (1 + np.exp(-x))),
    "tanh": lambda x: (lambda t: (t, 1 - t * t))(np.tanh(x)),
    "relu": lambda x: (np.maximum(x, 0), (x > 0).astype(x.dtype)),
    "leaky_relu": lambda x: (np.where(x > 0, x, 0.01 * x), np.where(x > 0, 1, 0.01).astype(x.dtype)),
    "elu": lambda x: (np.where(x > 0, x, np.expm1(np.minimum(x, 0))), np.where(x > 0, 1, np.exp(np.minimum(x, 0)))),
    "softplus": lambda x: (np.logaddexp(x, 0), 1 / (1 + np.exp(-x))),
    "softsign": lambda x: (x / (1 + np.abs(x)), 1 / (1 + np.abs(x)) ** 2),
    "silu": lambda x: (lambda s: (x * s, s * (1 + x * (1 - s))))(1 / (1 + np.exp(-x))),
    "hard_tanh": lambda x: (np.clip(x, -1, 1), ((x > -1) & (x < 1)).astype(x.dtype)),
    "relu6": lambda x: (np.clip(x, 0, 6), ((x > 0) & (x < 6)).astype(x.dtype)),
}
JAX_NN = {
    "linear": lambda x: x, "sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu,
    "leaky_relu": jax.nn.leaky_relu, "elu": jax.nn.elu, "selu": jax.nn.selu, "celu": jax.nn.celu,
    "gelu": lambda x: jax.nn.gelu(x, approximate=False), "gelu_tanh": lambda x: jax.nn.gelu(x, approximate=True),
    "silu": jax.nn.silu, "swish": jax.nn.silu, "softplus": jax.nn.softplus, "softsign": jax.nn.soft_sign,
    "mish": jax.nn.mish, "relu6": jax.nn.relu6, "hard_sigmoid": jax.nn.hard_sigmoid, "hard_tanh": jax.nn.hard_tanh,
}
TORCH = {
    "linear": lambda t, x: x * 1, "sigmoid": lambda t, x: t.sigmoid(x), "tanh": lambda t, x: t.tanh(x),
    "relu": lambda t, x: t.relu(x), "leaky_relu": lambda t, x: t.nn.functional.leaky_relu(x, 0.01),
    "elu": lambda t, x: t.nn.functional.elu(x), "selu": lambda t, x: t.selu(x),
    "celu": lambda t, x: t.celu(x), "gelu": lambda t, x: t.nn.functional.gelu(x),
    "gelu_tanh": lambda t, x: t.nn.functional.gelu(x, approximate="tanh"),
    "silu": lambda t, x: t.nn.functional.silu(x), "swish": lambda t, x: t.nn.functional.silu(x),
    "softplus": lambda t, x: t.nn.functional.softplus(x), "softsign": lambda t, x: t.nn.functional.softsign(x),
    "mish": lambda t, x: t.nn.functional.mish(x), "relu6": lambda t, x: t.nn.functional.relu6(x),
    "hard_sigmoid": lambda t, x: t.nn.functional.hardsigmoid(x), "hard_tanh": lambda t, x: t.nn.functional.hardtanh(x),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=24, help="log2 of the element count")
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--names", default=",".join(activations.names()))
    args = ap.parse_args()
    n = 2**args.size
    rng = np.random.default_rng(0)
    x_np = (rng.standard_normal(n) * 4).astype(np.float32)
    x = jax.device_put(x_np)
    out1, out2 = np.empty_like(x_np), np.empty_like(x_np)

    def copy():
        np.copyto(out1, x_np)
        np.copyto(out2, x_np)

    try:
        import torch

        xt = torch.from_numpy(x_np)
    except ImportError:
        torch = None
    print(f"2^{args.size} float32 elements, value + derivative, {args.repeats} interleaved rounds, "
          f"backend {jax.default_backend()}, GLIBC_TUNABLES={os.environ.get('GLIBC_TUNABLES', '(unset)')}")
    print(f"load average before: {load()}")
    print("median ms [fastest] of actlab; peer / actlab on the medians [on the fastest] (> 1: actlab faster)")
    print(f"{'activation':13s} {'actlab ms':>15s} {'jax.nn':>13s} {'numpy':>13s} {'torch':>13s} {'copy':>13s}")
    for name in args.names.split(","):
        act = activations.get(name)
        f = JAX_NN[name]
        jax_vd = jax.jit(lambda v, f=f: (f(v), jax.vmap(jax.grad(f))(v)))
        contenders = {"actlab": lambda: jax.block_until_ready(act.value_and_derivative(x)),
                      "jax.nn": lambda: jax.block_until_ready(jax_vd(x))}
        if name in NUMPY:
            contenders["numpy"] = lambda: NUMPY[name](x_np)
        if torch is not None:
            def torch_vd():
                xg = xt.detach().requires_grad_(True)
                y = TORCH[name](torch, xg)
                (dy,) = torch.autograd.grad(y, xg, torch.ones_like(y))
                return y, dy
            contenders["torch"] = torch_vd
        contenders["copy"] = copy
        times = interleaved(contenders, args.repeats, warmup=2)
        ours, ours_best = times["actlab"].median, times["actlab"].min
        cells = [f"{ours * 1e3:6.1f} [{ours_best * 1e3:5.1f}]"]
        for peer in ("jax.nn", "numpy", "torch", "copy"):
            t, best = (times[peer].median, times[peer].min) if peer in times else (float("nan"), float("nan"))
            cells.append(f"{t / ours:5.2f} [{best / ours_best:4.2f}]")
        print(f"{name:13s} " + " ".join(f"{c:>13s}" for c in cells))
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
