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
    """Returns ' (did you mean X?)' for the closest choice, or ''."""
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown(kind: str, value: str, choices: Iterable[str]) -> ActlabError:
    """An ``ActlabError`` for an unknown name, listing what is allowed."""
    choices = sorted(choices)
    return ActlabError(
        f"unknown {kind} {value!r}{did_you_mean(value, choices)}; "
        f"choose from: {', '.join(choices)}"
    )
