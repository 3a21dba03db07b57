"""``actlab predict``: a saved run's network on new rows or on its own test split."""

from __future__ import annotations

import click

from actlab.cli.options import json_option, parse_ints
from actlab.errors import ActlabError


@click.command("predict")
@click.argument("run_dir", metavar="DIR", type=click.Path(file_okay=True))
@click.option("--data", "data_path", type=click.Path(dir_okay=False),
              help="A CSV file with the run's input columns (by name; its target columns may be there "
                   "too), in the units of the training data: scaled as in training.")
@click.option("--sample", metavar="N[,N...]",
              help="Row N of the run's own test split (rebuilt from the recorded data and checked).")
@json_option
def predict_cmd(run_dir, data_path, sample, as_json):
    """Predict with a network that `actlab train ... --save DIR` wrote.

    The folder's run.json rebuilds the same network (layers, activation,
    output layer, dtype, input scaling, class names); the predictions are
    those the training process would give. Prints each prediction with its
    class probabilities (for a digit, the image beside it); for regression the
    predicted value.

    \b
    Examples:
      actlab train digits --save run1 && actlab predict run1 --sample 0
      actlab predict run1 --data new_rows.csv --json
    """
    if (data_path is None) == (sample is None):
        raise ActlabError("give --data FILE.csv or --sample N (one of the two)")
    which = parse_ints(sample, "--sample", example="0 or 3,17") if sample is not None else None
    from actlab import runtime

    runtime.configure()
    from actlab import catalog
    from actlab.catalog import expr
    from actlab.lab import runs
    from actlab.render import predict as view

    saved = runs.read_record(run_dir)
    try:
        activation = catalog.activation(saved.activation["text"], saved.activation["params"])
    except ActlabError as e:
        source = saved.record["network"]["activation"]["source"]
        raise ActlabError(f"the run's activation {saved.activation['text']!r} ({source}) is not available "
                          f"here: {e}") from None
    formulas = saved.record["network"].get("features")
    features = expr.parse_features(tuple(formulas), tuple(saved.record["inputs"])) if formulas else None
    run = runs.rebuild(saved, activation, features)
    rows = runs.test_rows(run, which) if which is not None else runs.csv_rows(run, data_path)
    view.show(run.record, rows, runs.predict(run, rows.x), as_json=as_json)
