"""The dashboard app: screens, global bindings and the one worker-error handler."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from hpotui.backends.base import Backend
from hpotui.backends.profiles import Profile
from hpotui.errors import HpotuiError
from hpotui.experiment.model import Experiment
from hpotui.ui.dialogs import ErrorDialog
from hpotui.ui.model import MonitorModel
from hpotui.ui.themes import DEFAULT_THEME, load_themes, resolve_theme

StartScreen = Literal["experiments", "monitor", "editor", "logon"]
DEFAULT_REFRESH_RATE = 10.0
"""Live redraws per second at most; events in between are coalesced."""
_CLOSE_TIMEOUT = 10.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


class HpotuiApp(App[int]):
    """The hpotui dashboard over one backend.

    Args:
        backend: Where experiments live (embedded engine, WML-A, or a replay).
        start: The first screen.
        experiment: The experiment the monitor opens on.
        path: The file the editor opens on (None for a new experiment).
        theme_name: ``dark``, ``light``, ``high-contrast`` or a Textual theme.
        refresh_rate: Live redraws per second at most.
        clock: Where the current time comes from (tests pass a fixed one).
        embedded: Opens the embedded engine's backend, for the log-on screen.
        submit: An experiment to submit at start; the monitor then follows it.
    """

    CSS_PATH = "styles/app.tcss"
    TITLE = "hpotui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+l", "logon", "Backend"),
        Binding("ctrl+e", "experiments", "Experiments", show=False),
    ]

    def __init__(
        self,
        backend: Backend,
        start: StartScreen = "experiments",
        experiment: str | None = None,
        path: Path | None = None,
        theme_name: str = DEFAULT_THEME,
        refresh_rate: float = DEFAULT_REFRESH_RATE,
        clock: Callable[[], datetime] = _utcnow,
        embedded: Callable[[], Backend] | None = None,
        submit: Experiment | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.start = start
        self.start_experiment = experiment
        self.start_path = path
        self.refresh_rate = max(0.5, refresh_rate)
        self.clock = clock
        self.embedded = embedded
        self.submit = submit
        self.closed_backend = False
        for theme in load_themes():
            self.register_theme(theme)
        self.theme = resolve_theme(theme_name, set(self.available_themes))

    def now(self) -> datetime:
        """The current time, from the app's clock."""
        return self.clock()

    @property
    def backend_status(self) -> str:
        """The status bar's backend text: its label, and a mark if TLS is off."""
        if self.backend.warning:
            return f"{self.backend.label} · ⚠ TLS not verified"
        return self.backend.label

    def _warn_once(self) -> None:
        if self.backend.warning:
            self.notify(self.backend.warning, title="Insecure", severity="warning")

    def on_mount(self) -> None:
        self._install_signal_handlers()
        self._warn_once()
        if self.submit is not None:
            self._submit_first(self.submit)
        else:
            self.push_screen(self._first_screen())

    @work(exclusive=True, group="app-submit", exit_on_error=False)
    async def _submit_first(self, experiment: Experiment) -> None:
        from hpotui.ui.screens.experiments import ExperimentsScreen

        self.push_screen(ExperimentsScreen())
        name = await self.backend.submit(experiment)
        self.open_monitor(name)

    def _first_screen(self) -> Screen[None]:
        from hpotui.ui.screens.editor import EditorScreen
        from hpotui.ui.screens.experiments import ExperimentsScreen
        from hpotui.ui.screens.logon import LogonScreen
        from hpotui.ui.screens.monitor import MonitorScreen

        if self.start == "monitor" and self.start_experiment:
            return MonitorScreen(self.start_experiment)
        if self.start == "editor":
            try:
                return EditorScreen(self.start_path)
            except HpotuiError as err:
                self.call_after_refresh(self.show_error, err)
                return ExperimentsScreen()
        if self.start == "logon":
            return LogonScreen()
        return ExperimentsScreen()

    def open_monitor(self, experiment: str, replace: bool = False) -> None:
        """Show the monitor of ``experiment`` over, or instead of, this screen."""
        from hpotui.ui.screens.monitor import MonitorScreen

        if replace:
            self.switch_screen(MonitorScreen(experiment))
        else:
            self.push_screen(MonitorScreen(experiment))

    def open_trial(
        self, experiment: str, trial_id: int, model: MonitorModel | None
    ) -> None:
        """Show one trial's detail over the current screen."""
        from hpotui.ui.screens.trial import TrialScreen

        self.push_screen(TrialScreen(experiment, trial_id, model))

    def open_editor(self, path: Path | None, clone_of: str | None = None) -> None:
        """Show the editor on ``path``, on a clone of an experiment, or empty."""
        from hpotui.ui.screens.editor import EditorScreen

        try:
            editor = EditorScreen(path, clone_of=clone_of)
        except HpotuiError as err:
            self.show_error(err)
            return
        self.push_screen(editor)

    def leave(self, screen: Screen[None]) -> None:
        """Go back from ``screen``: to the one below it, or to the experiments."""
        if len(self.screen_stack) > 2:
            self.pop_screen()
        else:
            self.action_experiments()

    async def action_quit(self) -> None:
        """Quit; an editor with unsaved edits asks first, as leaving it does."""
        from hpotui.ui.dialogs.unsaved import UnsavedChoice, UnsavedDialog
        from hpotui.ui.screens.editor import EditorScreen

        editors = [s for s in self.screen_stack if isinstance(s, EditorScreen)]
        editor = next((e for e in reversed(editors) if e.unsaved), None)
        if editor is None:
            self.exit()
            return

        def chosen(choice: UnsavedChoice | None) -> None:
            if choice == "discard":
                self.exit()
            elif choice == "save" and editor is not None:
                editor.action_save(then=self.exit)

        what = editor.path.name if editor.path else "The new experiment"
        self.push_screen(UnsavedDialog(what), chosen)

    def action_experiments(self) -> None:
        from hpotui.ui.screens.experiments import ExperimentsScreen

        self.switch_screen(ExperimentsScreen())

    def action_logon(self) -> None:
        from hpotui.ui.screens.logon import LogonScreen

        self.push_screen(LogonScreen())

    async def use_backend(self, backend: Backend) -> None:
        """Switch to ``backend`` and show its experiments."""
        old, self.backend = self.backend, backend
        if old is not backend:
            await old.close()
            self._warn_once()
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.action_experiments()

    def open_embedded(self) -> Backend:
        """The embedded engine's backend (the current one if it already is)."""
        if self.backend.label == "embedded":
            return self.backend
        if self.embedded is None:
            raise HpotuiError(
                "the embedded engine is not available in this session; "
                "start `hpotui` without --profile to use it",
                title="Log on",
            )
        return self.embedded()

    async def open_remote(self, profile: Profile, password: str) -> Backend:
        """Log on to a WML-A profile.

        Raises:
            HpotuiError: The backend refused the log-on or is unreachable.
        """
        from hpotui.ui.connect import connect_remote

        return await connect_remote(profile, password)

    def show_error(self, error: BaseException) -> None:
        """Tell the user what failed: a dialog for errors, a note for limits."""
        if isinstance(error, NotImplementedError):
            self.notify(str(error), title="Not available", severity="warning")
            return
        self.push_screen(ErrorDialog(*self._describe(error)))

    def note_error(self, error: BaseException) -> None:
        """Tell the user what failed in a notification, for a background task that
        would otherwise stack a dialog each time it runs again."""
        title, message = self._describe(error)
        self.notify(message, title=title, severity="error", timeout=8)

    def _describe(self, error: BaseException) -> tuple[str, str]:
        if isinstance(error, HpotuiError):
            return error.title, error.message
        self.log.error("unexpected error", error)
        return "Unexpected error", f"{type(error).__name__}: {error}"

    async def _dispatch_action(
        self, namespace: DOMNode, action_name: str, params: Any
    ) -> bool:
        # A key's action that raises a user error shows it; Textual would end the
        # app with a traceback, losing whatever the user was doing. (Textual
        # internals, with no public hook; test_ui_editor.py checks it.)
        try:
            return await super()._dispatch_action(namespace, action_name, params)
        except HpotuiError as err:
            self.show_error(err)
            return True

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place where a failed background task turns into a message."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.show_error(event.worker.error)

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            try:
                loop.add_signal_handler(signum, self._on_signal, signum)
            except (NotImplementedError, RuntimeError, ValueError):
                self.log.warning(f"cannot handle signal {signum} here")

    def _on_signal(self, signum: int) -> None:
        # Exit through Textual so the terminal is restored; the backend is closed
        # (its state saved) on unmount, before the process ends.
        self.exit(128 + signum)

    async def on_unmount(self) -> None:
        await self.close_backend()

    async def close_backend(self) -> None:
        """Save and release the backend once, however the app ends."""
        if self.closed_backend:
            return
        self.closed_backend = True
        try:
            await asyncio.wait_for(self.backend.close(), _CLOSE_TIMEOUT)
        except Exception as err:  # noqa: BLE001 - the app is ending; report, go on
            self.log.error("closing the backend failed", err)
