"""What happens inside each hidden layer while a network trains: statistics
recorded at about ``CHECKPOINTS`` steps inside the compiled training program,
and the plain notes they lead to.

    zs, _ = model.pre_activations(params, x, act)           # every hidden layer's z
    rows = layer_stats(params, grads, updates, zs, act)     # (hidden layers, 6), jax
    history = LayerHistory.from_rows(steps, rows)           # numpy: the rows at each step, stacked
    notes = layer_notes(history, activation="relu", lr=1.0)

Step s of a history is the network after s optimizer updates (0: as
initialised), measured on the training rows (past ``SAMPLE`` of them, every
k-th row stands for them: ``sample``): the gradient of the loss on a batch of
those rows (on all of them without mini-batches) and the update the optimizer
takes with it, and the activations on all of them. A measurement costs about
one training step and a forward pass.

Per hidden layer (layer 1 nearest the input; a convolution counts its
channels as units and every image position as an example):
  grad_norm: ||dL/dW||, Frobenius norm of the batch loss gradient of the weights;
  update_ratio: ||dW|| / ||W||, the optimizer's step (penalties included)
    relative to the weights; about 1e-3 is the usual healthy figure;
  dead: fraction of units whose f'(z) is 0 on every training example: they
    pass no gradient and their weights never change again;
  saturated: fraction of units with |f'(z)| < 1e-3 on most (over half) of
    the training examples (dead units count too);
  act_mean, act_std: mean and standard deviation of the outputs f(z) over
    the training examples and the layer's units.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from actlab.lab.gradflow import EXPLODING, SATURATION, VANISHING

FIELDS = ("grad_norm", "update_ratio", "dead", "saturated", "act_mean", "act_std")
CHECKPOINTS = 20  # about this many steps of a run record the layers, and the end
SAMPLE = 512  # the training rows the layers are measured on: all of them up to this many


def sample(a):
    """The rows of ``a`` the layers are measured on: all of them, or every k-th
    (k = ceil(n / SAMPLE)), spread over the whole set, when there are more than
    ``SAMPLE``. Static shapes: the same rows at every checkpoint."""
    stride = -(-a.shape[0] // SAMPLE)
    return a[::stride] if stride > 1 else a

# When a note speaks up.
DEAD_NOTE = 0.25  # fraction of a layer's units dead at the end
SATURATED_NOTE = 0.5  # fraction of a layer's units saturated (not dead) at the end
LARGE_UPDATE = 0.5  # an update-to-weight ratio above this: a step far too large
SMALL_UPDATE = 1e-5  # every ratio below this: the layer barely moves
VANISHED = 0.01  # gradient of the layer below / gradient of a saturated layer


def activation_stats(zs, act):
    """dead, saturated, act_mean, act_std of each hidden layer from its pre-activations.

    Args:
      zs: each hidden layer's z, shape (examples, units) (``model.pre_activations``).
      act: the hidden activation (an ``Activation`` or an elementwise jnp function).

    Returns:
      shape (hidden layers, 4), in the dtype of z (at least float32).
    """
    g = getattr(act, "fn", act)
    rows = []
    dtype = jnp.float32
    for z in zs:
        dtype = jnp.promote_types(z.dtype, jnp.float32)
        a, da = jax.jvp(g, (z,), (jnp.ones_like(z),))  # elementwise: da = f'(z)
        wide = a.astype(dtype)
        rows.append(jnp.stack([
            jnp.mean(jnp.all(da == 0, axis=0), dtype=dtype),
            jnp.mean(jnp.mean(jnp.abs(da) < SATURATION, axis=0, dtype=dtype) > 0.5, dtype=dtype),
            jnp.mean(wide), jnp.std(wide)]))
    return jnp.stack(rows) if rows else jnp.zeros((0, 4), dtype)


def layer_stats(params, grads, updates, zs, act):
    """The ``FIELDS`` of each hidden layer: (hidden layers, 6), see the module docstring.

    Args:
      params: the parameters, [(W, b), ...]; the last pair is the output layer.
      grads: the loss gradient, same structure.
      updates: the optimizer's update (new params = params + updates).
      zs: the hidden layers' pre-activations on the examples (``model.pre_activations``).
      act: the hidden activation.
    """
    inside = activation_stats(zs, act)
    dtype = inside.dtype
    norm = lambda v: jnp.sqrt(jnp.sum(jnp.square(v.astype(dtype))))  # noqa: E731
    flow = [jnp.stack([norm(gw), norm(uw) / norm(w)])
            for (w, _), (gw, _), (uw, _) in zip(params[:-1], grads[:-1], updates[:-1])]
    flow = jnp.stack(flow) if flow else jnp.zeros((0, 2), dtype)
    return jnp.concatenate([flow, inside], axis=1)


class LayerHistory(NamedTuple):
    """The layers at each checkpoint; every field but ``step`` is (checkpoints, layers)."""

    step: np.ndarray  # (checkpoints,) int: optimizer updates taken
    grad_norm: np.ndarray
    update_ratio: np.ndarray
    dead: np.ndarray
    saturated: np.ndarray
    act_mean: np.ndarray
    act_std: np.ndarray

    @classmethod
    def from_rows(cls, steps, rows) -> LayerHistory:
        """From (checkpoints, layers, 6) rows of ``layer_stats``."""
        rows = np.asarray(rows, np.float64).reshape(len(steps), -1, len(FIELDS))
        return cls(np.asarray(steps, np.int64), *(rows[:, :, k] for k in range(len(FIELDS))))

    @property
    def layers(self) -> int:
        return self.dead.shape[1]


def layer_notes(history: LayerHistory, *, activation: str, lr: float,
                saturates: str = "none") -> tuple[str, ...]:
    """Plain notes on what the layers did, each with a suggestion; measured
    against ``DEAD_NOTE``, ``SATURATED_NOTE``, ``LARGE_UPDATE`` and ``SMALL_UPDATE``.

    Args:
      history: the layers at the checkpoints.
      activation: its name, for the text.
      lr: the learning rate, for the text.
      saturates: the activation's fact (``Activation.saturates``): saturation
        is noted only where f' flattens on both sides; a ReLU-like unit is
        off on part of the data by design, and its failure is to die.
    """
    if not len(history.step) or not history.layers:
        return ()
    notes = []
    steps = history.step
    for l in range(history.layers):
        name = f"layer {l + 1}"
        dead = history.dead[:, l]
        if dead[-1] >= DEAD_NOTE:
            k = int(np.argmax(dead >= dead[-1]))  # the dead fraction had reached its final level
            if k == 0:
                notes.append(f"{name}: {_pct(dead[-1])} of units dead from the start (at "
                             f"initialisation, {activation}); try leaky_relu or more units")
            else:
                notes.append(f"{name}: {_pct(dead[-1])} of units dead by step {steps[k]} "
                             f"({activation} at lr {lr:g}); try leaky_relu or a smaller --lr")
        live = history.saturated[:, l] - dead
        if saturates == "both" and live[-1] >= SATURATED_NOTE:
            below = np.flatnonzero(live < SATURATED_NOTE)
            k = int(below[-1]) + 1 if below.size else 0  # saturated from here on
            text = f"{name} saturated from step {steps[k]} ({activation}: {_pct(live[-1])} of units)"
            if l > 0 and _ratio(history.grad_norm[-1, l - 1], history.grad_norm[-1, l]) < VANISHED:
                text += f": gradients to layer {l} vanish"
            notes.append(text + "; try relu or leaky_relu, or a smaller --lr")
    flow = _flow_notes(history)
    notes += flow + _update_notes(history, vanishing=any("vanish" in n for n in flow))
    return tuple(notes)


def _flow_notes(history: LayerHistory) -> list[str]:
    """Gradients that vanish or explode on their way to the input (first / last
    hidden layer, as ``actlab grad --depth`` judges them)."""
    if history.layers < 2:
        return []
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = history.grad_norm[:, 0] / history.grad_norm[:, -1]
    last = f"layer {history.layers}"
    finite = np.flatnonzero(np.isfinite(ratio))
    if not finite.size:
        return []
    low, high = finite[np.argmin(ratio[finite])], finite[np.argmax(ratio[finite])]
    if ratio[low] < VANISHING:
        return [f"gradients vanish toward the input: layer 1's is {ratio[low]:.2g} of {last}'s "
                f"{_when(history.step[low])}; try relu, fewer layers or --init he"]
    if ratio[high] > EXPLODING:
        return [f"gradients explode toward the input: layer 1's is {ratio[high]:.2g} times {last}'s "
                f"{_when(history.step[high])}; try a smaller --init or a smaller --lr"]
    return []


def _update_notes(history: LayerHistory, vanishing: bool = False) -> list[str]:
    """One note for the layers whose steps were far too large, one for those
    that barely moved (because their gradients vanished, when ``vanishing``)."""
    ratios = np.where(np.isnan(history.update_ratio), np.inf, history.update_ratio)  # nan: diverged
    largest = ratios.max(0)  # per layer
    notes = []
    big = np.flatnonzero(largest > LARGE_UPDATE)
    if big.size:
        l = int(big[np.argmax(largest[big])])
        k = int(np.argmax(ratios[:, l]))
        when = _when(history.step[k], "the first step")
        notes.append(f"{_layers(big)}: a step changed the weights by up to {largest[l]:.2g} times "
                     f"their size (layer {l + 1}, {when}; about 1e-3 is healthy); try a smaller --lr")
    small = np.flatnonzero(largest < SMALL_UPDATE)
    if small.size:
        why = ("barely learning, as their gradients vanish" if vanishing
               else "barely learning; try a larger --lr")
        notes.append(f"{_layers(small)}: no step changed the weights by more than "
                     f"{largest[small].max():.2g} of their size (about 1e-3 is healthy): {why}")
    return notes


def _when(step: int, start: str = "at initialisation") -> str:
    return start if step == 0 else f"at step {step}"


def _layers(indices) -> str:
    return ("layer " if len(indices) == 1 else "layers ") + ", ".join(str(int(i) + 1) for i in indices)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("inf")
