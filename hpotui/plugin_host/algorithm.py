"""A plugin as an :class:`Algorithm`: the engine asks, the plugin process answers.

Unlike the built-in algorithms this one does I/O (it drives a child process), so
it lives outside ``hpotui.algorithms``. Every way a plugin can misbehave becomes a
:class:`PluginError`, which ends the experiment FAILED with its message as reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hpotui.algorithms.base import Algorithm, Observation, Suggestion
from hpotui.errors import ExperimentFileError, PluginError
from hpotui.plugin_host import wmla_form
from hpotui.plugin_host.installed import InstalledPlugin
from hpotui.plugin_host.process import DEFAULT_TIMEOUT, PluginProcess
from hpotui.space import SearchSpace

logger = logging.getLogger(__name__)

TIMEOUT_OPTION = "plugin_timeout"
"""Algorithm option: seconds each plugin call may take. Not passed to the plugin."""


class PluginAlgorithm(Algorithm):
    """Runs an installed plugin in its own process.

    Args:
        space: The search space.
        plugin: The installed plugin.
        seed: Reaches the plugin as the ``random_seed`` option.
        options: Algorithm options; each reaches the plugin as a string keyword
            argument, except ``plugin_timeout``.
        max_parallel: How many trials run at once.
        goal: ``minimize`` or ``maximize``, so ``metricVal`` keeps the metric's sign.
        log_path: Where the plugin's output and tracebacks go.
    """

    name = "plugin"

    def __init__(
        self,
        space: SearchSpace,
        *,
        plugin: InstalledPlugin,
        seed: int | None = None,
        options: dict[str, Any] | None = None,
        max_parallel: int = 1,
        goal: str = "minimize",
        log_path: Path | None = None,
    ) -> None:
        super().__init__(space, seed=seed, options=options, max_parallel=max_parallel)
        self.plugin = plugin
        self.goal = goal
        plugin_options = dict(self.options)
        timeout = _timeout(plugin_options.pop(TIMEOUT_OPTION, DEFAULT_TIMEOUT))
        self.kwargs = wmla_form.algorithm_kwargs(plugin_options, seed)
        self.log_path = log_path or Path(plugin.path).parent / "plugin.log"
        env = {"HPOTUI_PLUGIN_LOG_LEVEL": plugin.log_level or "INFO"}
        self._process = PluginProcess(
            Path(plugin.path),
            self.log_path,
            python=plugin.python,
            timeout=timeout,
            env=env,
        )
        self._started = False
        self._reported: set[int] = set()
        self._exhausted = False

    def suggest(
        self, n: int, history: Sequence[Observation], running: Sequence[Suggestion]
    ) -> list[Suggestion]:
        """Ask the plugin for up to ``n`` configurations.

        This blocks until the plugin answers (at most ``plugin_timeout`` seconds),
        so an asyncio caller should run it in a worker thread.

        Raises:
            PluginError: The plugin failed; the experiment should end FAILED.
        """
        if self._exhausted:
            return []
        self._ensure_started()
        ended = [obs for obs in history if obs.trial_id not in self._reported]
        results = [wmla_form.exp_result(obs, self.goal) for obs in ended]
        raw = self._process.call("search", number_samples=n, last_exp_results=results)
        self._reported.update(obs.trial_id for obs in ended)
        suggestions = self._checked(raw, n)
        if not suggestions:
            logger.info("plugin %s has no more suggestions", self.plugin.name)
            self._exhausted = True
        return suggestions

    def exhausted_reason(self, configurations: int) -> str:
        """Says that the plugin ended the search by returning an empty list."""
        name = self.plugin.name
        if configurations == 0:
            return f"plugin {name} returned no configurations"
        return f"plugin {name} returned no more configurations after {configurations}"

    def get_state(self) -> dict[str, Any]:
        """The plugin's own ``get_state`` plus which trials it has been told of."""
        plugin_state = self._process.call("get_state") if self._started else None
        return {
            "plugin": plugin_state,
            "reported": sorted(self._reported),
            "exhausted": self._exhausted,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore a saved state; the plugin's ``set_state`` gets what it saved."""
        self._reported = set(state.get("reported", []))
        self._exhausted = bool(state.get("exhausted", False))
        if state.get("plugin") is not None:
            self._ensure_started()
            self._process.call("set_state", state=state["plugin"])

    def close(self) -> None:
        """Stop the plugin process."""
        self._process.close()

    def _ensure_started(self) -> None:
        if self._started:
            return
        self._started = True
        self._process.call(
            "init",
            name=self.plugin.name,
            hyper_parameters=wmla_form.hyper_parameters(self.space),
            kwargs=self.kwargs,
        )

    def _checked(self, raw: Any, n: int) -> list[Suggestion]:
        if not isinstance(raw, list):
            raise PluginError(
                f"plugin search() returned {type(raw).__name__}; it must return a "
                "list of dicts (an empty list ends the search)",
                str(self.log_path),
            )
        if len(raw) > n:
            # WML-A plugins are asked for number_samples and may ignore it; running
            # more than asked would break max_jobs and max_parallel_jobs.
            logger.warning(
                "plugin %s returned %d suggestions for %d asked; keeping the first %d",
                self.plugin.name,
                len(raw),
                n,
                n,
            )
            raw = raw[:n]
        return [Suggestion(self._checked_config(i, item)) for i, item in enumerate(raw)]

    def _checked_config(self, index: int, item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise PluginError(
                f"plugin search() returned {type(item).__name__} as suggestion "
                f"{index}; each suggestion must be a dict of hyperparameter name to "
                "value",
                str(self.log_path),
            )
        config = wmla_form.coerce(self.space, item)
        problems = self.space.problems_with(config)
        if problems:
            raise PluginError(
                "plugin search() suggested a configuration outside the search "
                f"space: {'; '.join(problems)}",
                str(self.log_path),
            )
        return {name: config[name] for name in self.space.names}


def _timeout(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not seconds > 0:
        raise ExperimentFileError(
            f"algorithm.options.{TIMEOUT_OPTION}: {value!r} is not a positive number "
            "of seconds; give e.g. 60"
        )
    return seconds
