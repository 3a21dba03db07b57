"""Accuracy of actlab's activations against jax.nn (and torch, when installed):
value and derivative at points across [-40, 40] in float32 and float64, each
checked against mpmath at 50 digits with the test suite's criterion (8 ulps of
the exact value plus the input's own conditioning |x f'(x)| eps; results below
the smallest normal may flush to zero).

    python benchmarks/accuracy_activations.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_activations import DTYPES, POINTS, REFERENCE, _check, _near_kink, _ref  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_activations import JAX_NN, TORCH  # noqa: E402

from actlab.blocks import activations  # noqa: E402


def ours(name):
    return activations.get(name).value_and_derivative


def jax_nn(name):
    f = JAX_NN[name]
    return jax.jit(lambda x: (f(x), jax.vmap(jax.grad(f))(x)))


def torch_vd(name):
    import torch

    def vd(x):
        xt = torch.tensor(np.asarray(x), requires_grad=True)
        y = TORCH[name](torch, xt)
        (dy,) = torch.autograd.grad(y, xt, torch.ones_like(y))
        return y.detach().numpy(), dy.numpy()

    return vd


def misses(make):
    bad = total = 0
    worst = []
    for name in sorted(REFERENCE):
        for dtype in DTYPES:
            xs = np.array([x for x in POINTS if not _near_kink(name, x)], dtype=dtype)
            y, dy = (np.asarray(v, np.float64) for v in make(name)(jnp.asarray(xs)))
            for x, yi, dyi in zip(xs, y, dy):
                f, f1, f2 = _ref(name, x), _ref(name, x, 1), _ref(name, x, 2)
                for got, ref, slope, what in ((yi, f, f1, "f"), (dyi, f1, f2, "f'")):
                    total += 1
                    if not _check(float(got), ref, slope, x, dtype):
                        bad += 1
                        worst.append(f"{name} {what}({x}) {np.dtype(dtype).name}")
    return bad, total, worst


def main():
    peers = {"actlab": ours, "jax.nn": jax_nn}
    try:
        import torch  # noqa: F401

        peers["torch"] = torch_vd
    except ImportError:
        pass
    for label, make in peers.items():
        bad, total, worst = misses(make)
        print(f"{label:8s} misses {bad:4d} of {total} value/derivative checks"
              + (f"  e.g. {', '.join(worst[:4])}" if worst else ""))


if __name__ == "__main__":
    main()
