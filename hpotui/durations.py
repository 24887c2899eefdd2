"""Durations as people read and write them: ``59s``, ``1m 01s``, ``1h30m``.

Shown durations always give every unit below the largest one with two digits, so
columns of them line up: ``1h 00m 00s``. Written durations (experiment files) take
units in any combination: ``90s``, ``20m``, ``1h30m``, ``1d 2h``, or ``HH:MM:SS`` as
WML-A reports them.
"""

from __future__ import annotations

import math
import re

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])", re.IGNORECASE)
_WHOLE = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*[dhms]\s*)+$", re.IGNORECASE)
_CLOCK = re.compile(r"^\s*(\d+):([0-5]\d):([0-5]\d)\s*$")


def format_duration(seconds: float, *, note_skew: bool = False) -> str:
    """A duration for display, e.g. ``59s``, ``1m 01s``, ``1d 01h 01m 01s``.

    Args:
        seconds: The length; fractions are dropped. A negative length (an end
            before its start, from clocks that disagree) shows as ``0s``.
        note_skew: With a negative length, add how far the clocks disagree,
            e.g. ``0s (clock skew 3s)``, so the odd value is explained.

    Returns:
        The text, largest unit first.
    """
    if seconds < 0 or math.isnan(seconds):
        if note_skew and seconds < 0:
            return f"0s (clock skew {format_duration(-seconds)})"
        return "0s"
    remaining = int(seconds)
    parts: list[str] = []
    for unit, size in _UNITS:
        amount, remaining = divmod(remaining, size)
        if parts:
            parts.append(f"{amount:02d}{unit}")
        elif amount or unit == "s":
            parts.append(f"{amount}{unit}")
    return " ".join(parts)


def compact_duration(seconds: float) -> str:
    """A duration as an experiment file would spell it: ``1h30m``, ``20m``, ``45s``."""
    remaining = int(round(seconds))
    parts: list[str] = []
    for unit, size in _UNITS:
        amount, remaining = divmod(remaining, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0s"


def parse_duration(text: str) -> float:
    """The number of seconds in a written duration.

    Args:
        text: Units in any order of size, with or without spaces (``1h30m``,
            ``1h 30m``, ``90s``, ``2.5h``), or ``HH:MM:SS``.

    Returns:
        The length in seconds.

    Raises:
        ValueError: The text is not a duration; the message shows the accepted forms.
    """
    clock = _CLOCK.match(text)
    if clock:
        hours, minutes, secs = (int(group) for group in clock.groups())
        return float(hours * 3600 + minutes * 60 + secs)
    if not _WHOLE.match(text):
        raise ValueError(
            f"{text!r} is not a duration; write it like 90s, 20m, 1h30m, 1d or HH:MM:SS"
        )
    sizes = dict(_UNITS)
    return float(
        sum(float(amount) * sizes[unit.lower()] for amount, unit in _PART.findall(text))
    )
