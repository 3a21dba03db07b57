"""log_softmax and integer-label cross-entropy: actlab against its peers, in one run.

Times, on float32 (4096, 1000) and (65536, 10), each compiled with jax.jit:
  log_softmax            actlab | jax.nn.log_softmax | torch.log_softmax | scipy.special.log_softmax
  log_softmax + grad     actlab | jax.nn (jax.vjp) | torch (backward)
  cross-entropy          actlab | optax.softmax_cross_entropy_with_integer_labels | torch cross_entropy
  cross-entropy + grad   actlab | optax (jax.value_and_grad) | torch (backward)

The contenders take turns round after round; prints each one's median and
fastest time and the peer / actlab ratio of both (> 1: actlab is faster), with
the load average before and after. Run: python benchmarks/bench_losses.py
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # torch's idle threads must not spin into the next contender's time

import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.special

from _timing import interleaved, load  # noqa: E402
from actlab.blocks import losses

jax.config.update("jax_enable_x64", True)

try:
    import torch
except ImportError:  # torch is optional
    torch = None

SHAPES = [(4096, 1000), (65536, 10)]


def jax_runner(f, *args):
    return lambda: jax.block_until_ready(f(*args))


def mean_loss(loss_fn):
    return lambda x, y: jnp.mean(loss_fn(x, y))


def with_grad(log_softmax):
    """log_softmax and its vector-Jacobian product with a fixed cotangent."""
    def run(x, g):
        y, vjp = jax.vjp(log_softmax, x)
        return y, vjp(g)[0]
    return run


def torch_contenders(x_np, y_np, g_np):
    xt, yt, gt = torch.from_numpy(x_np), torch.from_numpy(y_np), torch.from_numpy(g_np)

    def log_softmax_and_grad():
        xg = xt.detach().requires_grad_(True)
        out = torch.log_softmax(xg, dim=-1)
        out.backward(gt)
        return out, xg.grad

    def xent_and_grad():
        xg = xt.detach().requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(xg, yt)
        loss.backward()
        return loss, xg.grad

    return {
        "log_softmax": lambda: torch.log_softmax(xt, dim=-1),
        "log_softmax + grad": log_softmax_and_grad,
        "cross-entropy": lambda: torch.nn.functional.cross_entropy(xt, yt),
        "cross-entropy + grad": xent_and_grad,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=21)
    args = ap.parse_args()
    print(f"jax {jax.__version__} on {jax.default_backend()}, optax {optax.__version__}"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else ", torch not installed"))
    print(f"load average before: {load()}")
    rng = np.random.default_rng(0)
    for shape in SHAPES:
        x_np = (rng.standard_normal(shape) * 3).astype(np.float32)
        y_np = rng.integers(0, shape[1], shape[0])
        g_np = rng.standard_normal(shape).astype(np.float32)
        x, y, g = jnp.asarray(x_np), jnp.asarray(y_np, jnp.int32), jnp.asarray(g_np)
        xent = {"actlab": losses.softmax_cross_entropy, "optax": optax.softmax_cross_entropy_with_integer_labels}
        groups = {
            "log_softmax": {
                "actlab": jax_runner(jax.jit(losses.log_softmax), x),
                "jax.nn": jax_runner(jax.jit(jax.nn.log_softmax), x),
                "scipy": lambda: scipy.special.log_softmax(x_np, axis=-1),
            },
            "log_softmax + grad": {
                "actlab": jax_runner(jax.jit(with_grad(losses.log_softmax)), x, g),
                "jax.nn": jax_runner(jax.jit(with_grad(jax.nn.log_softmax)), x, g),
            },
            "cross-entropy": {k: jax_runner(jax.jit(mean_loss(f)), x, y) for k, f in xent.items()},
            "cross-entropy + grad": {
                k: jax_runner(jax.jit(jax.value_and_grad(mean_loss(f))), x, y) for k, f in xent.items()
            },
        }
        if torch is not None:
            for name, fn in torch_contenders(x_np, y_np, g_np).items():
                groups[name]["torch"] = fn
        print(f"\nfloat32 {shape}: median ms [fastest]; peer / actlab on the medians [on the fastest] (> 1: actlab faster)")
        for name, group in groups.items():
            times = interleaved(group, args.repeats, warmup=2)
            base, base_best = times["actlab"].median, times["actlab"].min
            cells = "  ".join(
                f"{k} {t * 1e3:6.2f} [{best * 1e3:5.2f}]"
                + ("" if k == "actlab" else f" ({t / base:4.2f}x [{best / base_best:4.2f}x])")
                for k, (best, t) in ((k, ts[:2]) for k, ts in times.items())
            )
            print(f"  {name:21s} {cells}")
    print(f"\nload average after: {load()}")


if __name__ == "__main__":
    main()
