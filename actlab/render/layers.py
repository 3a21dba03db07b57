"""What the hidden layers did while a network trained: a table of the
checkpoints (start, middle, end) and the notes, also as JSON and CSV.

Depends only on ``actlab.lab.layers.LayerHistory``: a NamedTuple of ``step``
and one (checkpoints, layers) array per field, in the order of ``HEADERS``.
"""

from __future__ import annotations

import csv
import io

from actlab import render

HEADERS = ("|dL/dW|", "update/W", "dead", "saturated", "mean f(z)", "std f(z)")
CAPTION = ("|dL/dW|: gradient norm of the weights; update/W: a step's size relative to the "
           "weights (about 1e-3 is healthy); dead: units with f' = 0 on every training example; "
           "saturated: units with |f'| < 1e-3 on most of them (relu's off side counts); "
           "f(z): the layer's outputs on the training data.")


def _fields(history) -> tuple[str, ...]:
    return history._fields[1:]  # grad_norm ... act_std


def history_json(history) -> list[dict]:
    """``[{"step", "layers": [{"layer", "grad_norm", ...}]}]``, one entry per checkpoint."""
    fields = _fields(history)
    return [{"step": int(history.step[k]),
             "layers": [{"layer": l + 1, **{f: float(getattr(history, f)[k, l]) for f in fields}}
                        for l in range(history.dead.shape[1])]}
            for k in range(len(history.step))]


def history_csv(history) -> str:
    """One row per checkpoint and layer: step, layer and the fields."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    fields = _fields(history)
    writer.writerow(["step", "layer", *fields])
    for k, step in enumerate(history.step):
        for l in range(history.dead.shape[1]):
            writer.writerow([int(step), l + 1, *(repr(float(getattr(history, f)[k, l])) for f in fields)])
    return buf.getvalue()


def table(history, checkpoints=None, *, title: str = "inside the hidden layers (layer 1 = input side)",
          caption: bool = True):
    """The layers at the given checkpoints (indices; default start, middle and end)."""
    from rich import box
    from rich.table import Table

    n = len(history.step)
    if checkpoints is None:
        checkpoints = sorted({0, (n - 1) // 2, n - 1}) if n else []
    t = Table(title=title, caption=CAPTION if caption else None, title_justify="left",
              caption_justify="left", box=box.SIMPLE_HEAD, collapse_padding=True, pad_edge=False)
    t.add_column("step", justify="right", no_wrap=True)
    t.add_column("layer", justify="right", no_wrap=True)
    for name in HEADERS:
        t.add_column(name, justify="right", no_wrap=True)
    for k in checkpoints:
        for l in range(history.dead.shape[1]):
            row = [getattr(history, f)[k, l] for f in _fields(history)]
            t.add_row(str(int(history.step[k])) if l == 0 else "", str(l + 1),
                      render.fmt(row[0], 3), render.fmt(row[1], 2), _share(row[2]), _share(row[3]),
                      render.fmt(row[4], 3), render.fmt(row[5], 3),
                      end_section=l == history.dead.shape[1] - 1 and k != checkpoints[-1])
    return t


def _share(x: float) -> str:
    style = "red" if x >= 0.25 else ""
    text = f"{100 * x:.0f}%"
    return f"[{style}]{text}[/]" if style else text


def show_notes(console, notes) -> None:
    for note in notes:
        console.print(f"[bold]Layers:[/] {note}", soft_wrap=False)
