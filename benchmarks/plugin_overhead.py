"""What running a search algorithm as a plugin costs, against the built-in Random.

Run: ``python benchmarks/plugin_overhead.py``. Prints the plugin's start-up time
and the time per ``suggest`` call for the sample random plugin and the built-in
Random, and their ratio, on this machine.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from hpotui.algorithms import Algorithm, Observation, create_algorithm
from hpotui.plugin_host.installed import PluginRegistry
from hpotui.space import ChoiceParam, RangeParam, SearchSpace
from hpotui.states import TrialState

SAMPLES = Path(__file__).resolve().parents[1] / "sample_experiments" / "plugins"
SPACE = SearchSpace(
    (
        RangeParam("lr", "double", 1e-5, 1e-1, log=True),
        RangeParam("layers", "int", 1, 8),
        RangeParam("dropout", "double", 0.0, 0.5, step=0.05),
        ChoiceParam("opt", ("adam", "sgd", "rmsprop")),
    )
)
ROUNDS = 200
BATCH = 4


def _per_call(algorithm: Algorithm) -> list[float]:
    history: list[Observation] = []
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        batch = algorithm.suggest(BATCH, history, [])
        times.append(time.perf_counter() - started)
        history += [
            Observation(len(history) + i, s.params, TrialState.FINISHED, 1.0)
            for i, s in enumerate(batch)
        ]
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        plugins = Path(folder) / "plugins"
        PluginRegistry(plugins).install(SAMPLES / "random", "bench-random")
        plugin = create_algorithm("bench-random", SPACE, seed=1, plugins_dir=plugins)
        started = time.perf_counter()
        plugin.suggest(1, [], [])
        startup = time.perf_counter() - started
        plugin_times = _per_call(plugin)
        plugin.close()
    builtin_times = _per_call(create_algorithm("Random", SPACE, seed=1))

    plugin_ms = statistics.median(plugin_times) * 1e3
    builtin_ms = statistics.median(builtin_times) * 1e3
    print(f"plugin start-up (spawn, import, first call): {startup * 1e3:.0f} ms")
    print(f"suggest({BATCH}) median over {ROUNDS} calls:")
    print(f"  sample random plugin  {plugin_ms:.3f} ms")
    print(f"  built-in Random       {builtin_ms:.3f} ms")
    print(f"  ratio plugin/built-in {plugin_ms / builtin_ms:.1f}x")


if __name__ == "__main__":
    main()
