"""`actlab train --live`: the training view redrawn in the terminal as the
network trains: the step, the loss curves, the decision regions of 2-D data
(or the fitted curve of 1-D regression) and the hidden layers at their
latest checkpoint.

Training a toy set takes milliseconds, so frames are spaced to last about
``seconds`` in all; each frame is one compiled chunk of steps. Reads only the
``Frame`` of ``actlab.lab.train``.
"""

from __future__ import annotations

import contextlib
import math
import time

from actlab.render import layers as layer_view
from actlab.render import terminal
from actlab.render.terminal import fmt, join, paint
from actlab.render.train import decision_regions, loss_chart

FRAMES = 60  # about this many frames an animation
MIN_GAP = 0.05  # seconds between drawings at the least
SECONDS = 5.0  # default length of an animation
SIDE_BY_SIDE = 110  # columns from which the chart and the picture sit side by side


def available() -> bool:
    """Whether stdout is a terminal that can be redrawn in place."""
    return terminal.stdout().is_terminal


@contextlib.contextmanager
def animation(*, seconds: float, title: str):
    """Yields the ``watch`` callback of ``actlab.lab.train.train``: the frame of
    step s is due s / steps of ``seconds`` after the first one, so the run lasts
    about ``seconds`` unless training itself is slower. A frame that comes
    late, soon after the last drawing, is skipped (drawing costs more than a
    chunk of training); the last one is always drawn."""
    screen = terminal.stdout()
    gap = max(seconds / FRAMES, MIN_GAP)
    with terminal.live(screen) as board:
        first, drawn = None, -math.inf

        def watch(frame):
            nonlocal first, drawn
            now = time.perf_counter()
            if first is None:
                first = (now, frame.step)
            start, step0 = first
            wait = start + seconds * (frame.step - step0) / max(frame.steps - step0, 1) - now
            if wait > 0:
                time.sleep(wait)
            elif now - drawn < gap and frame.step < frame.steps:
                return
            board.draw(frame_parts(frame, screen, title=title))
            drawn = time.perf_counter()

        yield watch


def frame_parts(frame, screen, *, title: str) -> list:
    """What one frame shows, sized to the screen: a header line, the loss chart
    and the picture (side by side when wide enough), the layers table."""
    width, height = screen.width, screen.height
    h = frame.history
    header = join(paint(title, "bold"), f"   step {frame.step} of {frame.steps}",
                  f"   loss {fmt(h.loss[-1], 4)}" if len(h.loss) else "")
    hidden = frame.layers.dead.shape[1]
    table = None
    if hidden and len(frame.layers.step):
        k = len(frame.layers.step) - 1
        table = layer_view.table(frame.layers, [k], caption=False,
                                 title=f"hidden layers at step {int(frame.layers.step[k])}")
    room = height - 2 - (hidden + 4 if table is not None else 0)  # lines for the chart and the picture
    picture = frame.regions is not None or frame.curve is not None
    side = picture and width >= SIDE_BY_SIDE
    chart_w = (width - 2) // 2 if side else width
    chart_h = room if side or not picture else max(8, room * 2 // 5)
    parts = [header]
    if chart_h >= 8:  # a title and a legend around at least 6 lines of chart
        series, options = loss_chart(frame)
        parts.append(terminal.Chart(series, width=chart_w, height=min(chart_h, 22) - 2, xlim=(0, frame.steps),
                                    **options))
    picture_h = room if side else room - chart_h
    if picture and picture_h >= 8:
        drawn = _picture(frame, screen, width=width - chart_w - 2 if side else width,
                         height=min(picture_h, 24))
        parts = [header, terminal.beside(parts[1], drawn)] if side and len(parts) > 1 else parts + [drawn]
    if table is not None:
        parts.append(table)
    return parts


def _picture(frame, screen, *, width: int, height: int):
    if frame.regions is not None:
        legend = ("regions: predicted class; ● train, ○ test points" if screen.color
                  else "regions: predicted class; digits: true class")
        return join(decision_regions(frame, screen, width=min(width, 72), height=height - 1,
                                     legend=False), "\n", legend)
    x_tr, y_tr, _, _ = frame.points
    return terminal.Chart([("network", frame.curve.x, frame.curve.y)],
                          scatter=[("training data", x_tr[:, 0], y_tr[:, 0])],
                          title=f"{frame.dataset}: data and the fitted function", xlabel="x", ylabel="y",
                          width=width, height=height - 2)
