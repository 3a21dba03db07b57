"""Throughput of value + derivative on 2^24 float32, against peers, in one run.

Peers: numpy formulas (value and derivative written out), jax.nn with
jax.vmap(jax.grad), torch forward + autograd (when installed), and a plain
memory copy of the same bytes (read x, write two arrays). Prints milliseconds
and ratios (peer time / actlab time: above 1 means actlab is faster).

    python benchmarks/bench_activations.py [--size 24] [--repeats 7] [--names relu,gelu]
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np

from _timing import median_time  # noqa: E402
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
    ap.add_argument("--repeats", type=int, default=7)
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

    copy_ms = median_time(copy, args.repeats) * 1e3
    try:
        import torch

        torch.set_num_threads(2)
        xt = torch.from_numpy(x_np)
    except ImportError:
        torch = None
    print(f"2^{args.size} float32 elements, value + derivative, median of {args.repeats}, "
          f"backend {jax.default_backend()}; copy of the same bytes: {copy_ms:.1f} ms")
    print(f"{'activation':13s} {'actlab ms':>9s} {'x copy':>7s} {'numpy':>7s} {'jax.nn':>7s} {'torch':>7s}   (peer / actlab)")
    for name in args.names.split(","):
        act = activations.get(name)
        ours = median_time(lambda: jax.block_until_ready(act.value_and_derivative(x)), args.repeats) * 1e3
        ratios = []
        if name in NUMPY:
            ratios.append((median_time(lambda: NUMPY[name](x_np), args.repeats) * 1e3) / ours)
        else:
            ratios.append(float("nan"))
        f = JAX_NN[name]
        vd = jax.jit(lambda v: (f(v), jax.vmap(jax.grad(f))(v)))
        ratios.append((median_time(lambda: jax.block_until_ready(vd(x)), args.repeats) * 1e3) / ours)
        if torch is not None:
            def torch_vd():
                xg = xt.detach().requires_grad_(True)
                y = TORCH[name](torch, xg)
                (dy,) = torch.autograd.grad(y, xg, torch.ones_like(y))
                return y, dy
            ratios.append((median_time(torch_vd, args.repeats) * 1e3) / ours)
        else:
            ratios.append(float("nan"))
        print(f"{name:13s} {ours:9.1f} {ours / copy_ms:7.2f} " + " ".join(f"{r:7.2f}" for r in ratios))


if __name__ == "__main__":
    main()
