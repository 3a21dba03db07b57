"""The one error type for bad input, and the "did you mean" helper.

Core modules raise ``ActlabError`` (a ``ValueError``) for input a user got
wrong; the CLI turns it into a one-line message and exit code 2. Anything else
that escapes is a bug and exits 1.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ActlabError(ValueError):
    """Bad input: the message names the bad value and what is allowed."""


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """Returns ' (did you mean X?)' for the closest choice, or ''.

    Closest by edit distance with transpositions (a typo such as "adma" is one
    step from "adam", two from "adamax"), ties broken by difflib's similarity.
    """
    choices = list(choices)
    close = difflib.get_close_matches(value, choices, n=len(choices), cutoff=0.5)
    if not close:
        return ""
    best = min(close, key=lambda c: (_edit_distance(value.lower(), c.lower()), close.index(c)))
    return f" (did you mean {best!r}?)"


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions
    and swaps of neighbours each cost 1."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def unknown(kind: str, value: str, choices: Iterable[str]) -> ActlabError:
    """An ``ActlabError`` for an unknown name, listing what is allowed."""
    choices = sorted(choices)
    return ActlabError(
        f"unknown {kind} {value!r}{did_you_mean(value, choices)}; "
        f"choose from: {', '.join(choices)}"
    )
