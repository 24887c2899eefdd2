"""The one error family a user ever sees.

Every error that reaches a person is an :class:`HpotuiError`: it carries a message that
says what failed, the value or field involved and what to do next, plus a short title
for dialogs. The command line prints ``message`` and exits with ``exit_code``; the
dashboard shows ``title`` and ``message`` in a dialog.
"""

from __future__ import annotations


class HpotuiError(Exception):
    """Base of every error meant for a user.

    Args:
        message: What failed, with the value involved and the fix.
        title: A few words for a dialog title.
    """

    exit_code = 1

    def __init__(self, message: str, title: str = "Error") -> None:
        super().__init__(message)
        self.message = message
        self.title = title

    def __str__(self) -> str:
        return self.message


class ExperimentFileError(HpotuiError):
    """An experiment file cannot be read or is invalid. Exit code 2 (bad input)."""

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message, title="Invalid experiment")
        self.problems = problems or [message]


class SearchSpaceError(HpotuiError):
    """A search space or a suggested configuration breaks the space's rules."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message, title="Search space")


class StoreError(HpotuiError):
    """The workspace database cannot be used, or a named experiment is missing."""

    def __init__(self, message: str) -> None:
        super().__init__(message, title="Workspace")


class UnknownExperimentError(StoreError):
    """A command names an experiment the workspace does not hold. Exit code 2."""

    exit_code = 2


class EngineError(HpotuiError):
    """The embedded engine cannot run or continue an experiment."""

    def __init__(self, message: str) -> None:
        super().__init__(message, title="Engine")


class BackendError(HpotuiError):
    """A backend (embedded or remote) refused or failed a request."""

    def __init__(self, message: str, title: str = "Backend") -> None:
        super().__init__(message, title=title)


class AlgorithmError(HpotuiError):
    """The search algorithm failed while an experiment ran.

    The scheduler ends the experiment FAILED with :attr:`message` as its reason.
    """

    def __init__(self, message: str, title: str = "Search algorithm") -> None:
        super().__init__(message, title=title)


class PluginError(AlgorithmError):
    """A plugin algorithm raised, hung, died or suggested values outside the space.

    Attributes:
        log_path: The plugin's log (its prints and tracebacks), when it has one.
    """

    def __init__(self, message: str, log_path: str | None = None) -> None:
        super().__init__(message, title="Plugin")
        self.log_path = log_path


class PluginStoreError(HpotuiError):
    """A plugin cannot be installed, found or deleted. Exit code 2 (bad input)."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message, title="Plugins")
