"""Benchmark: reading a WML-A task with 10,000 experiments into hpotui's records.

Prints the time to map a decoded task (aim: under 100 ms), the time of a poll of
an unchanged task through the event diff (which must emit nothing), and both as
ratios to plain ``json.loads`` of the same body on this machine.

Run: ``python benchmarks/wmla_parse.py``
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from hpotui.backends.wmla.monitor import TaskDiff
from hpotui.backends.wmla.parse import TaskFacts, _parse_time, task_from_json

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


def main() -> None:
    text = json.dumps(_task(EXPERIMENTS))
    task = json.loads(text)
    facts = TaskFacts(goal="minimize", metric="loss")
    decode = _best_of(lambda: json.loads(text))
    mapping = _best_of(lambda: (_parse_time.cache_clear(), task_from_json(task, facts)))
    summary, trials = task_from_json(task, facts)
    diff = TaskDiff(summary.name)
    first = diff.update(summary, trials)
    steady = _best_of(lambda: diff.update(*task_from_json(task, facts)))
    assert diff.update(summary, trials) == []
    print(f"task with {EXPERIMENTS} experiments, {len(text) / 1e6:.1f} MB of JSON")
    print(f"json.loads (reference)       {decode * 1000:8.1f} ms")
    print(f"map to records               {mapping * 1000:8.1f} ms"
          f"  ({mapping / decode:.1f}x reference; aim < 100 ms)")
    print(f"steady poll: map + diff      {steady * 1000:8.1f} ms"
          f"  ({steady / decode:.1f}x reference); events: first {len(first)}, "
          "then 0")


if __name__ == "__main__":
    main()
