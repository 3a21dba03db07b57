"""What `actlab train --find-lr` shows: the loss against the learning rate,
the suggested rate and the command that trains at it (or the JSON object).

Reads only ``actlab.lab.lrfind.LrFinder``.
"""

from __future__ import annotations

from actlab.render import terminal
from actlab.render.terminal import fmt, paint, sci


def to_json(found, command: str) -> dict:
    return {"lrs": found.lrs, "losses": found.losses, "smoothed": found.smoothed,
            "suggested_lr": found.suggested_lr, "blow_up_lr": _blow_up(found),
            "lowest_loss_lr": float(found.lrs[found.lowest]), "fall": found.fall, "weak": found.weak,
            "command": command}


def _blow_up(found) -> float | None:
    return float(found.lrs[found.stop]) if found.stop < len(found.lrs) else None


def show(found, *, command: str, title: str, as_json: bool = False) -> None:
    if as_json:
        terminal.print_json(to_json(found, command))
        return
    screen = terminal.stdout()
    screen.chart([("loss after a step", found.lrs, found.losses)], vlines=[found.suggested_lr], title=title,
                 xlabel="learning rate, log scale", ylabel="training loss, log scale", xlog=True, ylog=True,
                 height=18)
    blow_up = _blow_up(found)
    screen.line(f"The loss falls fastest at lr {fmt(found.suggested_lr, 2)} (the vertical line); it is lowest at "
                f"lr {fmt(found.lrs[found.lowest], 2)} and "
                + (f"blows up from lr {fmt(blow_up, 2)} (4 times its lowest)." if blow_up is not None
                   else "never blows up in this range."))
    if found.weak:
        screen.line(paint("Weak:", "warn"), f" the loss fell only {100 * found.fall:.0f}% over the test, so "
                    "these rates barely trained the network and the suggestion says little; a longer "
                    "test (more --steps) shows more.")
    screen.line(paint("Suggested learning rate:", "bold"), f" {fmt(found.suggested_lr, 2)}")
    screen.command(command, lead="Train at it:")
    screen.note(f"Smith 2015, learning-rate range test: one run of {len(found.lrs) + 1} steps, the rate "
                f"growing by a factor {found.lrs[1] / found.lrs[0]:.3g} a step from {sci(found.lrs[0])}; "
                "the loss after each step, and where its running mean over a centred window falls fastest.")
