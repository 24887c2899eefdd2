"""Optimization history and learning curves, drawn with plotext.

Both plots cope with what a live experiment produces: no data yet, a single
point, a flat series and NaN or infinite values (left out, never raised on).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from textual_plotext import PlotextPlot

_FAINT = "gray"


def finite_points(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points whose x and y are both finite numbers."""
    return [(x, y) for x, y in points if math.isfinite(x) and math.isfinite(y)]


def padded_limits(values: Sequence[float]) -> tuple[float, float]:
    """Y limits around ``values`` that stay apart for a flat series or one point."""
    low, high = min(values), max(values)
    if high - low < 1e-12:
        pad = abs(low) * 0.05 or 1.0
        return low - pad, high + pad
    pad = (high - low) * 0.05
    return low - pad, high + pad


def thin_points(
    points: Sequence[tuple[float, float]], bins: int
) -> list[tuple[float, float]]:
    """At most two points per x bin (its lowest and highest), in x order.

    A terminal plot has a few hundred dot columns; drawing 10,000 points costs
    plotext far more than drawing the extremes of each column, which look the
    same, outliers included.
    """
    if len(points) <= 2 * bins:
        return list(points)
    low_x, high_x = points[0][0], points[-1][0]
    span = (high_x - low_x) or 1.0
    kept: dict[int, tuple[tuple[float, float], tuple[float, float]]] = {}
    for point in points:
        index = min(bins - 1, int((point[0] - low_x) / span * bins))
        if index not in kept:
            kept[index] = (point, point)
            continue
        lowest, highest = kept[index]
        kept[index] = (
            point if point[1] < lowest[1] else lowest,
            point if point[1] > highest[1] else highest,
        )
    thinned = {p for pair in kept.values() for p in pair}
    return sorted(thinned)


def step_corners(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The corners of a step line: where its value changes, and both ends.

    A best-so-far line over 10,000 trials changes a few dozen times; drawing its
    corners draws the same steps with a fraction of the points.
    """
    corners: list[tuple[float, float]] = []
    for index, point in enumerate(points):
        if index and point[1] != points[index - 1][1]:
            if corners[-1] != points[index - 1]:
                corners.append(points[index - 1])
            corners.append(point)
        elif not index:
            corners.append(point)
    if points and corners[-1] != points[-1]:
        corners.append(points[-1])
    return corners


class _Plot(PlotextPlot):
    """A plot that shows ``no data yet`` instead of an empty frame."""

    def start(self, title: str) -> None:
        self.plt.clear_data()
        self.plt.clear_figure()
        self.plt.title(title)

    def no_data(self) -> None:
        self.plt.text("no data yet", x=0.5, y=0.5, alignment="center")
        self.plt.xlim(0, 1)
        self.plt.ylim(0, 1)
        self.refresh()


class HistoryPlot(_Plot):
    """Each finished trial's value by trial id, with the best-so-far line."""

    def show(
        self,
        values: Sequence[tuple[float, float]],
        best: Sequence[tuple[float, float]],
        metric: str,
    ) -> None:
        """Draw ``values`` and ``best``, both as (trial id, value) pairs."""
        self.start(f"{metric} per trial")
        points = finite_points(values)
        if not points:
            self.no_data()
            return
        bins = max(20, self.size.width * 2)
        xs, ys = zip(*thin_points(points, bins), strict=True)
        self.plt.scatter(list(xs), list(ys), marker="dot", label="trial")
        best_points = step_corners(finite_points(best))
        if best_points:
            bx, by = zip(*best_points, strict=True)
            self.plt.plot(list(bx), list(by), label="best so far")
        self.plt.ylim(*padded_limits(ys))
        self.plt.xlabel("trial")
        self.refresh()


class CurvesPlot(_Plot):
    """The objective per step for one trial, over the other trials drawn faint."""

    max_others = 15
    """How many other trials to draw behind the selected one; more turn to noise."""

    def show(
        self,
        curves: dict[int, list[tuple[int, float]]],
        selected: int | None,
        metric: str,
    ) -> None:
        """Draw the curves, the ``selected`` trial's on top."""
        title = f"{metric} per step" + (f", trial {selected}" if selected else "")
        self.start(title)
        drawn: list[float] = []
        others = [tid for tid in curves if tid != selected][-self.max_others :]
        for trial_id in others:
            drawn += self._line(curves[trial_id], color=_FAINT)
        if selected is not None and selected in curves:
            drawn += self._line(curves[selected], color="cyan", label=f"#{selected}")
        if not drawn:
            self.no_data()
            return
        self.plt.ylim(*padded_limits(drawn))
        self.plt.xlabel("step")
        self.refresh()

    def _line(
        self, curve: list[tuple[int, float]], color: str, label: str | None = None
    ) -> list[float]:
        points = finite_points(curve)
        if not points:
            return []
        xs, ys = zip(*points, strict=True)
        if len(points) == 1:
            self.plt.scatter(list(xs), list(ys), color=color, label=label)
        else:
            self.plt.plot(list(xs), list(ys), color=color, label=label)
        return list(ys)
