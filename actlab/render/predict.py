"""What `actlab predict` shows: each row's prediction with its class
probabilities (a digit's image beside them), or the predicted value; JSON."""

from __future__ import annotations

from actlab.render import images, terminal
from actlab.render.terminal import fmt, paint

BAR = 20  # characters of a probability bar at 1.0


def to_json(record, rows, pred) -> dict:
    classify = bool(record["classes"])
    out = {"task": record["task"], "classes": list(pred.classes), "rows_from": rows.source, "predictions": []}
    for k, i in enumerate(rows.index):
        item = {"row": int(i), "predicted": pred.predicted[k]}
        if classify:
            item["probabilities"] = [float(v) for v in pred.probabilities[k]]
        if rows.y is not None:
            item["true"] = _truth(record, rows.y[k])
        out["predictions"].append(item)
    return out


def _truth(record, y):
    """A true target as the record names it: a class, the labels on, or the value(s)."""
    import numpy as np

    classes = record["classes"]
    if record["task"] == "multi-label":
        return [classes[k] for k in np.flatnonzero(y)]
    if classes:
        return classes[int(y)]
    y = np.atleast_1d(y)
    return float(y[0]) if len(y) == 1 else [float(v) for v in y]


def show(record, rows, pred, *, as_json: bool = False) -> None:
    if as_json:
        terminal.print_json(to_json(record, rows, pred))
        return
    screen = terminal.stdout()
    net = record["network"]
    conv = f"conv {','.join(map(str, net['conv']['channels']))}, " if net["conv"] else ""
    screen.line(paint("actlab predict", "bold"),
                f": {record['data']['name'] or record['data']['path']}, {record['task']}, {conv}"
                f"{'-'.join(map(str, net['sizes']))} {net['activation']['text']} -> {net['output']}")
    screen.note(f"trained by: {record['command']}")
    classify = bool(record["classes"])
    image = record["image"]
    if classify and (image is not None or len(rows.index) <= 3):
        for k, i in enumerate(rows.index):
            screen.blank()
            show_one(screen, record, rows, pred, k, image)
        return
    screen.table(rows_table(record, rows, pred))


def show_one(screen, record, rows, pred, k, image) -> None:
    """One row: the prediction, and each class's probability as a bar (the image beside it)."""
    truth = f" (true: {_name(_truth(record, rows.y[k]))})" if rows.y is not None else ""
    screen.line(paint(f"row {rows.index[k]}", "bold"), f" of the {rows.source}: predicted ",
                paint(_name(pred.predicted[k]), "bold"), truth)
    width = max(len(c) for c in pred.classes)
    bars = [f"{c:>{width}}  {v:6.4f}  {'█' * int(round(BAR * v))}"
            for c, v in zip(pred.classes, pred.probabilities[k])]
    if image is not None:
        screen.line(images.beside(images.image_lines(rows.x[k], image), bars), wrap=False)
    else:
        screen.line("\n".join(bars), wrap=False)


def _name(value) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    return value if isinstance(value, str) else fmt(value)


def rows_table(record, rows, pred) -> terminal.Table:
    """Many rows: row, prediction, the probability of the predicted class (of
    each label), and the truth where known."""
    t = terminal.Table()
    t.column("row", align="right")
    t.column("predicted", align="right")
    classify = bool(record["classes"])
    if classify:
        t.column("labels: P" if record["task"] == "multi-label" else "P(predicted)", align="right")
    if rows.y is not None:
        t.column("true", align="right")
    for k, i in enumerate(rows.index):
        cells = [str(i), _name(pred.predicted[k])]
        if record["task"] == "multi-label":
            cells.append(" ".join(f"{v:.2f}" for v in pred.probabilities[k]))
        elif classify:
            cells.append(f"{float(pred.probabilities[k].max()):.4f}")
        if rows.y is not None:
            cells.append(_name(_truth(record, rows.y[k])))
        t.row(*cells)
    return t
