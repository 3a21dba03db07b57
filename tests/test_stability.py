"""actlab.lab.stability and `actlab stability`: references against mpmath, the thresholds
against log(max float), the CLI contract (tables, strict JSON, one-line errors)."""

import json
import math
import subprocess
import sys

import mpmath
import numpy as np
import pytest

from actlab.lab import stability
from actlab.cli import cli

MP_DPS = 50  # mpmath digits of this module's references (conftest sets them per test)
mpmath.mp.dps = MP_DPS


def strict_json(text):
    def refuse(name):
        raise ValueError(f"non-strict JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


# --- the exact reference is exact --------------------------------------------------------


@pytest.mark.parametrize("row,label", [
    ([30.0, 0.0, -2.0, 1.0], 0),
    ([-1e4, -1e4 - 3, -1e4 + 1.5], 0),
    ([1000.0, 0.0, -1000.0], 2),
    ([5.0, 5.0, 1.0], 1),
    ([3.0, float("-inf"), 1.0], 2),
    ([1e30, 0.0, -1e30], 1),
])
def test_decimal_reference_matches_mpmath(row, label):
    loss, grad = stability.exact_softmax_cross_entropy(row, label)
    xs = [mpmath.mpf(v) for v in row]
    live = [v for v in xs if v != -mpmath.inf]
    x_y = xs[label]
    ref = mpmath.log1p(mpmath.fsum(mpmath.exp(v - x_y) for j, v in enumerate(xs) if j != label and v != -mpmath.inf))
    assert abs(mpmath.mpf(str(loss)) - ref) <= mpmath.mpf(10) ** -40 * max(abs(ref), mpmath.mpf(10) ** -300)
    m = max(live)
    total = mpmath.fsum(mpmath.exp(v - m) for v in live)
    for j, g in enumerate(grad):
        p = 0 if xs[j] == -mpmath.inf else mpmath.exp(xs[j] - m) / total
        exact = p - (1 if j == label else 0)
        assert abs(mpmath.mpf(str(g)) - exact) <= mpmath.mpf(10) ** -40


@pytest.mark.parametrize("x,y", [(40.0, 1.0), (-40.0, 1.0), (0.0, 0.3), (1e4, 0.0), (-700.0, 0.5)])
def test_decimal_binary_reference_matches_mpmath(x, y):
    loss, grad = stability.exact_sigmoid_binary_cross_entropy(x, y)
    mx, my = mpmath.mpf(x), mpmath.mpf(y)
    ref = my * mpmath.log1p(mpmath.exp(-mx)) + (1 - my) * mpmath.log1p(mpmath.exp(mx))
    assert abs(mpmath.mpf(str(loss)) - ref) <= mpmath.mpf(10) ** -40 * abs(ref)
    assert abs(mpmath.mpf(str(grad)) - (1 / (1 + mpmath.exp(-mx)) - my)) <= mpmath.mpf(10) ** -40


# --- the experiments ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def hundred():
    return stability.compare([100.0, 0.0, -100.0], 1)


def cell(result, dtype, method):
    return next(c for c in result.cases if c.dtype == dtype and c.method == method)


def test_naive_breaks_below_float64_and_fused_never(hundred):
    # exp(100) overflows float16, bfloat16 and float32 (log(max) = 11.09, 88.72, 88.72), not float64
    for dtype in ("float16", "bfloat16", "float32"):
        naive = cell(hundred, dtype, "naive")
        assert naive.ok is False and not naive.finite and "overflows" in naive.note
    assert cell(hundred, "float64", "naive").ok is True
    for dtype in stability.DTYPES:
        fused = cell(hundred, dtype, "fused")
        assert fused.ok and fused.finite and fused.gradient_finite
        assert fused.loss == pytest.approx(100.0)
        np.testing.assert_allclose(fused.gradient, [1.0, -1.0, 0.0], atol=1e-6)
    assert "naive broke in float16, bfloat16, float32" in hundred.verdict
    assert hundred.backend in ("cpu", "gpu", "tpu", "cuda", "rocm", "METAL")


def test_tiny_loss_is_kept_by_fused_and_lost_by_naive():
    result = stability.compare([30.0, 0.0, -2.0, 1.0], 0, dtypes=("float16", "float32"))
    assert cell(result, "float32", "naive").loss == 0.0  # probability rounded to 1
    fused = cell(result, "float32", "fused")
    assert fused.relative_error <= 1e-6 and fused.reference == pytest.approx(3.6060696e-13, rel=1e-7)
    # 3.6e-13 is below float16's range: 0 is its best answer, and the note says why
    half = cell(result, "float16", "fused")
    assert half.ok and half.loss == 0.0 and "smallest normal" in half.note


def test_binary_compare_flags_naive_nan_and_keeps_fused():
    result = stability.compare([40.0, -40.0], binary=True, target=1.0, dtypes=("float32",))
    by = {(c.method, c.logit): c for c in result.cases}
    assert math.isnan(by["naive", 40.0].loss) and by["naive", 40.0].ok is False
    assert by["fused", 40.0].loss == pytest.approx(float(mpmath.exp(-40)), rel=1e-6)
    assert by["fused", -40.0].loss == pytest.approx(40.0, rel=1e-7)
    assert all(c.ok for c in result.cases if c.method == "fused")


def test_temperature_divides_the_logits():
    result = stability.compare([10.0, 0.0, -10.0], 1, temperature=0.1, dtypes=("float32",))
    assert list(cell(result, "float32", "fused").logits) == pytest.approx([100.0, 0.0, -100.0], rel=1e-6)
    assert cell(result, "float32", "naive").ok is False  # sharper means larger logits
    rows = stability.temperatures([2.0, 1.0, 0.1], [0.5, 1.0, 5.0])
    for r in rows:
        z = np.asarray([2.0, 1.0, 0.1]) / r.temperature
        p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        np.testing.assert_allclose(r.probabilities, p, rtol=1e-12)
    assert rows[0].entropy < rows[1].entropy < rows[2].entropy < math.log(3)


def test_scan_finds_the_overflow_thresholds():
    result = stability.scan(1, points=9, dtypes=("float16", "float32"))
    by = {(s.dtype, s.method): s for s in result.series}
    half, single = by["float16", "naive"], by["float32", "naive"]
    assert half.first_broken == pytest.approx(math.log(65504.0), rel=1e-3)  # 11.09
    # exp(S) overflows at 88.72; 1/exp(S) is subnormal already at 87.34, which CPUs flush to zero
    assert 87.3 <= single.first_broken <= 88.73
    assert single.overflow_threshold == pytest.approx(88.7228, rel=1e-5)
    assert by["float16", "fused"].first_broken is None and by["float32", "fused"].first_broken is None
    assert len(half.relative_error) == 9 and "fused never breaks" in result.verdict


def test_roundoff_in_each_dtype():
    rows = {r.dtype: r for r in stability.roundoff()}
    assert rows["float16"].via_one == 0.0 and rows["bfloat16"].via_one == 0.0  # 1 +- 1e-4 round to 1
    assert rows["float64"].via_one == (1 + 1 / 10000) - (1 - 1 / 10000)  # the same computation in Python
    assert rows["float32"].via_one == float((np.float32(1) + np.float32(1) / np.float32(10000))
                                            - (np.float32(1) - np.float32(1) / np.float32(10000)))
    for r in rows.values():
        assert r.direct_error_ulps <= 0.5  # one correctly rounded division
        assert r.via_one_error_ulps > 100


def test_bad_input_is_an_actlab_error():
    with pytest.raises(ValueError, match="label"):
        stability.compare([1.0, 2.0], 2)
    with pytest.raises(ValueError, match="target"):
        stability.compare([1.0], binary=True, target=1.5)
    with pytest.raises(ValueError, match="dtype"):
        stability.compare([1.0, 2.0], 0, dtypes=("float8",))
    with pytest.raises(ValueError, match="logit"):
        stability.compare([1.0, float("nan")], 0)


# --- the command -------------------------------------------------------------------------


def test_default_table(runner):
    result = runner.invoke(cli, ["stability"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "float16" in out and "bfloat16" in out and "float64" in out
    assert "✗" in out and "✓" in out and "verdict:" in out
    assert "[100, 0, -100]" in out and "label 1" in out


def test_json_has_the_design_keys(runner):
    result = runner.invoke(cli, ["stability", "--logits", "1000", "--json"])
    assert result.exit_code == 0
    obj = strict_json(result.stdout)
    assert obj["logits"] == [1000.0, 0.0, -1000.0] and obj["label"] == 1 and obj["backend"]
    assert len(obj["cases"]) == 8
    for case in obj["cases"]:
        assert {"dtype", "method", "loss", "reference", "relative_error", "finite"} <= case.keys()
        assert case["method"] in ("naive", "fused")
    naive64 = next(c for c in obj["cases"] if c["dtype"] == "float64" and c["method"] == "naive")
    assert naive64["loss"] in ("nan", "inf") and naive64["finite"] is False  # exp(1000) overflows float64 too


def test_values_label_binary_and_temperature(runner):
    result = runner.invoke(cli, ["stability", "--values", "30,0,-2,1", "--label", "0", "--dtypes", "float32"])
    assert result.exit_code == 0 and "rounded to 1" in result.stdout
    result = runner.invoke(cli, ["stability", "--binary", "--values", "40,-40", "--target", "1", "--json"])
    obj = strict_json(result.stdout)
    assert obj["binary"] is True and obj["target"] == 1.0 and len(obj["cases"]) == 16
    result = runner.invoke(cli, ["stability", "--values", "2,1,0.1", "--temperature", "0.5", "--dtypes", "float64"])
    assert result.exit_code == 0 and "entropy" in result.stdout and "temperature 0.5" in result.stdout


def test_scan_and_roundoff(runner):
    result = runner.invoke(cli, ["stability", "--scan", "--points", "7", "--dtypes", "float32"])
    assert result.exit_code == 0, result.output
    assert "88.72" in result.stdout and "never" in result.stdout and "log-log" in result.stdout
    result = runner.invoke(cli, ["stability", "--scan", "--roundoff", "--points", "5", "--dtypes", "float16", "--json"])
    obj = strict_json(result.stdout)
    assert obj["scan"]["series"][0]["first_broken"] == pytest.approx(11.09, rel=1e-3)
    assert [r["dtype"] for r in obj["roundoff"]] == ["float16"]
    result = runner.invoke(cli, ["stability", "--roundoff"])
    assert result.exit_code == 0 and "ulps" in result.stdout


@pytest.mark.parametrize("args,words", [
    (["--values", "1,x,2"], "'x'"),
    (["--values", "1,,2"], "--values"),
    (["--values", "1,2", "--label", "5"], "--label 5"),
    (["--values", "1,2", "--label", "-1"], "--label -1"),
    (["--dtypes", "float8"], "did you mean"),
    (["--binary", "--target", "2"], "--target"),
    (["--temperature", "0"], "--temperature"),
    (["--logits", "abc"], "--logits"),
    (["--logits", "1", "--values", "1,2"], "not both"),
    (["--values", "1,nan"], "nan"),
    (["--scan", "--label", "7"], "--label 7"),
])
def test_bad_input_exits_2_with_one_line(runner, args, words):
    result = runner.invoke(cli, ["stability", *args])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in result.stderr


def test_help_does_not_import_jax():
    code = ("import sys; from click.testing import CliRunner; from actlab.cli import cli; "
            "r = CliRunner().invoke(cli, ['stability', '--help']); "
            "assert r.exit_code == 0 and 'default 1' in r.output, r.output; "
            "assert 'jax' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_masked_true_class_is_inf_and_right():
    result = stability.compare([3.0, float("-inf"), 1.0], 1, dtypes=("float32",))
    fused, naive = cell(result, "float32", "fused"), cell(result, "float32", "naive")
    assert fused.loss == math.inf and fused.reference == math.inf and fused.ok
    assert fused.gradient[1] == -1.0 and fused.gradient_finite
    assert naive.ok is False and not naive.gradient_finite  # 0 * log'(0) is NaN
    assert "masked" in fused.note
