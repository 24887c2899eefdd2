"""Search algorithms: one module each, all behind :class:`Algorithm`."""

from hpotui.algorithms.base import Algorithm, Observation, Suggestion
from hpotui.algorithms.registry import create_algorithm, register

__all__ = ["Algorithm", "Observation", "Suggestion", "create_algorithm", "register"]
