"""Durations as shown (``1m 01s``) and as written in experiment files (``1h30m``)."""

from __future__ import annotations

import pytest

from hpotui.durations import compact_duration, format_duration, parse_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (59, "59s"),
        (59.99, "59s"),
        (60, "1m 00s"),
        (61, "1m 01s"),
        (3599, "59m 59s"),
        (3600, "1h 00m 00s"),
        (3661, "1h 01m 01s"),
        (86400, "1d 00h 00m 00s"),
        (90061, "1d 01h 01m 01s"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_negative_duration_shows_zero_and_can_name_the_skew() -> None:
    assert format_duration(-5) == "0s"
    assert format_duration(-65, note_skew=True) == "0s (clock skew 1m 05s)"
    assert format_duration(float("nan")) == "0s"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("20m", 1200.0),
        ("1h30m", 5400.0),
        ("1h 30m", 5400.0),
        ("90s", 90.0),
        ("2.5h", 9000.0),
        ("1d 2h", 93600.0),
        ("1m 01s", 61.0),
        ("01:30:00", 5400.0),
        ("1H", 3600.0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "20", "20 minutes", "1x", "m20", "1:2:3"])
def test_parse_duration_rejects_other_text(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration; write it like 90s, 20m"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1200, "20m"), (5400, "1h30m"), (45, "45s"), (90061, "1d1h1m1s")],
)
def test_compact_duration_reads_back(seconds: float, text: str) -> None:
    assert compact_duration(seconds) == text
    assert parse_duration(text) == seconds
