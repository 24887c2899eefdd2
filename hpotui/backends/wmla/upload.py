"""Checking a WML-A request body before it is sent, and the multipart parts.

A bad experiment must never reach the server: the body and the model folder are
checked here, and every problem is named at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hpotui.errors import ExperimentFileError

_GOALS = ("minimize", "maximize")


def _algo_problems(algo: Any) -> list[str]:
    if not isinstance(algo, dict):
        return ["algoDef is missing; it names the algorithm, metric and limits"]
    problems = []
    if not isinstance(algo.get("algorithm"), str) or not algo.get("algorithm"):
        problems.append("algoDef.algorithm is missing; name a search algorithm")
    if not isinstance(algo.get("objectiveMetric"), str) or not algo.get(
        "objectiveMetric"
    ):
        problems.append("algoDef.objectiveMetric is missing; name the metric key")
    if algo.get("objective") not in _GOALS:
        problems.append(
            f"algoDef.objective is {algo.get('objective')!r}; use minimize or maximize"
        )
    max_jobs = algo.get("maxJobNum")
    if not isinstance(max_jobs, int) or max_jobs == 0 or max_jobs < -1:
        problems.append(f"algoDef.maxJobNum is {max_jobs!r}; give a positive count")
    return problems


def request_problems(body: Any, model_dir: Path | None) -> list[str]:
    """Every reason the server would refuse (or misread) this submission."""
    if not isinstance(body, dict):
        return ["the request body is not a JSON object"]
    problems = _algo_problems(body.get("algoDef"))
    spec = body.get("modelSpec")
    args = spec.get("args") if isinstance(spec, dict) else None
    if not isinstance(args, str) or "--model-main" not in args:
        problems.append(
            "modelSpec.args lacks --model-main FILE; name the training script"
        )
    if not body.get("hyperParams") and not body.get("experiments"):
        problems.append("the request has neither hyperParams nor experiments")
    if model_dir is not None and not model_dir.is_dir():
        problems.append(f"the model folder {model_dir} does not exist")
    return problems


def check_request(body: Any, model_dir: Path | None, source: str) -> None:
    """Raise before any request when the submission cannot work.

    Raises:
        ExperimentFileError: With every problem found.
    """
    problems = request_problems(body, model_dir)
    if problems:
        raise ExperimentFileError(
            f"{source} cannot be submitted: " + "; ".join(problems) + ".", problems
        )


class MultipartUpload:
    """Multipart parts of a submit or an install, rebuilt for every attempt.

    Each call reopens the archive from its start, so a retried upload sends the
    whole file again; :meth:`close` closes every handle opened.

    Args:
        data: The ``data`` part, sent as a JSON string.
        archive: The file sent as the ``file`` part, if any.
        filename: The name the server sees for the archive.
    """

    def __init__(
        self, data: dict[str, Any], archive: Path | None, filename: str
    ) -> None:
        self.data = json.dumps(data)
        self.archive = archive
        self.filename = filename
        self._handles: list[Any] = []

    def __call__(self) -> dict[str, Any]:
        parts: dict[str, Any] = {"data": (None, self.data)}
        if self.archive is not None:
            handle = self.archive.open("rb")
            self._handles.append(handle)
            parts["file"] = (self.filename, handle, "application/octet-stream")
        return parts

    def close(self) -> None:
        for handle in self._handles:
            handle.close()
        self._handles.clear()
