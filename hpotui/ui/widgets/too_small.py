"""The notice shown instead of a screen when the terminal is too small to use."""

from __future__ import annotations

from textual.widgets import Static

MIN_WIDTH = 40
"""Below this many columns the dashboard shows only the too-small notice."""
MIN_HEIGHT = 10
"""Below this many lines the dashboard shows only the too-small notice."""


def too_small(width: int, height: int) -> bool:
    return width < MIN_WIDTH or height < MIN_HEIGHT


class TooSmallNotice(Static):
    """Says how big the terminal is and how big it needs to be."""

    def show(self, width: int, height: int) -> None:
        self.update(
            f"Terminal too small ({width}×{height}); "
            f"enlarge it to at least {MIN_WIDTH}×{MIN_HEIGHT}."
        )
