"""Where an experiment's files live inside the workspace."""

from __future__ import annotations

from pathlib import Path

from hpotui.workspace import workspace_dir

DB_NAME = "hpotui.sqlite"

__all__ = ["DB_NAME", "experiment_dir", "trial_dir", "workspace_dir"]


def experiment_dir(workspace: Path, experiment: str) -> Path:
    """The folder of one experiment's trial folders and logs."""
    return workspace / "experiments" / experiment


def trial_dir(workspace: Path, experiment: str, trial_id: int) -> Path:
    """The folder of one trial: its model files, config.json, results and logs."""
    return experiment_dir(workspace, experiment) / "trials" / f"{trial_id:05d}"
