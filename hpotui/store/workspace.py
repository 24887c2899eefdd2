"""Where the experiment store lives: one folder per user, or one given explicitly."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_VAR = "HPOTUI_HOME"
DB_NAME = "hpotui.sqlite"


def workspace_dir(explicit: str | Path | None = None) -> Path:
    """The workspace folder, created when missing.

    Args:
        explicit: A folder given on the command line; wins over ``HPOTUI_HOME``,
            which wins over the per-user data folder.
    """
    chosen = explicit or os.environ.get(ENV_VAR)
    folder = Path(chosen) if chosen else Path(platformdirs.user_data_dir("hpotui"))
    folder = folder.expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def trial_dir(workspace: Path, experiment: str, trial_id: int) -> Path:
    """The folder of one trial: its model files, config.json, results and logs."""
    return workspace / "experiments" / experiment / "trials" / f"{trial_id:05d}"
