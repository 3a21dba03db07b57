"""``actlab list`` and ``actlab plot`` against independent numbers."""

import json
import math

import numpy as np
import pytest

from actlab.blocks import activations
from actlab.cli import cli


def test_list_json_covers_the_registry(runner):
    result = runner.invoke(cli, ["list", "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    by_name = {a["name"]: a for a in data["activations"]}
    assert set(by_name) == set(activations.names())
    assert by_name["sigmoid"]["output_range"] == [0, 1]
    assert by_name["relu"]["output_range"] == [0, "inf"]
    assert by_name["leaky_relu"]["params"] == {"alpha": 0.01}
    for a in data["activations"]:
        assert {"name", "formula", "output_range", "params", "uses", "source"} <= set(a)


def test_list_table(runner):
    result = runner.invoke(cli, ["list"])
    assert result.exit_code == 0
    for name in ("sigmoid", "gelu_tanh", "hard_sigmoid"):
        assert name in result.stdout
    assert "\x1b[" not in result.stdout  # no colour off a terminal


def test_plot_json_values_match_formulas(runner):
    result = runner.invoke(cli, ["plot", "sigmoid", "relu", "--derivative", "--range", "-2", "2",
                                 "--points", "5", "--dtype", "float64", "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["x"] == [-2.0, -1.0, 0.0, 1.0, 2.0]
    series = {(s["name"], s["kind"]): s["y"] for s in data["series"]}
    sig = [1 / (1 + math.exp(-x)) for x in data["x"]]
    np.testing.assert_allclose(series["sigmoid", "value"], sig, rtol=1e-15)
    np.testing.assert_allclose(series["sigmoid", "derivative"], [s * (1 - s) for s in sig], rtol=1e-14)
    assert series["relu", "derivative"] == [0, 0, 0, 1, 1]  # relu'(0) = 0


def test_plot_facts(runner):
    result = runner.invoke(cli, ["plot", "sigmoid", "relu", "--range", "-10", "10", "--points", "2001", "--json"])
    facts = {f["name"]: f for f in json.loads(result.stdout)["facts"]}
    assert facts["sigmoid"]["max_slope"] == pytest.approx(0.25)
    assert facts["sigmoid"]["max_slope_at"] == [0, 0]
    assert facts["sigmoid"]["value_at_0"] == 0.5 and facts["sigmoid"]["derivative_at_0"] == 0.25
    # sigma'(x) < 1e-3 for |x| > 6.906 (solve s(1 - s) = 1e-3)
    (lo, hi), (lo2, hi2) = facts["sigmoid"]["saturated"]
    assert lo == -10 and hi2 == 10 and abs(hi + 6.906) < 0.02 and abs(lo2 - 6.906) < 0.02
    assert facts["relu"]["saturated"] == [[-10, 0]]
    assert facts["relu"]["max_slope_at"][1] == 10


def test_plot_param_and_chart(runner):
    result = runner.invoke(cli, ["plot", "leaky_relu", "--param", "alpha=0.2", "-d"])
    assert result.exit_code == 0, result.stderr
    assert "leaky_relu(alpha=0.2)" in result.stdout and "facts" in result.stdout


def test_plot_dtype_is_kept(runner):
    result = runner.invoke(cli, ["plot", "tanh", "--points", "3", "--dtype", "float16", "--json"])
    data = json.loads(result.stdout)
    assert data["dtype"] == "float16"
    assert data["series"][0]["y"][2] == pytest.approx(float(np.tanh(np.float16(5.0))), abs=1e-3)


def test_plot_save_writes_a_figure_and_keeps_existing_files(runner, tmp_path):
    path = tmp_path / "relu.png"
    result = runner.invoke(cli, ["plot", "relu", "-d", "--save", str(path)])
    assert result.exit_code == 0, result.stderr
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    path.write_bytes(b"mine")
    result = runner.invoke(cli, ["plot", "relu", "--save", str(path)])
    assert result.exit_code == 2 and path.read_bytes() == b"mine"
    result = runner.invoke(cli, ["plot", "relu", "--save", str(path), "--overwrite"])
    assert result.exit_code == 0 and path.read_bytes()[:4] == b"\x89PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["relu.png"]  # no temporary left behind


@pytest.mark.parametrize("args, needle", [
    (["plot", "rleu"], "did you mean 'relu'"),
    (["plot", "relu", "--range", "2", "1"], "--range"),
    (["plot", "relu", "--points", "1"], "--points"),
    (["plot", "relu", "--points", "10000000"], "--points"),
    (["plot", "leaky_relu", "--param", "alhpa=1"], "alhpa"),
    (["plot", "leaky_relu", "--param", "alpha=abc"], "abc"),
    (["plot", "leaky_relu", "--param", "alpha"], "KEY=VALUE"),
    (["plot", "relu", "elu", "--param", "beta=1"], "beta"),
    (["plot", "relu", "--save", "/no/such/folder/x.png"], "does not exist"),
    (["plot", "relu", "--save", "x.txt"], ".png"),
    (["plot", "relu", "--dtype", "float8"], "float8"),
])
def test_bad_input_exits_2_with_one_line(runner, args, needle):
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
