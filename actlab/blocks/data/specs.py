"""What each dataset is and the task rules: plain Python, read by the command
line without numpy."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from actlab.errors import unknown

if TYPE_CHECKING:
    import numpy as np

TASKS = ("binary", "multi-class", "multi-label", "regression", "non-negative-regression")
TASK_ALIASES = {
    "multiclass": "multi-class", "multi_class": "multi-class",
    "multilabel": "multi-label", "multi_label": "multi-label",
    "nonneg": "non-negative-regression", "non-negative": "non-negative-regression",
    "nonnegative": "non-negative-regression", "non-negative regression": "non-negative-regression",
    "positive": "non-negative-regression",
}
CLASSIFICATION = ("binary", "multi-class", "multi-label")
LOGIC_GATES = ("xor", "and", "or")


# --- the rules: task -> output layer and loss (what `actlab advise` prints) ---------------


class Rule(NamedTuple):
    """The output layer and loss the course notes prescribe for a task."""

    task: str
    output: str
    loss: str
    from_logits: bool
    why: str
    hidden: str
    example: str


HIDDEN_ADVICE = "ReLU by default (tanh also works on small nets); never linear: stacked linear layers collapse to one"
RULES = {
    "binary": Rule("binary", "sigmoid", "bce", True,
                   "one output: sigmoid(z) is the probability of class 1",
                   HIDDEN_ADVICE, "actlab train xor"),
    "multi-class": Rule("multi-class", "softmax", "ce", True,
                        "K outputs: softmax makes one distribution over the K classes",
                        HIDDEN_ADVICE, "actlab train blobs --classes 4"),
    "multi-label": Rule("multi-label", "sigmoid", "bce", True,
                        "one sigmoid per label: labels do not compete, several can be 1",
                        HIDDEN_ADVICE, "actlab train multilabel"),
    "regression": Rule("regression", "linear", "mse", False,
                       "a linear output can take any sign and size",
                       HIDDEN_ADVICE, "actlab train sine"),
    "non-negative-regression": Rule("non-negative-regression", "relu", "mse", False,
                                    "ReLU output: max(0, z) never predicts a negative value",
                                    HIDDEN_ADVICE, "actlab train parabola"),
}


class Spec(NamedTuple):
    """What a generated set is and the network it trains well with by default."""

    task: str
    samples: int
    noise: float
    hidden: tuple[int, ...]
    steps: int
    about: str


# Suggested widths/steps: small enough to train in well under a second on a CPU,
# large enough that the default run reaches the accuracy a user expects.
DATASETS = {
    "xor": Spec("binary", 4, 0.0, (16,), 1000, "the four points of XOR: not linearly separable"),
    "and": Spec("binary", 4, 0.0, (16,), 1000, "the four points of AND"),
    "or": Spec("binary", 4, 0.0, (16,), 1000, "the four points of OR"),
    "xor-noisy": Spec("binary", 400, 0.15, (16,), 1000, "Gaussian clouds around the XOR corners"),
    "moons": Spec("binary", 400, 0.1, (16, 16), 1000, "two interleaved half circles"),
    "circles": Spec("binary", 400, 0.05, (16, 16), 1000, "a ring around a disc"),
    "spiral": Spec("multi-class", 600, 0.2, (64, 64), 2000, "K interleaved spiral arms (--classes)"),
    "blobs": Spec("multi-class", 400, 0.6, (16,), 1000, "K Gaussian clusters (--classes)"),
    "multilabel": Spec("multi-label", 400, 0.0, (16, 16), 1000,
                       "2-D points with 3 labels at once: right (x>0), up (y>0), near (|p|<0.7)"),
    "sine": Spec("regression", 200, 0.1, (32, 32), 1000, "y = sin(x) + noise on [-pi, pi]"),
    "parabola": Spec("non-negative-regression", 200, 0.1, (16, 16), 1000,
                     "y = x^2 * exp(noise) >= 0 on [-2, 2]"),
}


class Dataset(NamedTuple):
    """Training and test arrays plus what they mean."""

    name: str
    task: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]  # class names (binary/multi-class) or output names
    n_outputs: int  # network outputs the task rules call for
    has_test: bool

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])


def names() -> list[str]:
    return list(DATASETS)


def normalize_task(task: str) -> str:
    t = task.strip().lower()
    t = TASK_ALIASES.get(t, t)
    if t not in TASKS:
        raise unknown("task", task, TASKS)
    return t
