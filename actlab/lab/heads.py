"""The output layer and the loss of a network: chosen by the task rules, and
computed from the logits.

    head, warnings = choose_head("binary", 1)           # sigmoid + binary cross-entropy
    loss = head_loss(logits, y, "binary", head)         # mean over the batch, from logits
    accuracy = score(logits, y, "binary", head)         # accuracy, or R^2 for regression
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from actlab.blocks import losses
from actlab.blocks.data import CLASSIFICATION, RULES, SINGLE_LABEL
from actlab.errors import ActlabError, unknown

OUTPUTS = ("sigmoid", "softmax", "linear", "relu")
LOSSES = ("bce", "ce", "mse", "bce-probs", "ce-probs")


# --- the rules: task -> output layer and loss ----------------------------------------


class Head(NamedTuple):
    """Output layer and loss of a network."""

    output: str
    loss: str
    n_outputs: int


def choose_head(task: str, n_outputs: int, *, output: str | None = None,
                loss: str | None = None) -> tuple[Head, list[str]]:
    """The output layer and loss for ``task``, by ``RULES`` unless overridden.

    Args:
      task: one of ``actlab.blocks.data.TASKS``.
      n_outputs: outputs the task needs (1 for binary, K, L, or target columns).
      output, loss: overrides (``OUTPUTS``, ``LOSSES``).

    Returns:
      (Head, warnings): one line per choice that goes against the rules.

    Raises:
      ActlabError: an impossible pair (a fused loss with the wrong output, a
        cross-entropy for a regression task).
    """
    rule = RULES[task]
    if output is not None and output not in OUTPUTS:
        raise unknown("output layer", output, OUTPUTS)
    if loss is not None and loss not in LOSSES:
        raise unknown("loss", loss, LOSSES)
    classify = task in CLASSIFICATION
    if output is None:
        output = {"b": "sigmoid", "c": "softmax"}.get(loss[0], rule.output) if loss else rule.output
    if loss is None:
        loss = ({"sigmoid": "bce", "softmax": "ce"}.get(output, "mse") if classify else "mse")
    if loss.startswith("bce") and output != "sigmoid":
        raise ActlabError(f"--loss {loss} takes --out sigmoid (the sigmoid is part of the loss), got --out {output}")
    if loss.startswith("ce") and output != "softmax":
        raise ActlabError(f"--loss {loss} takes --out softmax (the softmax is part of the loss), got --out {output}")
    if not classify and loss != "mse":
        raise ActlabError(f"--loss {loss} needs class labels; for the {task} task use --loss mse")
    warnings = []
    if task == "multi-label" and output == "softmax":
        warnings.append("softmax makes the labels compete (the outputs sum to 1), so at most one "
                        "label can pass 0.5; multi-label wants one sigmoid per label")
    if task == "multi-class" and output == "sigmoid":
        warnings.append("independent sigmoids for one-of-K classes: the probabilities need not sum "
                        "to 1; softmax is the rule for multi-class")
    if task == "binary" and output == "softmax":
        n_outputs = 2
        warnings.append("softmax over 2 outputs is the same model as one sigmoid output, with a "
                        "redundant output")
    if loss.endswith("-probs"):
        fused = loss.removesuffix("-probs")
        warnings.append(f"--loss {loss} logs probabilities computed first (from_logits=False): it loses "
                        f"precision and gives inf when a probability rounds to 0 or 1; --loss {fused} "
                        "computes the same loss from the logits")
    if classify and loss == "mse":
        warnings.append("mean squared error for classification: its gradient vanishes where the "
                        "output saturates on the wrong side; cross-entropy is the rule")
    if not classify and output in ("sigmoid", "softmax"):
        warnings.append(f"a {output} output squashes predictions into (0, 1): a {task} target "
                        "outside it cannot be fitted")
    if task == "regression" and output == "relu":
        warnings.append("a ReLU output cannot predict negative values; regression with any sign "
                        "wants a linear output")
    if task == "non-negative-regression" and output == "linear":
        warnings.append("a linear output may predict negative values; ReLU is the rule for "
                        "non-negative targets")
    return Head(output, loss, n_outputs), warnings


# --- losses and scores --------------------------------------------------------------


def mean_squared_error(predictions, targets):
    """mean((predictions - targets)^2) over every element."""
    return jnp.mean(jnp.square(predictions - targets))


def output_values(logits, output: str):
    """The output layer applied to logits: probabilities or predictions."""
    if output == "sigmoid":
        return jax.nn.sigmoid(logits)
    if output == "softmax":
        return losses.softmax(logits, axis=-1)
    if output == "relu":
        return jnp.maximum(logits, 0)
    return logits


def head_loss(logits, y, task: str, head: Head):
    """The mean loss of a batch: logits (n, outputs), y as ``prepare_data`` casts it."""
    dtype = logits.dtype
    targets = _targets(y, task, head, dtype)  # (n, outputs) in [0, 1] or regression values
    if head.loss == "bce":
        return jnp.mean(losses.sigmoid_binary_cross_entropy(logits, targets))
    if head.loss == "bce-probs":
        return jnp.mean(losses.naive_sigmoid_binary_cross_entropy(logits, targets))
    if head.loss in ("ce", "ce-probs"):
        if task in SINGLE_LABEL:
            fn = losses.softmax_cross_entropy if head.loss == "ce" else losses.naive_softmax_cross_entropy
            return jnp.mean(fn(logits, y))
        # multi-label through a softmax: cross-entropy against the labels spread evenly
        q = targets / jnp.maximum(jnp.sum(targets, -1, keepdims=True), 1)
        log_p = (losses.log_softmax(logits, axis=-1) if head.loss == "ce"
                 else jnp.log(losses.softmax(logits, axis=-1)))
        return -jnp.mean(jnp.sum(q * log_p, -1))
    return mean_squared_error(output_values(logits, head.output), targets)


def _targets(y, task, head, dtype):
    if task in SINGLE_LABEL:
        if head.n_outputs == 1:
            return y.astype(dtype)[:, None]
        return jax.nn.one_hot(y, head.n_outputs, dtype=dtype)
    return y.astype(dtype)


def score(logits, y, task: str, head: Head):
    """Accuracy for classification (per label for multi-label), R^2 for regression."""
    values = output_values(logits, head.output)
    if task in SINGLE_LABEL:
        pred = (values[:, 0] > 0.5).astype(y.dtype) if head.n_outputs == 1 else jnp.argmax(logits, -1)
        return _share(pred == y, logits.dtype)
    if task == "multi-label":
        return _share((values > 0.5).astype(y.dtype) == y, logits.dtype)
    y = y.astype(logits.dtype)
    ss_res = jnp.sum(jnp.square(values - y), 0)
    ss_tot = jnp.sum(jnp.square(y - jnp.mean(y, 0)), 0)
    return jnp.mean(1 - ss_res / jnp.where(ss_tot > 0, ss_tot, 1))


def _share(hits, dtype):
    """The share of true entries, k / n as the nearest number of ``dtype``: the
    count divided in float64 (where jax has it), then rounded. In float32, XLA
    takes k * (1 / n), which can land an ulp below k / n: 297 right of 300
    would then miss a threshold of 0.99."""
    wide = jax.dtypes.canonicalize_dtype(jnp.float64)
    return (jnp.sum(hits, dtype=jnp.int32).astype(wide) / hits.size).astype(dtype)
