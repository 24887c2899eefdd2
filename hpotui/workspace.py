"""Where hpotui keeps its files: one workspace folder per user, or one chosen.

The engine's store, installed plugins and trial folders all live under the same
workspace, so every command and the engine agree by asking :func:`workspace_dir`.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

WORKSPACE_ENV = "HPOTUI_HOME"
"""Environment variable naming the workspace when ``--workspace`` is not given."""


def workspace_dir(override: str | Path | None = None, *, create: bool = True) -> Path:
    """The workspace folder.

    Args:
        override: A folder given on the command line (``--workspace``); wins over
            ``HPOTUI_HOME``, which wins over the per-user data folder.
        create: Create the folder when it is missing; pass False to only look.

    Returns:
        The absolute path of the workspace.
    """
    chosen = override or os.environ.get(WORKSPACE_ENV)
    path = Path(chosen) if chosen else Path(platformdirs.user_data_dir("hpotui"))
    path = path.expanduser().resolve()
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def plugins_dir(workspace: str | Path | None = None, *, create: bool = True) -> Path:
    """The folder holding installed algorithm plugins, one subfolder each."""
    return workspace_dir(workspace, create=create) / "plugins"
