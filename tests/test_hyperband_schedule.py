"""Hyperband's bracket arithmetic, pinned for every schedule the docs promise."""

from __future__ import annotations

import pytest

from hpotui.algorithms.hyperband import parse_settings, plan
from hpotui.errors import ExperimentFileError


def _schedule(max_resource, eta, **resource):
    settings = parse_settings(
        {"eta": eta, "resource": {"name": "epochs", "max": max_resource, **resource}}
    )
    return [
        (b.s, [rung.n for rung in b.rungs], [rung.r for rung in b.rungs])
        for b in plan(settings)
    ]


def test_r81_eta3_matches_the_paper_table() -> None:
    assert _schedule(81, 3) == [
        (4, [81, 27, 9, 3, 1], [1, 3, 9, 27, 81]),
        (3, [34, 11, 3, 1], [3, 9, 27, 81]),
        (2, [15, 5, 1], [9, 27, 81]),
        (1, [8, 2], [27, 81]),
        (0, [5], [81]),
    ]


def test_r243_eta3_has_six_brackets() -> None:
    """log(243)/log(3) is 4.999... in floating point; exact arithmetic keeps s=5."""
    assert _schedule(243, 3) == [
        (5, [243, 81, 27, 9, 3, 1], [1, 3, 9, 27, 81, 243]),
        (4, [98, 32, 10, 3, 1], [3, 9, 27, 81, 243]),
        (3, [41, 13, 4, 1], [9, 27, 81, 243]),
        (2, [18, 6, 2], [27, 81, 243]),
        (1, [9, 3], [81, 243]),
        (0, [6], [243]),
    ]


def test_r1000_eta10_has_four_brackets() -> None:
    assert _schedule(1000, 10) == [
        (3, [1000, 100, 10, 1], [1, 10, 100, 1000]),
        (2, [134, 13, 1], [10, 100, 1000]),
        (1, [20, 2], [100, 1000]),
        (0, [4], [1000]),
    ]


def test_r64_eta2_has_seven_brackets() -> None:
    assert _schedule(64, 2) == [
        (6, [64, 32, 16, 8, 4, 2, 1], [1, 2, 4, 8, 16, 32, 64]),
        (5, [38, 19, 9, 4, 2, 1], [2, 4, 8, 16, 32, 64]),
        (4, [23, 11, 5, 2, 1], [4, 8, 16, 32, 64]),
        (3, [14, 7, 3, 1], [8, 16, 32, 64]),
        (2, [10, 5, 2], [16, 32, 64]),
        (1, [7, 3], [32, 64]),
        (0, [7], [64]),
    ]


def test_r64_eta4_has_four_brackets() -> None:
    assert _schedule(64, 4) == [
        (3, [64, 16, 4, 1], [1, 4, 16, 64]),
        (2, [22, 5, 1], [4, 16, 64]),
        (1, [8, 2], [16, 64]),
        (0, [4], [64]),
    ]


def test_r100_eta3_rounds_resources_down_and_ends_at_exactly_r() -> None:
    schedule = _schedule(100, 3)
    assert [rs for _, _, rs in schedule] == [
        [1, 3, 11, 33, 100],
        [3, 11, 33, 100],
        [11, 33, 100],
        [33, 100],
        [100],
    ]
    assert [ns for _, ns, _ in schedule] == [
        [81, 27, 9, 3, 1],
        [34, 11, 3, 1],
        [15, 5, 1],
        [8, 2],
        [5],
    ]
    for _, _, resources in schedule:
        assert all(isinstance(r, int) for r in resources)
        assert resources == sorted(resources)


def test_min_resource_counts_brackets_from_the_ratio() -> None:
    assert _schedule(81, 3, min=9) == [
        (2, [9, 3, 1], [9, 27, 81]),
        (1, [5, 1], [27, 81]),
        (0, [3], [81]),
    ]


def test_fractional_resource_is_not_rounded() -> None:
    schedule = _schedule(1.0, 2, min=0.25)
    assert schedule[0] == (2, [4, 2, 1], [0.25, 0.5, 1.0])


def test_wmla_spelling_loads_to_the_same_settings() -> None:
    wmla = parse_settings(
        {"hyperbandEta": 3.0, "ResourceName": "epochs", "ResourceValue": "81"}
    )
    yaml_form = parse_settings(
        {"eta": 3, "resource": {"name": "epochs", "max": 81, "min": 1}}
    )
    assert wmla == yaml_form
    assert plan(wmla) == plan(yaml_form)
    assert plan(wmla)[0].rungs[0].r == 1 and isinstance(plan(wmla)[0].rungs[0].r, int)


def test_max_below_eta_warns_of_a_single_bracket() -> None:
    settings = parse_settings({"eta": 3, "resource": {"name": "epochs", "max": 2}})
    assert "reduces to one bracket" in settings.warnings[0]
    assert [(b.s, b.rungs[0].n, b.rungs[0].r) for b in plan(settings)] == [(0, 1, 2)]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"eta": 1, "resource": {"name": "epochs", "max": 81}}, "algorithm.eta"),
        ({"eta": 0.5, "resource": {"name": "epochs", "max": 81}}, "algorithm.eta"),
        ({"eta": "three", "resource": {"name": "e", "max": 81}}, "algorithm.eta"),
        ({"eta": 3}, "algorithm.resource.name"),
        ({"eta": 3, "resource": {"name": "epochs"}}, "algorithm.resource.max"),
        ({"eta": 3, "resource": {"name": "e", "max": 0}}, "algorithm.resource.max"),
        ({"eta": 3, "resource": {"name": "e", "max": -9}}, "algorithm.resource.max"),
        (
            {"eta": 3, "resource": {"name": "e", "max": 9, "min": 0}},
            "algorithm.resource.min",
        ),
        (
            {"eta": 3, "resource": {"name": "e", "max": 9, "min": 10}},
            "algorithm.resource.min",
        ),
    ],
)
def test_bad_settings_name_the_field(options, field) -> None:
    with pytest.raises(ExperimentFileError) as caught:
        parse_settings(options)
    assert caught.value.message.startswith(field + ":")
