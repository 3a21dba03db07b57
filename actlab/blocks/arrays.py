"""The one way the blocks take an array in: real, and float as jax.nn computes it."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from actlab.errors import ActlabError


@functools.lru_cache(maxsize=None)
def _promoted(dtype) -> jnp.dtype:
    """The float dtype jax.nn computes an array of ``dtype`` in (int32 -> float32, ...)."""
    return jax.eval_shape(jnp.exp, jax.ShapeDtypeStruct((), dtype)).dtype


def compute_dtype(dtype):
    """The dtype the blocks compute an array of ``dtype`` in: float16 and
    bfloat16 widen to float32, the rest stay."""
    return jnp.float32 if jnp.finfo(dtype).bits < 32 else dtype


def real_array(x, what: str):
    """``x`` as a jax array: a float array as it is, an integer or boolean one
    promoted as jax.nn promotes it, a complex one refused (``what`` names the caller)."""
    x = jnp.asarray(x)
    if jnp.issubdtype(x.dtype, jnp.complexfloating):
        raise ActlabError(f"{what}: expected a real array, got dtype {x.dtype}")
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(_promoted(x.dtype))
