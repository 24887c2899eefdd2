"""Algorithms by name, as experiment files and WML-A requests spell them."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpotui.algorithms.base import Algorithm
from hpotui.algorithms.options import Rule
from hpotui.errors import ExperimentFileError
from hpotui.space import SearchSpace

if TYPE_CHECKING:
    from hpotui.plugin_host.installed import InstalledPlugin, PluginRegistry

_ALGORITHMS: dict[str, type[Algorithm]] = {}


def register(cls: type[Algorithm]) -> type[Algorithm]:
    """Class decorator: make ``cls`` available under ``cls.name`` (any letter case)."""
    _ALGORITHMS[cls.name.lower()] = cls
    return cls


def builtin_names() -> list[str]:
    _load_builtins()
    return [cls.name for cls in _ALGORITHMS.values()]


def builtin_option_rules(name: str) -> Mapping[str, Rule] | None:
    """The option rules of the built-in ``name``; None for none, or for a plugin."""
    _load_builtins()
    cls = _ALGORITHMS.get(name.lower())
    return None if cls is None else cls.option_rules


def create_algorithm(
    name: str,
    space: SearchSpace,
    *,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
    max_parallel: int = 1,
    plugins_dir: Path | None = None,
    goal: str = "minimize",
    plugin_log: Path | None = None,
) -> Algorithm:
    """A new algorithm of the given name: a built-in, else an installed plugin.

    Args:
        name: A built-in name (any letter case) or the name a plugin was installed
            under.
        space: The search space.
        seed: Seed of the algorithm's random numbers.
        options: Algorithm settings from the experiment file.
        max_parallel: How many trials run at once.
        plugins_dir: Where plugins are installed (``<workspace>/plugins``); by
            default the plugins folder of the default workspace.
        goal: The objective's direction; plugins see metric values with it.
        plugin_log: File for a plugin's output and tracebacks; by default
            ``plugin.log`` beside the installed plugin.

    Raises:
        ExperimentFileError: No algorithm or plugin has that name.
    """
    _load_builtins()
    cls = _ALGORITHMS.get(name.lower())
    if cls is not None:
        return cls(space, seed=seed, options=options, max_parallel=max_parallel)
    plugin = _find_plugin(name, plugins_dir)
    if plugin is None:
        problem = unknown_algorithm(name, plugin_names(plugins_dir))
        raise ExperimentFileError(f"algorithm.name: {problem}")
    # Imported here: plugins run in a child process, which only they need.
    from hpotui.plugin_host.algorithm import PluginAlgorithm

    return PluginAlgorithm(
        space,
        plugin=plugin,
        seed=seed,
        options=options,
        max_parallel=max_parallel,
        goal=goal,
        log_path=plugin_log,
    )


def unknown_algorithm(name: str, plugins: Collection[str]) -> str:
    """Why ``name`` names no algorithm, with the closest built-in name if any.

    Shared by the experiment file's check and :func:`create_algorithm`, so that
    ``validate`` and ``run`` refuse a name alike.
    """
    builtins = builtin_names()
    close = difflib.get_close_matches(name, [*builtins, *plugins], n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}? " if close else ""
    return (
        f"unknown algorithm {name!r}; {hint}use one of {', '.join(builtins)} or an "
        f"installed plugin ({', '.join(plugins) or 'none installed'}; "
        "see hpotui algorithms list)"
    )


def is_known(name: str, plugins: Collection[str]) -> bool:
    """Whether ``name`` is a built-in or one of ``plugins``, ignoring letter case."""
    names = [*builtin_names(), *plugins]
    return name.lower() in {known.lower() for known in names}


def plugin_names(plugins_dir: Path | None = None) -> list[str]:
    """Names of the plugins installed in ``plugins_dir`` (default workspace if None)."""
    return [plugin.name for plugin in _plugin_registry(plugins_dir).installed()]


def _find_plugin(name: str, plugins_dir: Path | None) -> InstalledPlugin | None:
    return _plugin_registry(plugins_dir).get(name)


def _plugin_registry(plugins_dir: Path | None) -> PluginRegistry:
    from hpotui.plugin_host.installed import PluginRegistry
    from hpotui.workspace import plugins_dir as default_plugins_dir

    # Only looking: an unknown name must not create a workspace as a side effect.
    return PluginRegistry(plugins_dir or default_plugins_dir(create=False))


def _load_builtins() -> None:
    # Imported here so that each module registers itself on first use, and a
    # module with heavy imports costs nothing until it is asked for.
    from hpotui.algorithms import explicit, grid, random  # noqa: F401
    from hpotui.algorithms.gp import sampler as gp_sampler  # noqa: F401
    from hpotui.algorithms.hyperband import asha, bohb, synchronous  # noqa: F401
    from hpotui.algorithms.tpe import sampler as tpe_sampler  # noqa: F401
