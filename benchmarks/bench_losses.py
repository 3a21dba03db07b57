"""log_softmax and integer-label cross-entropy: actlab against its peers, in one run.

Times, on float32 (4096, 1000) and (65536, 10):
  log_softmax            actlab | jax.nn.log_softmax | torch.log_softmax | scipy.special.log_softmax
  cross-entropy          actlab | optax.softmax_cross_entropy_with_integer_labels | torch cross_entropy
  cross-entropy + grad   actlab | optax (jax.value_and_grad) | torch (backward)

Prints the median (and the fastest) of several interleaved repeats and each
peer's median as a ratio to actlab's (> 1: actlab is faster). Run: python benchmarks/bench_losses.py
"""

from __future__ import annotations

import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.special

from actlab.blocks import losses

jax.config.update("jax_enable_x64", True)

try:
    import torch

    torch.set_num_threads(max(1, torch.get_num_threads()))
except ImportError:  # torch is optional
    torch = None

SHAPES = [(4096, 1000), (65536, 10)]
REPEATS = 21


def timeit_all(fns, repeats=REPEATS):
    """Median seconds per callable after two warm-up calls each (compilation included
    there). The callables take turns, round after round, so a burst of load on the
    machine hits every one of them alike."""
    for fn in fns.values():
        fn()
        fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: (statistics.median(ts), min(ts)) for name, ts in times.items()}


def jax_runner(f, *args):
    return lambda: jax.block_until_ready(f(*args))


def mean_loss(loss_fn):
    return lambda x, y: jnp.mean(loss_fn(x, y))


def main():
    print(f"jax {jax.__version__} on {jax.default_backend()}, optax {optax.__version__}"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else ", torch not installed"))
    rng = np.random.default_rng(0)
    for shape in SHAPES:
        x_np = (rng.standard_normal(shape) * 3).astype(np.float32)
        y_np = rng.integers(0, shape[1], shape[0])
        x, y = jnp.asarray(x_np), jnp.asarray(y_np, jnp.int32)
        xent = {
            "actlab": losses.softmax_cross_entropy,
            "optax": optax.softmax_cross_entropy_with_integer_labels,
        }
        fns = {
            "log_softmax": {
                "actlab": jax_runner(jax.jit(losses.log_softmax), x),
                "jax.nn": jax_runner(jax.jit(jax.nn.log_softmax), x),
                "scipy": lambda: scipy.special.log_softmax(x_np, axis=-1),
            },
            "cross-entropy": {k: jax_runner(jax.jit(mean_loss(f)), x, y) for k, f in xent.items()},
            "cross-entropy + grad": {
                k: jax_runner(jax.jit(jax.value_and_grad(mean_loss(f))), x, y) for k, f in xent.items()
            },
        }
        if torch is not None:
            xt, yt = torch.from_numpy(x_np), torch.from_numpy(y_np)

            def torch_value_and_grad():
                xg = xt.detach().requires_grad_(True)
                loss = torch.nn.functional.cross_entropy(xg, yt)
                loss.backward()
                return loss, xg.grad

            fns["log_softmax"]["torch"] = lambda: torch.log_softmax(xt, dim=-1)
            fns["cross-entropy"]["torch"] = lambda: torch.nn.functional.cross_entropy(xt, yt)
            fns["cross-entropy + grad"]["torch"] = torch_value_and_grad
        rows = {name: timeit_all(group) for name, group in fns.items()}

        print(f"\nfloat32 {shape}: median ms [fastest], and peer / actlab on the medians (> 1: actlab faster)")
        for name, times in rows.items():
            base = times["actlab"][0]
            cells = "  ".join(
                f"{k} {t * 1e3:6.2f} [{best * 1e3:5.2f}]" + ("" if k == "actlab" else f" ({t / base:5.2f}x)")
                for k, (t, best) in times.items()
            )
            print(f"  {name:21s} {cells}")
    print("\nOn a busy machine the medians wander; the fastest runs show the cost without the noise.")


if __name__ == "__main__":
    main()
