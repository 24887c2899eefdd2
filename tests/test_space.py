"""The normalised search space: bounds, steps, types and the unit-cube round trip."""

from __future__ import annotations

import numpy as np
import pytest

from hpotui.space import ChoiceParam, RangeParam, SearchSpace


def test_stepped_values_never_carry_float_noise() -> None:
    param = RangeParam("x", "double", 0.1, 0.5, step=0.1)
    assert param.values() == [0.1, 0.2, 0.3, 0.4, 0.5]


def test_stepped_range_stops_at_the_last_step_below_max() -> None:
    param = RangeParam("x", "double", 0.001, 0.1, step=0.002)
    values = param.values()
    assert values[0] == 0.001
    assert values[-1] == 0.099
    assert len(values) == 50


def test_int_range_is_inclusive_and_yields_ints() -> None:
    param = RangeParam("depth", "int", 1, 14)
    assert param.values() == list(range(1, 15))
    assert param.decode(1.0) == 14
    assert type(param.decode(0.3)) is int


def test_int_log_range_stays_in_bounds() -> None:
    param = RangeParam("units", "int", 1, 1000, log=True)
    decoded = [param.decode(u) for u in np.linspace(0, 1, 101)]
    assert min(decoded) == 1
    assert max(decoded) == 1000
    assert all(type(v) is int for v in decoded)


def test_pinned_range_keeps_its_json_type() -> None:
    assert RangeParam("n", "int", 32, 32).decode(0.7) == 32
    assert type(RangeParam("n", "int", 32, 32).decode(0.7)) is int
    assert RangeParam("lr", "double", 0.1, 0.1).values() == [0.1]


def test_choices_keep_their_own_types() -> None:
    param = ChoiceParam("opt", ("adam", 1, None, True))
    assert [param.decode(u) for u in (0.1, 0.3, 0.6, 0.9)] == ["adam", 1, None, True]
    assert param.index_of(True) == 3
    assert param.index_of(1) == 1


@pytest.mark.parametrize("u", [0.0, 0.2, 0.5, 0.99, 1.0])
def test_encode_inverts_decode(u: float) -> None:
    space = SearchSpace(
        (
            RangeParam("lr", "double", 1e-4, 1e-1, log=True),
            RangeParam("units", "int", 16, 256, step=16),
            ChoiceParam("act", ("relu", "tanh")),
        )
    )
    config = space.decode([u, u, u])
    assert space.decode(space.encode(config)) == pytest.approx(config)


def test_space_size_and_grid_order() -> None:
    space = SearchSpace((ChoiceParam("a", (1, 2)), ChoiceParam("b", ("x", "y"))))
    assert space.size == 4
    assert list(space.grid()) == [
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 2, "b": "x"},
        {"a": 2, "b": "y"},
    ]


def test_problems_name_the_parameter_and_the_bound() -> None:
    space = SearchSpace((RangeParam("lr", "double", 0.0, 1.0),))
    assert space.problems_with({"lr": 2.0, "zz": 1}) == [
        "zz: not a parameter of this experiment",
        "lr: 2.0 is outside [0.0, 1.0]",
    ]
