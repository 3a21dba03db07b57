"""``actlab stability``: naive vs fused cross-entropy across dtypes, against exact values."""

from __future__ import annotations

import math

import click

from actlab.cli.options import DTYPES, json_option, number, parse_float, parse_floats, split_words, whole
from actlab.errors import ActlabError, unknown

DEFAULT_SCALE = 100.0


@click.command("stability")
@click.option("--logits", "scale", default=None, metavar="S",
              help=f"Use the logits [S, 0, -S] (default S = {DEFAULT_SCALE:g}).")
@click.option("--values", default=None, metavar="X,X,...",
              help="Explicit logits, e.g. 1000,0,-5 (-inf masks a class).")
@click.option("--label", type=whole(0), default=None, metavar="K",
              help="The true class (default 1: in [S, 0, -S] the class with logit 0, whose loss "
                   "~ S is representable in every dtype, so what breaks is the method, not the "
                   "dtype's range; label 0 has a loss ~ e^-S below every dtype's reach).")
@click.option("--binary", is_flag=True,
              help="Sigmoid + binary cross-entropy instead: each logit is one example, "
                   "probabilities first (naive) vs from the logits (fused).")
@click.option("--target", type=number(0, 1), default=1.0, show_default=True, metavar="Y",
              help="The binary target in [0, 1], for --binary.")
@click.option("--temperature", "temperature_text", default="1", show_default=True, metavar="T[,T...]",
              help="Softmax temperature: the logits become x / T (in each dtype). T < 1 sharpens "
                   "the distribution and makes the logits larger, so the naive form breaks sooner. "
                   "Several (0.5,1,2,5): one row per T, probabilities and entropy, and a chart.")
@click.option("--scan", is_flag=True,
              help="Sweep S over 1..1e5 (log-spaced) and show, per dtype and method, the first S "
                   "that breaks beside log(max float), with a chart of relative error vs S.")
@click.option("--points", type=whole(2, 2000), default=101, show_default=True,
              help="Scales in the --scan sweep.")
@click.option("--roundoff", is_flag=True,
              help="Round-off as in the course notes: 2/10000 against (1 + 1/10000) - (1 - 1/10000) "
                   "in each dtype, with the error in ulps.")
@click.option("--dtypes", default=",".join(DTYPES), show_default=True, metavar="D,D,...",
              help="Floating-point types to compare.")
@click.option("--chart/--no-chart", default=True, show_default=True, help="Draw the --scan chart.")
@json_option
def stability_cmd(scale, values, label, binary, target, temperature_text, scan, points, roundoff, dtypes,
                  chart, as_json):
    """Why losses take logits: naive vs fused cross-entropy in every dtype.

    For the given logits, the loss and its gradient computed two ways, in
    float16, bfloat16, float32 and float64: naive (softmax or sigmoid first,
    then the log) and fused (from the logits: max shift, log1p, the
    from_logits=True form). Each is compared with the exact value, computed
    at 60 decimal digits for the logits as stored in that dtype; broken cells
    are flagged. XLA on CPU flushes subnormal numbers to zero: a result below
    the smallest normal number shows as 0, and the table says so.

    --scan sweeps S in [S, 0, -S]; --roundoff shows the round-off example;
    --temperature divides the logits by T (several: softmax at each T).

    \b
    Examples:
      actlab stability --logits 1000
      actlab stability --values 30,0,-2,1 --label 0
      actlab stability --binary --values 40,-40 --target 1
      actlab stability --scan
      actlab stability --roundoff
      actlab stability --values 2,1,0.1 --temperature 0.5,1,2,5
    """
    if scale is not None and values is not None:
        raise ActlabError("give either --logits S or --values X,X,..., not both")
    if values is not None:
        logits = parse_floats(values, "--values")
    else:
        s = DEFAULT_SCALE if scale is None else parse_float(scale, "--logits")
        if not math.isfinite(s):
            raise ActlabError(f"bad --logits value {scale!r}: expected a finite number")
        logits = [s, 0.0, -s]
    if label is None:
        label = 1 if len(logits) > 1 else 0
    dtype_list = split_words(dtypes, "--dtypes", example="float32,float64")
    for name in dtype_list:
        if name not in DTYPES:
            raise unknown("dtype", name, DTYPES)
    positive = number(0, lo_open=True)
    temperature_list = list(dict.fromkeys(parse_floats(temperature_text, "--temperature", positive)))
    if len(temperature_list) > 1 and (binary or scan or roundoff):
        raise ActlabError("several --temperature values compare softmax distributions; "
                          "they do not go with --binary, --scan or --roundoff")
    if scan and values is not None:
        raise ActlabError("--scan sweeps the logits [S, 0, -S] itself; it does not take --values")
    if scan and scale is not None:
        raise ActlabError("--scan sweeps S from 1 to 1e5 itself; it does not take --logits")

    from actlab import runtime

    jax = runtime.configure()
    from actlab.lab import stability
    from actlab.render import stability as render

    backend = jax.default_backend()
    if scan or roundoff:
        scan_result = (stability.scan(label, binary=binary, target=target, points=points, dtypes=dtype_list)
                       if scan else None)
        roundoff_rows = stability.roundoff(dtype_list) if roundoff else None
        render.sections(scan_result, roundoff_rows, backend=backend, as_json=as_json, chart=chart)
        return
    if len(temperature_list) > 1:
        rows = stability.temperatures(logits, temperature_list)
        render.temperature_view(rows, curve=_temperature_curve(stability, logits, temperature_list),
                                logits=logits, label=label, backend=backend, as_json=as_json)
        return
    temperature = temperature_list[0]
    result = stability.compare(logits, label, binary=binary, target=target, temperature=temperature,
                               dtypes=dtype_list)
    temps, curve = None, ()
    if temperature != 1 and not binary:
        temps = stability.temperatures(logits, sorted({1.0, temperature}))
        curve = _temperature_curve(stability, logits, [1.0, temperature])
    render.table(result, temperatures=temps, curve=curve, as_json=as_json)


def _temperature_curve(stability, logits, temps):
    """softmax(x / T) on a fine grid of T over the range asked, for the chart."""
    lo, hi = math.log10(min(temps)), math.log10(max(temps))
    return stability.temperatures(logits, [10 ** (lo + (hi - lo) * i / 48) for i in range(49)])
