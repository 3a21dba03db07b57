"""What the hidden layers did while a network trained: a table of checkpoints
(start, middle and end), the notes, and the same as JSON and CSV rows.

Reads only ``actlab.lab.layers.LayerHistory``: a NamedTuple of ``step`` and
one (checkpoints, layers) array per field, in the order of ``HEADERS``.
"""

from __future__ import annotations

from actlab.render import terminal
from actlab.render.terminal import fmt, paint

HEADERS = ("|dL/dW|", "update/W", "dead", "saturated", "mean f(z)", "std f(z)")
CAPTION = ("|dL/dW|: gradient norm of the weights; update/W: a step's size relative to the "
           "weights (about 1e-3 is healthy); dead: units with f' = 0 on every training example (on "
           "512 of them spread over a larger set); "
           "saturated: units with |f'| < 1e-3 on most of them (relu's off side counts); "
           "f(z): the layer's outputs on the training data. Layer 1 is nearest the input.")


def _fields(history) -> tuple[str, ...]:
    return history._fields[1:]  # grad_norm ... act_std


def _hidden(history) -> int:
    return history.dead.shape[1]


def history_json(history) -> list[dict]:
    """``[{"step", "layers": [{"layer", "grad_norm", ...}]}]``, one entry per checkpoint."""
    fields = _fields(history)
    return [{"step": int(history.step[k]),
             "layers": [{"layer": l + 1, **{f: float(getattr(history, f)[k, l]) for f in fields}}
                        for l in range(_hidden(history))]}
            for k in range(len(history.step))]


def history_rows(history) -> list[list]:
    """CSV rows, the header first: one per checkpoint and layer."""
    fields = _fields(history)
    rows = [["step", "layer", *fields]]
    for k, step in enumerate(history.step):
        for l in range(_hidden(history)):
            rows.append([int(step), l + 1, *(repr(float(getattr(history, f)[k, l])) for f in fields)])
    return rows


def start_middle_end(history) -> list[int]:
    """Indices of the first, the middle and the last checkpoint, each once."""
    n = len(history.step)
    return sorted({0, (n - 1) // 2, n - 1}) if n else []


def table(history, checkpoints=None, *, title: str = "inside the hidden layers",
          caption: bool = True) -> terminal.Table:
    """The layers at the given checkpoints (indices; default start, middle and end)."""
    checkpoints = start_middle_end(history) if checkpoints is None else list(checkpoints)
    t = terminal.Table(title, caption=CAPTION if caption else "")
    t.column("step", align="right", key=True)
    t.column("layer", align="right", key=True)
    for name in HEADERS:
        t.column(name, align="right", secondary=name in ("mean f(z)", "std f(z)"))
    for k in checkpoints:
        t.section()
        for l in range(_hidden(history)):
            grad, ratio, dead, saturated, mean, std = (getattr(history, f)[k, l] for f in _fields(history))
            t.row(str(int(history.step[k])), str(l + 1), fmt(grad, 3), fmt(ratio, 2), _share(dead),
                  _share(saturated), fmt(mean, 3), fmt(std, 3))
    return t


def _share(x: float):
    text = f"{100 * x:.0f}%"
    return paint(text, "bad") if x >= 0.25 else text


def show(screen, history, notes) -> None:
    """The table (when there are hidden layers) and the notes."""
    if _hidden(history) and len(history.step):
        screen.blank()
        screen.table(table(history))
    for note in notes:
        screen.line(paint("Layers:", "bold"), f" {note}")
