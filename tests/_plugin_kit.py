"""Shared by the plugin tests: write a plugin folder, install it, build it."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hpotui.algorithms import Algorithm, Observation, create_algorithm
from hpotui.plugin_host.installed import PluginRegistry
from hpotui.space import ChoiceParam, RangeParam, SearchSpace
from hpotui.states import TrialState

SPACE = SearchSpace(
    (
        RangeParam("lr", "double", 1e-4, 1e-1, log=True),
        RangeParam("layers", "int", 1, 4),
        ChoiceParam("opt", ("adam", "sgd")),
    )
)

SAMPLES = Path(__file__).resolve().parents[1] / "sample_experiments" / "plugins"


class PluginKit:
    """Installs plugins into a temporary workspace and closes what it builds."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.plugins_dir = root / "workspace" / "plugins"
        self.registry = PluginRegistry(self.plugins_dir)
        self._built: list[Algorithm] = []

    def install_source(self, name: str, source: str) -> Path:
        folder = self.root / "src" / name
        folder.mkdir(parents=True)
        (folder / "optimizer.py").write_text(textwrap.dedent(source))
        self.registry.install(folder, name)
        return folder

    def build(self, name: str, space: SearchSpace = SPACE, **kwargs: Any) -> Algorithm:
        kwargs.setdefault("plugin_log", self.root / f"{name}.log")
        algorithm = create_algorithm(
            name, space, plugins_dir=self.plugins_dir, **kwargs
        )
        self._built.append(algorithm)
        return algorithm

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text()

    def close(self) -> None:
        for algorithm in self._built:
            algorithm.close()


def open_kit(tmp_path: Path) -> Iterator[PluginKit]:
    """The body of each test module's ``kit`` fixture."""
    plugin_kit = PluginKit(tmp_path)
    yield plugin_kit
    plugin_kit.close()


def finished(
    suggestions: list[Any], start: int = 0, loss: float = 1.0
) -> list[Observation]:
    """The suggestions as trials that finished with ``loss``, ids from ``start``."""
    return [
        Observation(start + i, s.params, TrialState.FINISHED, loss)
        for i, s in enumerate(suggestions)
    ]
