"""Loading an experiment from a file or from editor text, in either form.

The friendly YAML form is the documented one; a WML-A request body (``modelSpec``,
``algoDef``, ``hyperParams`` or ``experiments``) loads too, from YAML or JSON.
Relative paths resolve from the file's folder.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from hpotui.errors import ExperimentFileError
from hpotui.experiment.friendly import experiment_from_friendly
from hpotui.experiment.model import Experiment
from hpotui.experiment.source import read_document
from hpotui.experiment.validate import Checker, ValidationReport, show
from hpotui.experiment.wmla import WMLA_KEYS, experiment_from_wmla


def load_experiment(
    path: str | Path, plugins: Collection[str] | None = None
) -> Experiment:
    """Read, check and build the experiment in ``path``.

    Args:
        path: A friendly YAML file or a WML-A request (YAML or JSON).
        plugins: Names of the installed plugins, so that an algorithm name that is
            neither built in nor installed is an error; None when unknown.

    Returns:
        The experiment; its ``notes`` hold the warnings and notes of the check.

    Raises:
        ExperimentFileError: The file is missing, unreadable or invalid; the
            message lists every problem as ``file:line field: message``.
    """
    path = Path(path)
    report = check_text(read_file_text(path), str(path), path.resolve().parent, plugins)
    report.raise_for_errors()
    assert report.experiment is not None
    return report.experiment.model_copy(update={"source": path.resolve()})


def load_experiment_text(
    text: str, source_name: str, base_dir: str | Path
) -> Experiment:
    """Build the experiment from text, e.g. the dashboard editor's buffer.

    Args:
        text: YAML or JSON in either form.
        source_name: How messages name it (usually the file name).
        base_dir: The folder relative paths resolve from.

    Raises:
        ExperimentFileError: The text is invalid; every problem is listed.
    """
    report = check_text(text, source_name, Path(base_dir))
    report.raise_for_errors()
    assert report.experiment is not None
    return report.experiment


def check_text(
    text: str,
    source_name: str,
    base_dir: Path,
    plugins: Collection[str] | None = None,
) -> ValidationReport:
    """Check text in either form and build the experiment when it is valid.

    A syntax error becomes the report's single error rather than an exception.
    ``plugins`` names the installed plugins (None: unknown, see
    :func:`load_experiment`).
    """
    try:
        data, lines, bare = read_document(text, source_name)
    except ExperimentFileError as err:
        return ValidationReport(source_name, errors=[err.message])
    ck = Checker(source_name, lines, bare, plugins)
    if not isinstance(data, dict):
        ck.error(
            (),
            f"must be a mapping of settings, starting with name: (got {show(data)}); "
            "see the sample experiments",
        )
        return ck.report
    default_name = _default_name(source_name)
    if WMLA_KEYS & set(data):
        experiment = experiment_from_wmla(ck, data, base_dir, default_name)
    else:
        experiment = experiment_from_friendly(ck, data, base_dir, default_name)
    if experiment is not None and not ck.report.errors:
        notes = ck.report.notes()
        ck.report.experiment = experiment.model_copy(update={"notes": notes})
    return ck.report


def read_file_text(path: Path) -> str:
    """The text of an experiment file.

    Raises:
        ExperimentFileError: It is missing, a folder, unreadable or not UTF-8.
    """
    if not path.exists():
        raise ExperimentFileError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise ExperimentFileError(f"{path}: is a folder; give the experiment file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ExperimentFileError(
            f"{path}: not UTF-8 text (byte {err.start}); save it as UTF-8"
        ) from err
    except OSError as err:
        raise ExperimentFileError(f"{path}: cannot be read ({err.strerror})") from err


def _default_name(source_name: str) -> str:
    stem = Path(source_name).stem.replace(" ", "-")
    return stem or "experiment"
