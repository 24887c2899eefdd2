"""Edit one hyperparameter: a range (low, high, step, log) or a list of values."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import yaml
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from hpotui.ui.dialogs.base import BaseDialog

_TYPES = [("auto", ""), ("int", "int"), ("double", "double"), ("str", "str")]


def parse_scalar(text: str) -> Any:
    """``30`` as 30, ``1e-4`` as 0.0001, ``relu`` as "relu": YAML's reading."""
    text = text.strip()
    if not text:
        return None
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    # YAML 1.1 reads 1e-4 as a string; a number is what the user meant.
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def parse_values(text: str) -> list[Any] | None:
    """A comma-separated list, each item read as YAML reads it."""
    if not text.strip():
        return None
    return [parse_scalar(item) for item in text.split(",")]


class HyperparamDialog(BaseDialog[tuple[str, dict[str, Any]]]):
    """Returns ``(name, spec)`` in the friendly YAML form, or None when cancelled.

    Args:
        name: The hyperparameter's name ("" for a new one).
        spec: Its YAML mapping (``range``, ``step``, ``log``, ``type``, ``values``).
        taken: The names of the experiment's other hyperparameters, which OK refuses
            so that a rename never replaces one of them.
    """

    def __init__(
        self,
        name: str = "",
        spec: dict[str, Any] | None = None,
        taken: Collection[str] = (),
    ) -> None:
        super().__init__("Hyperparameter")
        self.name_ = name
        self.spec = dict(spec or {})
        self.taken = frozenset(taken) - {name}

    def compose_body(self) -> ComposeResult:
        spec = self.spec
        low, high = (list(spec.get("range") or []) + [None, None])[:2]
        values = spec.get("values")
        yield from _row("Name", Input(self.name_, id="hp-name"))
        yield from _row(
            "Type",
            Select(
                _TYPES,
                value=spec.get("type", ""),
                allow_blank=False,
                compact=True,
                id="hp-type",
            ),
        )
        yield from _row("Low", Input(_text(low), id="hp-low"))
        yield from _row("High", Input(_text(high), id="hp-high"))
        yield from _row("Step", Input(_text(spec.get("step")), id="hp-step"))
        yield Checkbox("log scale", bool(spec.get("log")), id="hp-log")
        joined = ", ".join(_text(v) for v in values) if values else ""
        yield from _row("Values", Input(joined, placeholder="a, b, c", id="hp-values"))
        yield Static("", id="hp-message")

    def compose_buttons(self) -> ComposeResult:
        yield Button("OK", id="ok", variant="primary")
        yield Button("Cancel", id="cancel")

    def focus_first(self, widget: Button) -> None:  # type: ignore[override]
        self.query_one("#hp-name", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        # OK with a name that cannot be used keeps the dialog and what was typed.
        # Textual then runs the base dialog's handler too, unless prevent_default.
        problem = self.name_problem() if event.button.id == "ok" else None
        if problem is None:
            return
        event.stop()
        event.prevent_default()
        message = self.query_one("#hp-message", Static)
        message.update(problem)
        message.add_class("-shown")
        self.query_one("#hp-name", Input).focus()

    def name_problem(self) -> str | None:
        """Why the typed name cannot be used, or None when it can."""
        name = self.query_one("#hp-name", Input).value.strip()
        if not name:
            return "a name is needed, e.g. learning_rate; type one or Cancel"
        if name in self.taken:
            return f"{name} already exists; choose another name"
        return None

    def result_for(self, button_id: str) -> tuple[str, dict[str, Any]] | None:
        if button_id != "ok":
            return None
        name = self.query_one("#hp-name", Input).value.strip()
        return (name, self.form_spec())

    def form_spec(self) -> dict[str, Any]:
        """The spec as typed, in the friendly YAML form."""
        spec: dict[str, Any] = {}
        values = parse_values(self.query_one("#hp-values", Input).value)
        if values is not None:
            spec["values"] = values
        else:
            low = parse_scalar(self.query_one("#hp-low", Input).value)
            high = parse_scalar(self.query_one("#hp-high", Input).value)
            spec["range"] = [low, high]
            step = parse_scalar(self.query_one("#hp-step", Input).value)
            if step is not None:
                spec["step"] = step
            if self.query_one("#hp-log", Checkbox).value:
                spec["log"] = True
        kind = self.query_one("#hp-type", Select).value
        if isinstance(kind, str) and kind:
            spec["type"] = kind
        return spec


def _row(label: str, widget: Input | Select[str]) -> ComposeResult:
    with Horizontal(classes="form-row"):
        yield Label(label)
        yield widget


def _text(value: Any) -> str:
    return "" if value is None else str(value)
