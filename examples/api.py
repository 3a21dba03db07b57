"""The Python API: the registry, values and derivatives in one pass, in a network.

Run: python examples/api.py
"""

import jax
import jax.numpy as jnp

from actlab import activations

jax.config.update("jax_enable_x64", True)

x = jnp.linspace(-40.0, 40.0, 9, dtype=jnp.float32)
for name in ("sigmoid", "tanh", "gelu"):
    act = activations.get(name)
    y, dy = act.value_and_derivative(x)
    print(f"{name:8s} {act.formula}")
    print("   f(x) ", y)
    print("   f'(x)", dy)  # tails stay accurate: sigmoid'(40) = 4.2e-18, not 0

# Parameters, and the facts the registry keeps.
leaky = activations.get("leaky_relu", alpha=0.1)
print(leaky.params, leaky.output_range, leaky.uses)

# act.fn is a jax function whose derivative is the accurate one: jit, grad, vmap freely.
grad = jax.jit(jax.vmap(jax.grad(activations.get("softplus").fn)))
print("softplus'(x) = sigmoid(x):", grad(jnp.asarray([-30.0, 0.0, 30.0])))
