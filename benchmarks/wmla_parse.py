"""Benchmark: reading a WML-A task with 10,000 experiments into hpotui's records.

Prints the time to decode and map a task (aim: under 100 ms), the mapping alone,
the time of a poll of an unchanged task through the event diff (which must emit
nothing), and each as a ratio to plain ``json.loads`` of the same body on this
machine.

Run: ``python benchmarks/wmla_parse.py [--baseline OLD_PARSE_PY]``; with an older
copy of ``hpotui/backends/wmla/parse.py`` (``git show REV:hpotui/backends/wmla/parse.py
> parse_before.py``) it also prints the speed-up over it, timed interleaved.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from types import ModuleType

from hpotui.backends.wmla.monitor import TaskDiff
from hpotui.backends.wmla.parse import (
    TaskFacts,
    _parse_time,
    collection_paused,
    task_from_json,
)

EXPERIMENTS = 10_000
REPEATS = 5


def _stamp(seconds: int) -> str:
    """Distinct times, so that no cache makes the figure look better than it is."""
    moment = datetime(2020, 2, 18, 21, 6, 43) + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _task(count: int) -> dict:
    experiments = [
        {
            "id": i,
            "hyperParams": [
                {"name": "learning_rate", "dataType": "double",
                 "userDefined": False, "fixedVal": repr(0.001 + i * 1e-6)},
                {"name": "max_depth", "dataType": "int",
                 "userDefined": False, "fixedVal": str(1 + i % 14)},
                {"name": "optimizer", "dataType": "str",
                 "userDefined": False, "fixedVal": "Adam"},
            ],
            "state": "FAILED" if i % 50 == 0 else "FINISHED",
            "metricVal": 9999.99 if i % 50 == 0 else 1.0 / (i + 1),
            "maxiteration": 0,
            "appId": f"Admin-3307365790101967-{1000000 + i}",
            "startTime": _stamp(i * 7),
            "endTime": _stamp(i * 7 + 71),
        }
        for i in range(count)
    ]
    return {
        "hpoName": "Admin-hpo-3307276564102937", "state": "RUNNING",
        "running": 0, "complete": count, "failed": count // 50,
        "progress": f"{count}/{count * 2}", "createtime": "2020-02-18 21:06:41",
        "creator": "Admin", "duration": "01:00:00", "experiments": experiments,
    }


def _best_of(action: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def _load_baseline(path: str) -> ModuleType:
    """An older copy of hpotui/backends/wmla/parse.py, to compare on this machine."""
    spec = importlib.util.spec_from_file_location("wmla_parse_baseline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _decode_and_map(text: str, facts: TaskFacts) -> tuple:
    """What one poll costs in the client: WmlaHttp.json decodes with collection
    paused, then the backend maps the task."""
    _parse_time.cache_clear()
    with collection_paused():
        body = json.loads(text)
    return task_from_json(body, facts)


def _baseline_figures(path: str, text: str, facts: TaskFacts) -> None:
    old = _load_baseline(path)
    old_facts = old.TaskFacts(goal="minimize", metric="loss")

    def before() -> object:
        old._parse_time.cache_clear()
        return old.task_from_json(json.loads(text), old_facts)

    # Interleaved, so that load from other processes hits both alike.
    pairs = [(_best_of(before), _best_of(lambda: _decode_and_map(text, facts)))
             for _ in range(3)]  # fmt: skip
    then, now = min(p[0] for p in pairs), min(p[1] for p in pairs)
    print(f"baseline {path}: decode + map {then * 1000:8.1f} ms; now "
          f"{now * 1000:.1f} ms ({then / now:.2f}x faster)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", help="an older parse.py to compare against")
    args = parser.parse_args()
    text = json.dumps(_task(EXPERIMENTS))
    facts = TaskFacts(goal="minimize", metric="loss")
    decode = _best_of(lambda: json.loads(text))
    task = json.loads(text)
    mapping = _best_of(lambda: (_parse_time.cache_clear(), task_from_json(task, facts)))
    both = _best_of(lambda: _decode_and_map(text, facts))
    summary, trials = task_from_json(task, facts)
    diff = TaskDiff(summary.name)
    first = diff.update(summary, trials)
    steady = _best_of(lambda: diff.update(*_decode_and_map(text, facts)))
    assert diff.update(*_decode_and_map(text, facts)) == []
    print(f"task with {EXPERIMENTS} experiments, {len(text) / 1e6:.1f} MB of JSON")
    print(f"json.loads (reference)       {decode * 1000:8.1f} ms")
    print(f"decode + map to records      {both * 1000:8.1f} ms"
          f"  ({both / decode:.1f}x reference; aim < 100 ms)")
    print(f"map alone (decoded before)   {mapping * 1000:8.1f} ms"
          f"  ({mapping / decode:.1f}x reference)")
    print(f"steady poll: decode+map+diff {steady * 1000:8.1f} ms"
          f"  ({steady / decode:.1f}x reference); events: first {len(first)}, "
          "then 0")
    if args.baseline:
        _baseline_figures(args.baseline, text, facts)


if __name__ == "__main__":
    main()
