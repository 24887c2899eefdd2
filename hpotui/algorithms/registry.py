"""Algorithms by name, as experiment files and WML-A requests spell them."""

from __future__ import annotations

from typing import Any

from hpotui.algorithms.base import Algorithm
from hpotui.errors import ExperimentFileError
from hpotui.space import SearchSpace

_ALGORITHMS: dict[str, type[Algorithm]] = {}


def register(cls: type[Algorithm]) -> type[Algorithm]:
    """Class decorator: make ``cls`` available under ``cls.name`` (any letter case)."""
    _ALGORITHMS[cls.name.lower()] = cls
    return cls


def builtin_names() -> list[str]:
    _load_builtins()
    return [cls.name for cls in _ALGORITHMS.values()]


def create_algorithm(
    name: str,
    space: SearchSpace,
    *,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
    max_parallel: int = 1,
) -> Algorithm:
    """A new algorithm of the given name.

    Raises:
        ExperimentFileError: No algorithm has that name.
    """
    _load_builtins()
    cls = _ALGORITHMS.get(name.lower())
    if cls is None:
        known = ", ".join(builtin_names())
        raise ExperimentFileError(
            f"algorithm.name: unknown algorithm {name!r}; use one of {known}"
        )
    return cls(space, seed=seed, options=options, max_parallel=max_parallel)


def _load_builtins() -> None:
    # Imported here so that each module registers itself on first use, and a
    # module with heavy imports costs nothing until it is asked for.
    from hpotui.algorithms import explicit, grid, random  # noqa: F401
    from hpotui.algorithms.gp import sampler as gp_sampler  # noqa: F401
    from hpotui.algorithms.hyperband import asha, bohb, synchronous  # noqa: F401
    from hpotui.algorithms.tpe import sampler as tpe_sampler  # noqa: F401
