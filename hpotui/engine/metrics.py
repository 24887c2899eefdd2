"""Reading a trial's ``val_dict_list.json``, live while it runs and once at exit.

The file is a JSON list of objects, one per evaluation, as WML-A training scripts
write it. Rules, the same on every path:

- The step comes from ``step`` or ``steps``. A record with neither gets its
  1-based position in the list, matching the ``steps`` numbering of WML-A samples.
- Duplicate steps collapse to the last record written with that step; records are
  sorted by step.
- Numbers written as strings (``"0.25"``) are read as numbers, with one warning per
  file. Values that are neither (``"resnet"``, ``true``, lists) are not metrics and
  are left out.
- While the trial runs, a missing, empty or half-written file is "no data yet".
  At exit the file must exist, be JSON, hold at least one object, carry the
  objective key, and give it finite values; each breach is a :class:`MetricsError`
  whose message is the trial's failure reason.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hpotui.records import MetricRecord

logger = logging.getLogger(__name__)

METRICS_FILE = "val_dict_list.json"
STEP_KEYS = ("step", "steps")


class MetricsError(ValueError):
    """The metrics file breaks the contract; the message is a trial failure reason."""


@dataclass
class _Parsed:
    records: list[MetricRecord]
    string_numbers: list[str]


def parse_metrics(text: str, metric: str) -> list[MetricRecord]:
    """The records of a complete ``val_dict_list.json``, checked as at trial exit.

    Args:
        text: The file's content.
        metric: The objective key, which must be present with finite values.

    Returns:
        The records sorted by step, duplicate steps collapsed (last wins).

    Raises:
        MetricsError: The content breaks one of the module's rules.
    """
    parsed = _parse(text, metric)
    _check_objective(parsed.records, metric)
    return parsed.records


def _parse(text: str, metric: str) -> _Parsed:
    if not text.strip():
        raise MetricsError(f"{METRICS_FILE} is empty: no metric was recorded")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise MetricsError(
            f"{METRICS_FILE} is not valid JSON: {err.msg} "
            f"at line {err.lineno} column {err.colno}"
        ) from err
    if not isinstance(data, list):
        raise MetricsError(
            f"{METRICS_FILE} must hold a JSON list of objects, got {_json_type(data)}"
        )
    if not data:
        raise MetricsError(f"{METRICS_FILE} is an empty list: no metric was recorded")
    return _records_from_items(data, metric)


def _records_from_items(items: list[Any], metric: str) -> _Parsed:
    by_step: dict[int, MetricRecord] = {}
    string_numbers: list[str] = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise MetricsError(
                f"{METRICS_FILE} item {position} is not an object: {_short(item)}"
            )
        step = _step_of(item, position)
        values = _values_of(item, position, metric, string_numbers)
        by_step[step] = MetricRecord(step=step, values=values)
    records = [by_step[step] for step in sorted(by_step)]
    return _Parsed(records=records, string_numbers=string_numbers)


def _step_of(item: dict[str, Any], position: int) -> int:
    for key in STEP_KEYS:
        if key in item:
            return _as_step(item[key], key, position)
    return position


def _as_step(raw: Any, key: str, position: int) -> int:
    value = raw
    if isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, int | float):
        value = None
    if value is None or not math.isfinite(value) or value != int(value):
        raise MetricsError(
            f"{METRICS_FILE} item {position}: {key} {_short(raw)} is not an integer"
        )
    return int(value)


def _values_of(
    item: dict[str, Any], position: int, metric: str, string_numbers: list[str]
) -> dict[str, float]:
    values: dict[str, float] = {}
    for key, raw in item.items():
        if key in STEP_KEYS:
            continue
        number = _as_number(raw)
        if number is None:
            if key == metric:
                raise MetricsError(
                    f"{METRICS_FILE} item {position}: {metric} is {_short(raw)}, "
                    "not a number"
                )
            continue
        if isinstance(raw, str):
            string_numbers.append(f"{key}={raw!r}")
        values[key] = number
    return values


def _as_number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        try:
            return float(raw.strip())
        except ValueError:
            return None
    return None


def _check_objective(records: list[MetricRecord], metric: str) -> None:
    if not any(metric in record.values for record in records):
        keys = sorted({key for record in records for key in record.values})
        seen = ", ".join(keys) if keys else "none"
        raise MetricsError(
            f"objective {metric!r} missing from {METRICS_FILE}; keys seen: {seen}"
        )
    for record in records:
        value = record.values.get(metric)
        if value is not None and not math.isfinite(value):
            raise MetricsError(
                f"objective {metric!r} is {_finite_name(value)} at step {record.step}"
            )


def _finite_name(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _json_type(data: Any) -> str:
    names = {dict: "an object", str: "a string", bool: "a boolean"}
    if data is None:
        return "null"
    if isinstance(data, int | float) and not isinstance(data, bool):
        return "a number"
    return names.get(type(data), type(data).__name__)


def _short(raw: Any) -> str:
    text = json.dumps(raw) if _is_jsonable(raw) else repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_jsonable(raw: Any) -> bool:
    try:
        json.dumps(raw)
    except (TypeError, ValueError):
        return False
    return True


class MetricsReader:
    """Follows one trial's metrics file cheaply: it re-reads only when it changed.

    Not thread-safe; one reader per trial. Usable from asyncio code and from a
    plain worker process alike (it never blocks beyond one small file read).

    Args:
        path: The trial's ``val_dict_list.json``.
        metric: The objective key.
    """

    def __init__(self, path: Path, metric: str) -> None:
        self.path = path
        self.metric = metric
        self._signature: tuple[int, int] | None = None
        self._delivered: dict[int, MetricRecord] = {}
        self._warned = False

    def read_new(self) -> list[MetricRecord]:
        """Records that are new or changed since the last call; [] when none.

        A missing, empty or half-written file gives []. Records whose objective
        is not finite are held back, so no NaN reaches a chart or a stopping rule;
        the final read reports them.
        """
        signature = self._stat()
        if signature is None or signature == self._signature:
            return []
        try:
            parsed = _parse(self.path.read_text(encoding="utf-8"), self.metric)
        except (OSError, UnicodeDecodeError, MetricsError):
            return []  # half-written or not there yet: try again on the next change
        self._signature = signature
        self._warn_once(parsed.string_numbers)
        return self._fresh(parsed.records)

    def read_final(self) -> list[MetricRecord]:
        """Every record, checked by the exit rules.

        Raises:
            MetricsError: The file is missing or breaks the contract.
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError as err:
            raise MetricsError(
                f"no {METRICS_FILE} in RESULT_DIR ({self.path.parent}): the training "
                f"script must write $RESULT_DIR/{METRICS_FILE} before it exits"
            ) from err
        except UnicodeDecodeError as err:
            raise MetricsError(f"{METRICS_FILE} is not UTF-8 text: {err}") from err
        parsed = _parse(text, self.metric)
        self._warn_once(parsed.string_numbers)
        _check_objective(parsed.records, self.metric)
        return parsed.records

    def read_lenient(self) -> list[MetricRecord]:
        """Every usable record, for a trial that was stopped or failed anyway.

        Records whose objective is not finite are left out; when the file cannot
        be read at all, the records handed out live are what is left.
        """
        try:
            parsed = _parse(self.path.read_text(encoding="utf-8"), self.metric)
        except (OSError, UnicodeDecodeError, MetricsError):
            return [self._delivered[step] for step in sorted(self._delivered)]
        return [record for record in parsed.records if self._usable(record)]

    def _stat(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def _fresh(self, records: list[MetricRecord]) -> list[MetricRecord]:
        fresh = []
        for record in records:
            if not self._usable(record):
                continue
            if self._delivered.get(record.step) != record:
                self._delivered[record.step] = record
                fresh.append(record)
        return fresh

    def _usable(self, record: MetricRecord) -> bool:
        value = record.values.get(self.metric)
        return value is None or math.isfinite(value)

    def _warn_once(self, string_numbers: list[str]) -> None:
        if string_numbers and not self._warned:
            self._warned = True
            logger.warning(
                "%s: metric values written as strings (e.g. %s) are read as numbers; "
                "write numbers to silence this",
                self.path,
                string_numbers[0],
            )


Goal = Literal["minimize", "maximize"]
Rule = Literal["best", "last"]


def trial_value(
    records: list[MetricRecord], metric: str, goal: Goal, rule: Rule = "best"
) -> tuple[float, int] | None:
    """A trial's objective value and the step that gave it.

    ``best`` (WML-A's ``metricVal``) is the smallest value for ``minimize`` and the
    largest for ``maximize``, the earliest step on a tie; ``last`` is the value at
    the highest step. Records without a finite objective are skipped.

    Returns:
        ``(value, step)``, or None when no record carries a finite objective.

    Raises:
        ValueError: ``goal`` or ``rule`` is not one of the names above.
    """
    if goal not in ("minimize", "maximize"):
        raise ValueError(f"goal must be minimize or maximize, got {goal!r}")
    if rule not in ("best", "last"):
        raise ValueError(f"value rule must be best or last, got {rule!r}")
    points = [
        (record.values[metric], record.step)
        for record in records
        if metric in record.values and math.isfinite(record.values[metric])
    ]
    if not points:
        return None
    if rule == "last":
        return max(points, key=lambda point: point[1])
    sign = 1.0 if goal == "minimize" else -1.0
    return min(points, key=lambda point: (sign * point[0], point[1]))
