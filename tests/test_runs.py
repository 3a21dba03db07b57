"""`train --save` and `actlab predict`: a run folder rebuilds the same network
in another process, and bad folders and files are refused without touching them."""

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from actlab.blocks import activations, data
from actlab.cli import cli
from actlab.lab import runs, setup, train
from actlab.render import train as view


def save(folder, name, *, request=None, **kw):
    """Trains in this process and saves as `actlab train --save` does."""
    req = data.Request(name=name, seed=0, **(request or {}))
    ds, _ = data.load(req)
    config, _ = setup.make_config(ds, activation=activations.get("relu"), optimizer="adam", **kw)
    r = train.train(config, ds, lr=setup.default_lr(ds, "adam"), seed=0)
    record = runs.make_record(config, ds, req, command=f"actlab train {name}")
    view.save_run(folder, r, arrays=runs.param_arrays(r.params), record=record)
    return ds, config, r


def snapshot(folder):
    return {p: (p.stat().st_mtime_ns, p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def invoke_json(runner, args):
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_reloaded_run_predicts_what_the_training_process_did(tmp_path):
    folder = tmp_path / "run"
    ds, config, r = save(folder, "digits", request={"digits": (3, 5, 8)}, epochs=5)
    rows = [0, 7, 11]
    env = {**os.environ, "ACTLAB_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-m", "actlab", "predict", str(folder), "--sample", "0,7,11", "--json"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    got = np.array([p["probabilities"] for p in out["predictions"]])
    # the training process's own predict, on its in-memory weights: the same bits
    mine = np.asarray(jax.jit(train.make_run(config).predict)(
        [(jnp.asarray(w), jnp.asarray(b)) for w, b in r.params], train.on_device(ds.x_test[rows], "float32")))
    assert np.array_equal(got, mine.astype(np.float64))
    np.testing.assert_allclose(got, r.eval_values[rows], atol=1e-6)  # the training program's own answers
    assert [p["predicted"] for p in out["predictions"]] == [("3", "5", "8")[k] for k in got.argmax(1)]
    assert [p["true"] for p in out["predictions"]] == [("3", "5", "8")[k] for k in ds.y_test[rows]]
    assert out["classes"] == ["3", "5", "8"] and [p["row"] for p in out["predictions"]] == rows


def test_the_record_holds_what_rebuilds_the_network(tmp_path, runner):
    folder = tmp_path / "run"
    result = runner.invoke(cli, ["train", "digits", "--digits", "0,1", "--conv", "4", "--epochs", "10", "--lr", "0.01",
                                 "--act", "x*tanh(softplus(x))", "--save", str(folder)])
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert names[:2] == ["figure.png", "history.csv"] and {"params.npz", "result.json", "run.json"} <= set(names)
    record = json.loads((folder / "run.json").read_text())
    assert (record["format"], record["version"]) == (runs.FORMAT, runs.VERSION)
    assert record["command"].startswith("actlab train digits --digits 0,1 --conv 4 --epochs 10")
    net = record["network"]
    assert net["conv"] == {"image": [8, 8], "channels": [4], "stride": 2} and net["output"] == "sigmoid"
    assert net["activation"]["source"] == "expression" and "softplus" in net["activation"]["text"]
    assert record["classes"] == ["0", "1"] and record["image"] == [8, 8] and len(record["inputs"]) == 64
    assert record["input_scaling"]["scale"] == [16.0] * 64
    out = invoke_json(runner, ["predict", str(folder), "--sample", "0", "--json"])
    assert out["predictions"][0]["predicted"] == out["predictions"][0]["true"]  # an easy 0 or 1


def test_csv_rows_are_scaled_as_in_training(tmp_path, runner):
    folder = tmp_path / "run"
    ds, _, _ = save(folder, "iris")
    raw = ds.x_test[:6] * ds.scale + ds.shift  # the measurements in centimetres
    csv = tmp_path / "flowers.csv"
    names = list(reversed(ds.feature_names))  # columns by name, in any order
    csv.write_text(",".join(names) + "\n" + "".join(",".join(repr(float(v)) for v in row[::-1]) + "\n"
                                                    for row in raw))
    by_file = invoke_json(runner, ["predict", str(folder), "--data", str(csv), "--json"])
    by_row = invoke_json(runner, ["predict", str(folder), "--sample", "0,1,2,3,4,5", "--json"])
    for a, b in zip(by_file["predictions"], by_row["predictions"]):
        assert a["predicted"] == b["predicted"]
        np.testing.assert_allclose(a["probabilities"], b["probabilities"], atol=1e-6)
    text = runner.invoke(cli, ["predict", str(folder), "--data", str(csv)], env={"COLUMNS": "80"}).stdout
    assert "setosa" in text or "versicolor" in text or "virginica" in text


def test_regression_predicts_a_value(tmp_path, runner):
    folder = tmp_path / "run"
    ds, _, r = save(folder, "diabetes", steps=50)
    out = invoke_json(runner, ["predict", str(folder), "--sample", "2", "--json"])
    p = out["predictions"][0]
    assert "probabilities" not in p and p["true"] == float(ds.y_test[2, 0])
    assert p["predicted"] == pytest.approx(float(r.eval_values[2, 0]), abs=1e-3)


def test_a_run_with_features_predicts_from_the_raw_columns(tmp_path, runner):
    """--features and --l1 are in the record: predict computes the features from
    the CSV's columns, as training did (here: the XOR truth table, by hand)."""
    folder = tmp_path / "run"
    result = runner.invoke(cli, ["train", "xor", "--features", "x1,x2,x1*x2", "--hidden", "0", "--l1", "1e-4",
                                 "--save", str(folder), "--no-chart"])
    assert result.exit_code == 0, result.stderr
    record = json.loads((folder / "run.json").read_text())["network"]
    assert record["features"] == ["x1", "x2", "x1 * x2"] and record["l1"] == 1e-4
    (tmp_path / "in.csv").write_text("x1,x2\n0,0\n0,1\n1,0\n1,1\n")
    out = invoke_json(runner, ["predict", str(folder), "--data", str(tmp_path / "in.csv"), "--json"])
    assert [p["predicted"] for p in out["predictions"]] == ["0", "1", "1", "0"]


def test_bad_folders_and_files_exit_2_and_change_nothing(tmp_path, runner):
    folder = tmp_path / "run"
    save(folder, "iris", steps=20)
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("sepal length (cm),colour\n1,2\n")
    other = tmp_path / "not-a-run"
    other.mkdir()
    (other / "notes.txt").write_text("hello")
    cases = [
        ([str(other), "--sample", "0"], "not an actlab run"),
        ([str(tmp_path / "missing"), "--sample", "0"], "does not exist"),
        ([str(folder), "--data", str(bad_csv)], "missing input columns"),
        ([str(folder), "--data", str(bad_csv)], "colour not in the run"),
        ([str(folder), "--sample", "38"], "rows 0 to 37"),
        ([str(folder)], "one of the two"),
        ([str(folder), "--sample", "x"], "--sample"),
    ]
    before = snapshot(tmp_path)
    for args, message in cases:
        result = runner.invoke(cli, ["predict", *args])
        assert result.exit_code == 2, (args, result.stdout)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert snapshot(tmp_path) == before
    record = json.loads((folder / "run.json").read_text())
    record["version"] = 99
    (folder / "run.json").write_text(json.dumps(record))
    before = snapshot(tmp_path)
    result = runner.invoke(cli, ["predict", str(folder), "--sample", "0"])
    assert result.exit_code == 2 and "version 99" in result.stderr and "reads version 1" in result.stderr
    assert snapshot(tmp_path) == before


def test_the_run_folder_appears_whole_or_not_at_all(tmp_path, monkeypatch, runner):
    from actlab.render import files

    def broken(fig, path):
        raise OSError("disk full")

    monkeypatch.setattr(files, "write_figure", broken)
    folder = tmp_path / "run"
    result = runner.invoke(cli, ["train", "iris", "--steps", "10", "--save", str(folder)])
    assert result.exit_code in (1, 2) and "disk full" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no folder, no temporary left behind
    monkeypatch.undo()
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    for extra in ([], ["--overwrite"]):  # a file actlab did not write is never replaced
        refused = runner.invoke(cli, ["train", "iris", "--steps", "10", "--save", str(folder), *extra])
        assert refused.exit_code == 2 and ("keep.txt" in refused.stderr or "--overwrite" in refused.stderr)
        assert [p.name for p in folder.iterdir()] == ["keep.txt"]
    (folder / "keep.txt").unlink()
    assert runner.invoke(cli, ["train", "iris", "--steps", "10", "--save", str(folder)]).exit_code == 0
    first = (folder / "run.json").read_bytes()
    replaced = runner.invoke(cli, ["train", "iris", "--steps", "20", "--save", str(folder), "--overwrite"])
    assert replaced.exit_code == 0, replaced.stderr  # an earlier run is replaced whole
    assert (folder / "run.json").read_bytes() != first and [p.name for p in tmp_path.iterdir()] == ["run"]


def test_digit_prediction_is_drawn_beside_its_probabilities(tmp_path, runner):
    folder = tmp_path / "run"
    save(folder, "digits", request={"digits": (0, 1)}, epochs=3)
    result = runner.invoke(cli, ["predict", str(folder), "--sample", "1"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(("█" in line or "▓" in line) and "0." in line for line in lines)  # image and bars side by side
    assert "predicted" in result.stdout and max(map(len, lines)) <= 80
