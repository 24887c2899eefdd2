"""The search space in one normalised form, shared by every algorithm.

Algorithms work in the unit cube ``[0, 1]^d`` (one coordinate per parameter) and
convert back at the edge with :meth:`SearchSpace.decode`, so bounds, steps, log
scales and JSON types are right in one place.
"""

from hpotui.space.params import ChoiceParam, Param, RangeParam
from hpotui.space.search_space import SearchSpace

__all__ = ["ChoiceParam", "Param", "RangeParam", "SearchSpace"]
