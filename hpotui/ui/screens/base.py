"""What every screen shares: the too-small notice and easy access to the backend."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

from textual import events
from textual._callback import invoke
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker

from hpotui.backends.base import Backend
from hpotui.errors import HpotuiError
from hpotui.ui.widgets.too_small import TooSmallNotice, too_small

if TYPE_CHECKING:
    from hpotui.ui.app import HpotuiApp


class HpotuiScreen(Screen[None]):
    """A screen that hides its content behind a notice when the terminal is tiny."""

    @property
    def hpo(self) -> HpotuiApp:
        """The dashboard app, typed."""
        return cast("HpotuiApp", self.app)

    @property
    def backend(self) -> Backend:
        return self.hpo.backend

    _focus_before_notice: Widget | None = None
    """What had the keys when the too-small notice hid the screen."""

    def default_focus(self) -> Widget | None:
        """The widget to give the keys when nothing had them before the notice."""
        return None

    async def on_mount(self) -> None:
        await self.mount(TooSmallNotice(id="too-small"))
        self._check_size(self.app.size.width, self.app.size.height)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker state messages do not bubble; hand failures to the app's one
        # error handler.
        self.hpo.on_worker_state_changed(event)

    def _get_dispatch_methods(
        self, method_name: str, message: Message
    ) -> Iterator[tuple[type, Callable[[Message], Awaitable[Any]]]]:
        # Every handler of the screen runs guarded: a user error it raises becomes
        # the error dialog instead of ending the app (and its message loop).
        # Textual has no public hook for this; test_ui_editor.py checks it still
        # works after a Textual upgrade.
        for cls, method in super()._get_dispatch_methods(method_name, message):
            yield cls, self._guarded(method)

    def _guarded(
        self, method: Callable[[Message], Awaitable[Any]]
    ) -> Callable[[Message], Awaitable[Any]]:
        async def run(message: Message) -> Any:
            try:
                return await invoke(method, message)
            except HpotuiError as err:
                self.hpo.show_error(err)
                return None

        # Textual reads a handler's parameter count on every call; say it once.
        run._param_count = 1  # type: ignore[attr-defined]
        return run

    def on_resize(self, event: events.Resize) -> None:
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int, height: int) -> None:
        small = too_small(width, height)
        if small != self.has_class("-too-small"):
            self._keep_focus(small)
        self.set_class(small, "-too-small")
        if small:
            notice = self.query(TooSmallNotice)
            if notice:
                notice.first().show(width, height)

    def _keep_focus(self, hiding: bool) -> None:
        # Hidden widgets lose the focus and Textual does not give it back once
        # they show again, so remember it across the notice.
        if hiding:
            self._focus_before_notice = self.focused or self._focus_before_notice
            return
        widget = self._focus_before_notice or self.default_focus()
        self._focus_before_notice = None
        if widget is not None and widget.is_attached:
            self.call_after_refresh(widget.focus)
