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
SINGLE_LABEL = ("binary", "multi-class")  # one class per row: splits and subsets are stratified
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
    """What a dataset is and the network it trains well with by default."""

    task: str
    samples: int
    noise: float
    hidden: tuple[int, ...]
    steps: int
    about: str
    batch: int | None = None  # default mini-batch (None: the full batch)
    epochs: int | None = None  # default epochs of ``batch`` (instead of ``steps``)
    adam_lr: float | None = None  # Adam's learning rate here, when not the optimizer's own default


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
    # The real sets (BUNDLED). Digits: the course's 25-15 network and its
    # schedule: Adam at 1e-3, 40 epochs of mini-batches of 32 (Keras' default).
    "digits": Spec("multi-class", 1797, 0.0, (25, 15), 0, "8x8 handwritten digits 0-9 (UCI; --digits 0,1 for two)",
                   batch=32, epochs=40, adam_lr=1e-3),
    "iris": Spec("multi-class", 150, 0.0, (16,), 500, "iris flowers: 4 measurements, 3 species"),
    "wine": Spec("multi-class", 178, 0.0, (16,), 500, "wines: 13 chemical measurements, 3 cultivars"),
    "breast-cancer": Spec("binary", 569, 0.0, (16,), 500,
                          "breast tumours: 30 cell-nucleus measurements, malignant or benign"),
    "diabetes": Spec("regression", 442, 0.0, (16,), 1000,
                     "diabetes progression after one year from 10 baseline measurements"),
}


class Bundled(NamedTuple):
    """A real set read from the data files scikit-learn ships inside its wheel
    (``sklearn/datasets/data``), so nothing is downloaded."""

    files: tuple[str, ...]  # the data file (and for diabetes the target file)
    features: tuple[str, ...]
    image: tuple[int, int] | None = None  # digits: rows of 8x8 pixels
    pixel_max: float | None = None  # pixels are scaled by this to [0, 1]; other sets are standardized


_CANCER = ("radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
           "concave points", "symmetry", "fractal dimension")
BUNDLED = {
    "digits": Bundled(("digits.csv.gz",), tuple(f"pixel_{r}_{c}" for r in range(8) for c in range(8)),
                      image=(8, 8), pixel_max=16.0),
    "iris": Bundled(("iris.csv",), ("sepal length (cm)", "sepal width (cm)", "petal length (cm)",
                                    "petal width (cm)")),
    "wine": Bundled(("wine_data.csv",), (
        "alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
        "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
        "od280/od315_of_diluted_wines", "proline")),
    "breast-cancer": Bundled(("breast_cancer.csv",), tuple(
        [f"mean {f}" for f in _CANCER] + [f"{f} error" for f in _CANCER] + [f"worst {f}" for f in _CANCER])),
    "diabetes": Bundled(("diabetes_data_raw.csv.gz", "diabetes_target.csv.gz"),
                        ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")),
}


class Dataset(NamedTuple):
    """Training and test arrays plus what they mean.

    Inputs may have been scaled: ``x = (raw - shift) / scale`` column by column
    (``shift``/``scale`` None: as read), and a network that is to take raw rows
    later (``actlab predict --data``) applies the same.
    """

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
    shift: np.ndarray | None = None  # (features,)
    scale: np.ndarray | None = None  # (features,)
    image: tuple[int, int] | None = None  # each row is an image of these (height, width)

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
