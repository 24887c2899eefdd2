"""The base class of a search plugin, as WML-A plugins import it.

A plugin's ``optimizer.py`` defines ``PluginOptimizer(BasePluginOptimizer)`` and
overrides :meth:`BasePluginOptimizer.search`; ``get_state`` and ``set_state`` are
optional.
"""

from __future__ import annotations

from typing import Any


class BasePluginOptimizer:
    """What every plugin optimizer inherits.

    Args:
        name: The name the plugin was installed under.
        hyper_parameters: The search space in WML-A request form: one dict per
            hyperparameter with ``name``, ``type`` (Range or Discrete), ``dataType``
            (DOUBLE, INT or STR) and its bounds or values.
        **kwargs: The algorithm options, every value a string.
    """

    def __init__(
        self, name: str, hyper_parameters: list[dict[str, Any]], **kwargs: str
    ) -> None:
        self.name = name
        self.hyper_parameters = hyper_parameters
        self.kwargs = kwargs

    def search(
        self, number_samples: int, last_exp_results: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Up to ``number_samples`` configurations; an empty list ends the search.

        Args:
            number_samples: How many trials the engine can start now.
            last_exp_results: The trials that ended since the previous call, each
                ``{"id", "hyperParams", "metricVal", "state"}``.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must override search(number_samples, "
            "last_exp_results)"
        )

    def get_state(self) -> dict[str, Any]:
        """State to keep so a resumed experiment continues the plugin where it was."""
        return {}

    def set_state(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`get_state` returned."""
