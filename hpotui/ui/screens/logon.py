"""Log on: pick the embedded engine or a remote WML-A profile, and connect."""

from __future__ import annotations

from typing import ClassVar, get_args

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    OptionList,
    Select,
)
from textual.widgets.option_list import Option

from hpotui.backends.profiles import AuthMode, Profile, load_profiles, save_profile
from hpotui.errors import HpotuiError
from hpotui.ui.screens.base import HpotuiScreen

EMBEDDED = "embedded"
_NEW = "+new"
_FIELDS = (
    ("name", "Profile", "e.g. lab-cluster"),
    ("url", "URL", "https://host:9243/platform/rest/deeplearning/v1"),
    ("user", "User", ""),
    ("password", "Password", "or token; never stored"),
    ("ca_bundle", "CA bundle", "PEM file, optional"),
)
_AUTH_MODES = get_args(AuthMode)


_BLANK = Profile(name="", url="", user="")


class LogonScreen(HpotuiScreen):
    """Choose where experiments live."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "connect", "Connect"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.profiles: dict[str, Profile] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield OptionList(id="profiles")
        with Vertical(id="remote-form"):
            for key, label, placeholder in _FIELDS:
                with Horizontal(classes="form-row"):
                    yield Label(label)
                    yield Input(
                        placeholder=placeholder,
                        id=f"field-{key}",
                        password=key == "password",
                    )
                if key == "user":
                    with Horizontal(classes="form-row"):
                        yield Label("Log-on")
                        yield Select(
                            [(mode, mode) for mode in _AUTH_MODES],
                            value="basic",
                            allow_blank=False,
                            id="field-auth",
                        )
            yield Checkbox("Skip TLS checks (insecure)", id="field-insecure")
            yield Button("Connect", id="connect", variant="primary")
        yield Label("", id="logon-note")
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        self.title = "hpotui · backend"
        self.sub_title = self.hpo.backend_status
        self.profiles = load_profiles()
        options = self.query_one(OptionList)
        options.add_option(Option("embedded  (this machine)", id=EMBEDDED))
        for profile in self.profiles.values():
            label = f"{profile.name}  ({profile.user} at {profile.url})"
            options.add_option(Option(label, id=profile.name))
        options.add_option(Option("+ new WML-A profile", id=_NEW))
        options.highlighted = 0
        options.focus()
        self._fill(None)

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        chosen = event.option.id
        if chosen == EMBEDDED:
            self._fill(None)
        else:
            self._fill(self.profiles.get(chosen or "", _BLANK))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == EMBEDDED:
            self.action_connect()
        else:
            self.query_one("#field-url", Input).focus()

    def _fill(self, profile: Profile | None) -> None:
        remote = profile is not None
        self.query_one("#remote-form").display = remote
        for key, *_ in _FIELDS:
            value = getattr(profile, key, None) if key != "password" else ""
            self.query_one(f"#field-{key}", Input).value = value or ""
        self.query_one("#field-auth", Select).value = (
            profile.auth if profile else "basic"
        )
        self.query_one("#field-insecure", Checkbox).value = bool(
            profile and profile.insecure
        )
        note = "Embedded engine: runs trials on this machine; no credentials needed."
        if remote:
            note = "Password or token is asked for at every log-on and never saved."
        self.query_one("#logon-note", Label).update(note)

    def _form_profile(self) -> Profile:
        values = {
            key: self.query_one(f"#field-{key}", Input).value.strip() or None
            for key, *_ in _FIELDS
            if key != "password"
        }
        if not values["name"] or not values["url"] or not values["user"]:
            raise HpotuiError(
                "a remote profile needs a name, a URL and a user; fill them and "
                "connect again",
                title="Log on",
            )
        values["insecure"] = self.query_one("#field-insecure", Checkbox).value
        values["auth"] = self.query_one("#field-auth", Select).value
        # Settings the form does not show (poll interval, log-on URL) stay as the
        # chosen profile had them.
        kept = self.profiles.get(self._highlighted_id() or "", _BLANK).model_dump()
        try:
            return Profile(**{**kept, **values})
        except ValueError as err:
            raise HpotuiError(
                f"the profile is not valid: {_first_problem(err)}; correct it and "
                "connect again",
                title="Log on",
            ) from err

    def _highlighted_id(self) -> str | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        return options.get_option_at_index(options.highlighted).id

    @on(Button.Pressed, "#connect")
    def _connect_pressed(self) -> None:
        self.action_connect()

    @work(exclusive=True, group="logon", exit_on_error=False)
    async def action_connect(self) -> None:
        """Open the chosen backend and show its experiments."""
        if self.query_one(OptionList).highlighted == 0:
            await self.hpo.use_backend(self.hpo.open_embedded())
            return
        profile = self._form_profile()
        password = self.query_one("#field-password", Input).value
        backend = await self.hpo.open_remote(profile, password)
        save_profile(profile)
        await self.hpo.use_backend(backend)

    def action_back(self) -> None:
        self.hpo.leave(self)


def _first_problem(err: ValueError) -> str:
    """The first complaint of a validation error, without pydantic's links."""
    if isinstance(err, ValidationError) and err.errors():
        first = err.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        return f"{field}: {first['msg']}"
    return str(err)
