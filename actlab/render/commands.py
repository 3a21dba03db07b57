"""The ``actlab train`` command lines the views print: how to train again what
a run found (``--find-lr``) or what a sweep's failed seed did, written one way."""

from __future__ import annotations

import shlex


def replay_data(data) -> str:
    """How `actlab train` names the data of a request, when it is a file."""
    if data.path is None:
        return ""
    return f"--data {shlex.quote(data.path)} --target {shlex.quote(','.join(data.target))}"


def replay_args(data, *, l2: float = 0.0, l1: float = 0.0, init_name: str = "auto",
                features: str | None = None) -> str:
    """The options `actlab train` must repeat to train on the same data and
    network inputs as a request (all but the name or file, the network and
    the optimizer)."""
    args = [f"--{k} {v}" for k, v in (("samples", data.samples), ("noise", data.noise)) if v is not None]
    if data.path is not None:
        args += [f"--task {data.task}"] * bool(data.task) + ["--no-standardize"] * (not data.standardize)
    args += [f"--classes {data.classes}"] * (data.name in ("spiral", "blobs") and data.classes != 3)
    args += [f"--test-frac {data.test_frac:g}"] * (data.test_frac != 0.25)
    args += [f"--train-frac {data.train_frac:g}"] * (data.train_frac != 1)
    if data.digits is not None:
        args.append(f"--digits {','.join(map(str, data.digits))}")
    args += [f"--l2 {l2:g}"] * bool(l2) + [f"--l1 {l1:g}"] * bool(l1)
    args += [f"--init {init_name}"] * (init_name != "auto")
    args += [f"--features {shlex.quote(features)}"] * (features is not None)
    return " ".join(args)


def train_line(data: str, *, act: str, opt: str, lr: float, seed: int, data_seed: int | None = None,
               params=None, steps: int | None = None, hidden: str | None = None, conv: str | None = None,
               output: str | None = None, loss: str | None = None, batch: int | None = None,
               dtype: str = "float32", rest: str = "") -> str:
    """``actlab train DATA ...`` with the options that differ from its defaults.

    ``data``: the set's name or ``replay_data``'s options; ``data_seed``: the
    data's seed, written when it is not the run's own (None: the data has none);
    ``conv``: the option's text ("" for ``--conv`` alone); ``rest``: ``replay_args``.
    """
    words = ["actlab train", data, f"--act {shlex.quote(act)}"]
    words += [f"--param {k}={v:g}" for k, v in (params or {}).items()]
    words += [f"--opt {opt} --lr {lr:g}"] + [f"--steps {steps}"] * (steps is not None)
    words += [f"--hidden {hidden}"] * (hidden is not None) + [f"--conv {conv}".rstrip()] * (conv is not None)
    words += [f"--out {output}"] * (output is not None) + [f"--loss {loss}"] * (loss is not None)
    words += [f"--batch {batch}"] * bool(batch) + [f"--dtype {dtype}"] * (dtype != "float32")
    words += [f"--seed {seed}"] * bool(seed)
    words += [f"--data-seed {data_seed}"] * (data_seed is not None and data_seed != seed)
    return " ".join(words + [rest] * bool(rest))
