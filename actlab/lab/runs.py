"""A trained network as a record on disk, and its predictions in another process.

    record = make_record(config, ds, request, result, command="actlab train digits --save run1")
    arrays = param_arrays(result.params)            # what params.npz holds (train --save writes both)

    saved = read_record(folder)                     # the record and the weights, checked
    act = catalog.activation(**saved.activation)    # the caller resolves the activation
    run = rebuild(saved, act)                       # the same configuration as in training
    rows = test_rows(run)                           # the run's own test split, rebuilt and checked
    p = predict(run, rows.x)                        # Predictions: output values, classes

A record holds everything needed to rebuild the network (layer sizes,
convolutional layers, the activation by name, formula or plugin, the output
layer, the dtype, the input scaling, class names, the task, the dataset request
and the command line). Its ``format`` and ``version`` are checked on reading: a
folder that is not a run, or a run of another format version, is refused.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from actlab import __version__
from actlab.blocks import activations, model
from actlab.blocks.data import CLASSIFICATION, Dataset, Request
from actlab.errors import ActlabError
from actlab.lab.train import TrainConfig, make_run

FORMAT = "actlab-run"
VERSION = 1
RECORD = "run.json"
PARAMS = "params.npz"


def checksum(x, y) -> str:
    """A fingerprint of a split's rows: predict refuses a rebuilt split that differs."""
    h = hashlib.sha256()
    for a in (x, y):
        a = np.ascontiguousarray(a)
        h.update(str((a.shape, a.dtype.str)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def make_record(config: TrainConfig, ds: Dataset, request: Request, *, command: str) -> dict:
    """The run's record: plain JSON values."""
    act = config.activation
    conv = config.conv
    return {
        "format": FORMAT, "version": VERSION, "actlab": __version__, "command": command,
        "task": config.task,
        "network": {
            "sizes": list(config.sizes),
            "conv": None if conv is None else {"image": list(conv.image), "channels": list(conv.channels),
                                               "stride": conv.stride},
            "activation": {"text": activations.name_of(act),
                           "params": dict(getattr(act, "params", {}) or {}),
                           "source": getattr(act, "source", "function")},
            "output": config.output, "loss": config.loss, "dtype": config.dtype,
            "init": list(config.init), "optimizer": config.optimizer, "batch": config.batch,
            "steps": config.steps, "l2": config.l2, "l1": config.l1,
            "features": None if config.features is None else list(config.features.formulas),
        },
        "inputs": list(ds.feature_names),
        "classes": list(ds.target_names) if config.task in CLASSIFICATION else [],
        "outputs": list(ds.target_names),  # class names, labels, or the regression targets
        "input_scaling": None if ds.shift is None else {"shift": [float(v) for v in ds.shift],
                                                        "scale": [float(v) for v in ds.scale]},
        "image": list(ds.image) if ds.image else None,
        "data": {"name": request.name, "path": None if request.path is None else str(Path(request.path).resolve()),
                 "target": list(request.target),
                 "task": request.task, "standardize": request.standardize, "samples": request.samples,
                 "noise": request.noise, "classes": request.classes, "test_frac": request.test_frac,
                 "train_frac": request.train_frac,
                 "digits": None if request.digits is None else list(request.digits), "seed": request.seed},
        "test_split": {"rows": int(ds.x_test.shape[0]) if ds.has_test else 0,
                       "checksum": checksum(ds.x_test, ds.y_test) if ds.has_test else None},
    }


def param_arrays(params) -> dict[str, np.ndarray]:
    """The weights as params.npz holds them: W1, b1, W2, b2, ... in layer order."""
    arrays = {}
    for k, (w, b) in enumerate(params, 1):
        arrays[f"W{k}"], arrays[f"b{k}"] = np.asarray(w), np.asarray(b)
    return arrays


class SavedRun(NamedTuple):
    folder: Path
    record: dict
    params: list  # [(W, b), ...] as saved
    activation: dict  # {"text", "params"}: what catalog.activation takes


def read_record(folder: str | Path) -> SavedRun:
    """The record and the weights of a run folder, checked; nothing is written.

    Raises:
      ActlabError: no such folder, not a run (no run.json, not the run
        format), another format version, or weights that do not fit the record.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ActlabError(f"run folder {str(folder)!r} does not exist" if not folder.exists()
                          else f"{str(folder)!r} is not a folder; give the folder `actlab train --save` wrote")
    path = folder / RECORD
    if not path.is_file():
        raise ActlabError(f"{str(folder)!r} is not an actlab run: it has no {RECORD} "
                          "(write one with `actlab train ... --save DIR`)")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ActlabError(f"{str(path)!r} is not a readable run record: {e}") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ActlabError(f"{str(path)!r} is not an actlab run record (format {FORMAT!r} expected)")
    if record.get("version") != VERSION:
        raise ActlabError(f"{str(folder)!r} was written by actlab {record.get('actlab', '?')} in run format "
                          f"version {record.get('version')!r}; this actlab {__version__} reads version "
                          f"{VERSION}: train it again")
    try:
        net = record["network"]
        with np.load(folder / PARAMS) as npz:
            n = len(net["sizes"]) - 1 + len((net["conv"] or {}).get("channels", ()))
            params = [(npz[f"W{k}"], npz[f"b{k}"]) for k in range(1, n + 1)]
    except (OSError, KeyError, TypeError, ValueError) as e:
        raise ActlabError(f"{str(folder)!r}: the weights ({PARAMS}) do not match the record: {e}") from None
    act = net["activation"]
    return SavedRun(folder, record, params, {"text": act["text"], "params": act["params"]})


class LoadedRun(NamedTuple):
    saved: SavedRun
    config: TrainConfig

    @property
    def record(self) -> dict:
        return self.saved.record


def rebuild(saved: SavedRun, activation: Any, features=None) -> LoadedRun:
    """The training configuration of a saved run, with its activation and its
    ``--features`` (``expr.parse_features`` of the recorded formulas) resolved."""
    net = saved.record["network"]
    conv = net["conv"]
    config = TrainConfig(
        task=saved.record["task"], sizes=tuple(net["sizes"]), activation=activation,
        optimizer=net["optimizer"], output=net["output"], loss=net["loss"], steps=net["steps"],
        batch=net["batch"], l2=net["l2"], l1=net.get("l1", 0.0), features=features,
        init=model.Init(*net["init"]), dtype=net["dtype"],
        conv=None if conv is None else model.Conv(tuple(conv["image"]), tuple(conv["channels"]), conv["stride"]))
    want = [tuple(s.shape) for s in _shapes(config)]
    have = [tuple(a.shape) for w, b in saved.params for a in (w, b)]
    if want != have:
        raise ActlabError(f"{str(saved.folder)!r}: the weights' shapes {have} do not fit the recorded network {want}")
    return LoadedRun(saved, config)


def _shapes(config: TrainConfig):
    import jax

    key = jax.eval_shape(jax.random.key, 0)
    return jax.tree.leaves(jax.eval_shape(
        lambda k: model.init_net(key=k, sizes=list(config.sizes), conv=config.conv, init=config.init,
                                 dtype=config.param_dtype), key))


class Rows(NamedTuple):
    """Rows to predict, scaled as in training, with their true targets when known."""

    x: np.ndarray  # scaled inputs
    y: np.ndarray | None
    index: np.ndarray  # the row numbers (in the test split, or in the CSV file from 0)
    source: str  # "test split" or the file


def test_rows(run: LoadedRun, which) -> Rows:
    """Rows ``which`` of the run's own test split, rebuilt from the recorded
    data request and checked against the recorded fingerprint."""
    from actlab.blocks.data import load

    split = run.record["test_split"]
    if not split["rows"]:
        raise ActlabError("this run had no test split (--test-frac 0 or a logic gate): use --data FILE.csv")
    which = np.asarray(which, np.int64)
    bad = [int(i) for i in which if not 0 <= i < split["rows"]]
    if bad:
        raise ActlabError(f"bad --sample {bad[0]}: the run's test split has rows 0 to {split['rows'] - 1}")
    ds, _ = load(Request(**{k: tuple(v) if isinstance(v, list) else v for k, v in run.record["data"].items()}))
    if checksum(ds.x_test, ds.y_test) != split["checksum"]:
        raise ActlabError("the run's test split cannot be rebuilt as it was (its data file changed?): "
                          "use --data FILE.csv")
    return Rows(ds.x_test[which], ds.y_test[which], which, "test split")


def csv_rows(run: LoadedRun, path: str) -> Rows:
    """The rows of a CSV file with the run's input columns (by name, any order;
    the run's target columns may be there too), scaled as in training."""
    from actlab.blocks.data import read_table

    header, values, line = read_table(path)
    inputs = run.record["inputs"]
    targets = run.record["data"]["target"]
    missing = [c for c in inputs if c not in header]
    extra = [c for c in header if c not in inputs and c not in targets]
    if missing or extra:
        what = "; ".join(part for part in (f"missing input column{'s' * (len(missing) > 1)} {_short(missing)}"
                                           if missing else "",
                                           f"column{'s' * (len(extra) > 1)} {_short(extra)} not in the run"
                                           if extra else "") if part)
        raise ActlabError(f"{path} line {line}: the columns do not match the run's inputs ({what}); "
                          f"expected {len(inputs)} input columns: {_short(inputs)}")
    x = values[:, [header.index(c) for c in inputs]]
    scaling = run.record["input_scaling"]
    if scaling is not None:
        x = (x - np.asarray(scaling["shift"])) / np.asarray(scaling["scale"])
    return Rows(x, None, np.arange(len(x)), path)


def _short(names, n: int = 6) -> str:
    return ", ".join(names[:n]) + (f", ... ({len(names)} in all)" if len(names) > n else "")


class Predictions(NamedTuple):
    values: np.ndarray  # the output layer's values: probabilities, or predictions for regression
    predicted: list  # class name, list of labels on (multi-label), or the value(s)
    classes: tuple[str, ...]
    probabilities: np.ndarray | None  # (rows, classes): of each class (each label); None for regression


def predict(run: LoadedRun, x) -> Predictions:
    """The network's outputs on scaled rows ``x`` (the compiled ``predict`` of
    the training configuration, so a reloaded run answers as the process that
    trained it did)."""
    import jax
    import jax.numpy as jnp

    from actlab.lab.metrics import predictions

    config = run.config
    params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in run.saved.params]
    values = np.asarray(jax.jit(make_run(config).predict)(params, jnp.asarray(x, jnp.dtype(config.dtype))),
                        np.float64)
    task = config.task
    classes = tuple(run.record["classes"])
    if task not in CLASSIFICATION:
        predicted = [float(row[0]) if len(row) == 1 else [float(v) for v in row] for row in values]
        return Predictions(values, predicted, classes, None)
    ids, _ = predictions(values, task)
    if task == "multi-label":
        predicted = [[classes[k] for k in np.flatnonzero(row)] for row in ids]
    else:
        predicted = [classes[i] for i in ids]
    one = task == "binary" and values.shape[1] == 1  # one sigmoid: P(class 1)
    probabilities = np.column_stack([1 - values[:, 0], values[:, 0]]) if one else values
    return Predictions(values, predicted, classes, probabilities)
