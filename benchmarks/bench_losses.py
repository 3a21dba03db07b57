"""log_softmax and integer-label cross-entropy: actlab against its peers, in one run.

Times, on float32 (4096, 1000) and (65536, 10), each compiled with jax.jit:
  log_softmax            actlab | jax.nn.log_softmax | torch.log_softmax | scipy.special.log_softmax
  log_softmax + grad     actlab | jax.nn (jax.vjp) | torch (backward)
  cross-entropy          actlab | optax.softmax_cross_entropy_with_integer_labels | torch cross_entropy
  cross-entropy + grad   actlab | optax (jax.value_and_grad) | torch (backward)

The contenders take turns round after round; prints each one's median and
fastest time and the peer / actlab ratio of both (> 1: actlab is faster), with
the load average before and after. ``--parts`` also times what actlab's
log_softmax pays for its accuracy: the plain shifted formula (scaled terms,
log1p), then with the exact ``x - max`` (two-sum), then with the entries at the
max counted apart, then both (checked equal to ``losses.log_softmax``), each
against jax.nn. Run: python benchmarks/bench_losses.py [--repeats 21] [--parts]
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


def log_softmax_parts(two_sum: bool, ties: bool):
    """actlab's log_softmax with its two accuracy parts on or off; with both
    on it is ``losses.log_softmax`` (``_stats``, then ``_log_softmax_last``)."""
    def f(x):
        m_c = losses._row_max(x)[1]
        if two_sum:
            e, scale = losses._exp_terms(x, m_c)
        else:  # the same scaled terms, without the rounding error of x - m put back
            half = losses._SCALE[x.dtype][0]
            e, scale = jnp.square(jnp.exp(0.5 * (x - m_c)) * half), half * half
        if ties:  # the entries equal to the max counted apart, so the rest keep their digits
            tie = jnp.floor(e * (1 / scale))
            s = jnp.sum(tie, -1, keepdims=True) - 1 + jnp.sum(e - tie * scale, -1, keepdims=True) * (1 / scale)
        else:
            s = jnp.sum(e, -1, keepdims=True) * (1 / scale) - 1
        return (x - m_c) - jnp.log1p(jnp.maximum(s, 0))
    return jax.jit(f)


def parts(x, repeats):
    """The cost of each accuracy part of log_softmax, against jax.nn."""
    variants = {"jax.nn": jax.jit(jax.nn.log_softmax), "plain": log_softmax_parts(False, False),
                "+ two-sum": log_softmax_parts(True, False), "+ ties apart": log_softmax_parts(False, True),
                "both": log_softmax_parts(True, True)}
    same = bool(jnp.array_equal(variants["both"](x), jax.jit(losses.log_softmax)(x)))
    times = interleaved({k: jax_runner(f, x) for k, f in variants.items()}, repeats, warmup=2)
    nn = times["jax.nn"].median
    cells = "  ".join(f"{k} {t.median * 1e3:.2f}" + ("" if k == "jax.nn" else f" ({t.median / nn:.2f}x)")
                      for k, t in times.items())
    print(f"  log_softmax parts, median ms (x jax.nn): {cells}; both == actlab's: {same}")


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
    ap.add_argument("--parts", action="store_true", help="also time log_softmax's accuracy parts")
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
        if args.parts:
            parts(x, args.repeats)
    print(f"\nload average after: {load()}")


if __name__ == "__main__":
    main()
