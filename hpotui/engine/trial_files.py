"""A trial's folder and environment, the way WML-A training scripts expect them.

Layout of one trial folder (``TrialSpec.workdir``)::

    workdir/                 the command's working directory (DLI_WORK_DIR)
        <model files>        copied from the model folder
        config.json          this trial's hyperparameters (plus extra keys)
        result/              RESULT_DIR: val_dict_list.json goes here
        log/                 LOG_DIR: stdout.log, stderr.log and the script's own logs
        data -> <model>/data a link to the model's data folder, when it has one

``DATA_DIR`` is, in order: the spec's ``DATA_DIR`` variable, the model folder's
``data`` subfolder (linked, never copied, so a large data set costs nothing per
trial), or an empty ``workdir/data``.

Everything here is plain blocking code, usable on a Dask worker as well as in the
embedded engine.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hpotui.engine.executor import TrialSpec
from hpotui.engine.metrics import METRICS_FILE
from hpotui.errors import EngineError

logger = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
STDOUT_FILE = "stdout.log"
STDERR_FILE = "stderr.log"
SKIPPED_NAMES = frozenset(
    {".git", "__pycache__", ".venv", ".mypy_cache", ".ruff_cache"}
)
"""Never copied into a trial folder: version control, caches and environments."""
_RESERVED = ("result", "log", CONFIG_FILE)


@dataclass(frozen=True)
class TrialPaths:
    """Where one trial's files are."""

    workdir: Path
    config: Path
    result_dir: Path
    log_dir: Path
    data_dir: Path
    metrics: Path
    stdout: Path
    stderr: Path


def trial_paths(workdir: Path, data_dir: Path | None = None) -> TrialPaths:
    """The paths of a trial folder, without touching the disk.

    Args:
        workdir: The trial's folder.
        data_dir: DATA_DIR when it lives elsewhere; ``workdir/data`` otherwise.
    """
    workdir = Path(workdir).absolute()
    result_dir = workdir / "result"
    log_dir = workdir / "log"
    return TrialPaths(
        workdir=workdir,
        config=workdir / CONFIG_FILE,
        result_dir=result_dir,
        log_dir=log_dir,
        data_dir=Path(data_dir).absolute() if data_dir else workdir / "data",
        metrics=result_dir / METRICS_FILE,
        stdout=log_dir / STDOUT_FILE,
        stderr=log_dir / STDERR_FILE,
    )


def prepare_trial(spec: TrialSpec) -> TrialPaths:
    """Create the trial's folder: model files, config.json, RESULT_DIR, LOG_DIR.

    Raises:
        EngineError: The folder already holds files (two trials must never share
            one), or the model folder is missing.
        OSError: Copying or writing failed (disk full, permissions).
    """
    model_dir = Path(spec.model_dir).absolute()
    if not model_dir.is_dir():
        raise EngineError(
            f"model folder {model_dir} does not exist; fix model.dir in the experiment"
        )
    paths = trial_paths(spec.workdir, _data_dir(spec, model_dir))
    _claim_folder(paths.workdir)
    copy_model_files(model_dir, paths.workdir)
    write_config(paths.config, spec.config)
    paths.result_dir.mkdir(exist_ok=True)
    paths.log_dir.mkdir(exist_ok=True)
    _place_data_dir(paths, model_dir)
    return paths


def _data_dir(spec: TrialSpec, model_dir: Path) -> Path | None:
    if spec.env.get("DATA_DIR"):
        return Path(spec.env["DATA_DIR"])
    if (model_dir / "data").is_dir():
        return model_dir / "data"
    return None


def _claim_folder(workdir: Path) -> None:
    workdir.parent.mkdir(parents=True, exist_ok=True)
    try:
        workdir.mkdir()  # atomic: of two trials racing for one folder, one fails
    except FileExistsError:
        if any(workdir.iterdir()):
            raise EngineError(
                f"trial folder {workdir} already holds files; trials never share a "
                "folder, so remove it or give the trial a new id"
            ) from None


def copy_model_files(model_dir: Path, workdir: Path) -> None:
    """Copy the model folder's files into ``workdir``.

    Skips :data:`SKIPPED_NAMES` at every depth and the folder that holds
    ``workdir`` itself (a workspace kept inside the model folder). At the top it
    skips the names the trial folder reserves (``result``, ``log``,
    ``config.json``), so nothing stale from an earlier run passes for this
    trial's output, and a ``data`` folder, which is linked instead. Symbolic
    links are recreated pointing at their absolute target, so a relative link
    still reaches the same file from the trial folder.
    """
    _copy_tree(model_dir, workdir, workdir.resolve(), top=True)


def _copy_tree(source: Path, target: Path, avoid: Path, top: bool) -> None:
    for entry in os.scandir(source):
        if _skipped(entry, avoid, top):
            continue
        destination = target / entry.name
        if entry.is_symlink():
            os.symlink(os.path.realpath(entry.path), destination)
        elif entry.is_dir():
            destination.mkdir()
            _copy_tree(Path(entry.path), destination, avoid, top=False)
        else:
            shutil.copy2(entry.path, destination)


def _skipped(entry: os.DirEntry[str], avoid: Path, top: bool) -> bool:
    if entry.name in SKIPPED_NAMES:
        return True
    is_dir = entry.is_dir(follow_symlinks=False)
    if is_dir and avoid.is_relative_to(os.path.realpath(entry.path)):
        return True
    if not top:
        return False
    if entry.name in _RESERVED:
        _warn_reserved(Path(entry.path))
        return True
    return is_dir and entry.name == "data"  # linked by _place_data_dir


@functools.cache
def _warn_reserved(path: Path) -> None:
    logger.warning(
        "%s is not copied into trial folders: the trial folder uses that name "
        "itself; rename it in the model folder if the script needs it",
        path,
    )


def write_config(path: Path, config: dict[str, Any]) -> None:
    """Write ``config.json`` exactly as given: ints stay ints, None is null.

    NumPy scalars are written as the matching JSON number.

    Raises:
        EngineError: A value has no JSON form, or is NaN or infinite.
    """
    try:
        text = json.dumps(config, indent=2, allow_nan=False, default=_plain_value)
    except (TypeError, ValueError) as err:
        raise EngineError(f"cannot write {path.name}: {err}") from err
    path.write_text(text + "\n", encoding="utf-8")


def _plain_value(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return item()
    raise TypeError(f"{value!r} ({type(value).__name__}) has no JSON form")


def _place_data_dir(paths: TrialPaths, model_dir: Path) -> None:
    model_data = model_dir / "data"
    if model_data.is_dir():
        # scripts that read ./data relative to their folder still find it
        (paths.workdir / "data").symlink_to(model_data, target_is_directory=True)
    elif paths.data_dir == paths.workdir / "data":
        paths.data_dir.mkdir(exist_ok=True)


def trial_environment(
    spec: TrialSpec, paths: TrialPaths, base: dict[str, str] | None = None
) -> dict[str, str]:
    """The trial's environment: ``base`` (default: this process's), the WML-A
    variables, then ``spec.env`` on top.

    Besides RESULT_DIR, LOG_DIR and DATA_DIR it sets the WML-A names scripts may
    read: DLI_WORK_DIR, DLI_EXECID (``<experiment>-<trial id>``), SUBID and
    TRAINING_ID (the trial id). PYTHONUNBUFFERED=1 makes Python trainers' output
    reach the log files as it is printed, unless the environment says otherwise.
    """
    env = dict(os.environ if base is None else base)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(
        RESULT_DIR=str(paths.result_dir),
        LOG_DIR=str(paths.log_dir),
        DATA_DIR=str(paths.data_dir),
        DLI_WORK_DIR=str(paths.workdir),
        DLI_EXECID=f"{spec.experiment}-{spec.trial_id}",
        SUBID=str(spec.trial_id),
        TRAINING_ID=str(spec.trial_id),
    )
    env.update(spec.env)
    return env
