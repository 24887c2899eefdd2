"""Plots draw whatever a live run produces: nothing, one point, flat lines, NaN."""

from __future__ import annotations

import math

import pytest
from textual.app import App, ComposeResult

from hpotui.ui.widgets.plots import CurvesPlot, HistoryPlot

NAN, INF = math.nan, math.inf


class _Plots(App[None]):
    def compose(self) -> ComposeResult:
        yield HistoryPlot()
        yield CurvesPlot()


def _text(plot: HistoryPlot | CurvesPlot) -> str:
    return "\n".join(line.text for line in plot.render_lines(plot.region.reset_offset))


@pytest.mark.parametrize(
    ("values", "shows_data"),
    [
        ([], False),
        ([(1, NAN), (2, INF)], False),
        ([(1, 0.5)], True),
        ([(1, 0.5), (2, 0.5), (3, 0.5)], True),
        ([(1, 0.5), (2, NAN), (3, 0.2)], True),
    ],
    ids=["empty", "only-nan", "one-point", "flat", "with-nan"],
)
async def test_history_plot_copes(
    values: list[tuple[float, float]], shows_data: bool
) -> None:
    app = _Plots()
    async with app.run_test(size=(80, 30)) as pilot:
        plot = app.query_one(HistoryPlot)
        plot.show(values, values, "loss")
        await pilot.pause()
        text = _text(plot)
        assert ("no data yet" in text) is not shows_data
        assert "loss per trial" in text


async def test_curves_plot_copes_with_every_shape() -> None:
    app = _Plots()
    async with app.run_test(size=(80, 30)) as pilot:
        plot = app.query_one(CurvesPlot)
        plot.show({}, None, "loss")
        await pilot.pause()
        assert "no data yet" in _text(plot)
        curves = {1: [(0, 1.0)], 2: [(0, 0.3), (1, 0.3)], 3: [(0, NAN), (1, 0.2)]}
        plot.show(curves, 1, "loss")
        await pilot.pause()
        text = _text(plot)
        assert "no data yet" not in text and "trial 1" in text
