"""The search-space editor: load, edit, validate, save and submit an experiment."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from ruamel.yaml.comments import CommentedMap
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from hpotui.errors import HpotuiError
from hpotui.experiment.friendly import HYPERBAND_NAMES
from hpotui.ui.dialogs import PromptDialog
from hpotui.ui.dialogs.hyperparam import HyperparamDialog, parse_scalar
from hpotui.ui.dialogs.unsaved import UnsavedChoice, UnsavedDialog
from hpotui.ui.experiment_doc import (
    check_document,
    document_text,
    get_path,
    load_document,
    new_document,
    read_document,
    save_document,
    set_path,
)
from hpotui.ui.screens.base import HpotuiScreen

FORM_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("objective.metric", "Metric"),
    ("objective.goal", "Goal"),
    ("algorithm.name", "Algorithm"),
    ("algorithm.seed", "Seed"),
    ("algorithm.eta", "Eta"),
    ("algorithm.resource.name", "Resource"),
    ("algorithm.resource.max", "Res. max"),
    ("algorithm.resource.min", "Res. min"),
    ("limits.max_jobs", "Max jobs"),
    ("limits.max_parallel_jobs", "Parallel"),
    ("limits.max_run_time", "Run time"),
    ("model.dir", "Model dir"),
    ("model.command", "Command"),
)
"""Each form field: its dotted key in the YAML file and its label."""
_HYPERBAND_FIELDS = frozenset(
    {
        "algorithm.eta",
        "algorithm.resource.name",
        "algorithm.resource.max",
        "algorithm.resource.min",
    }
)
"""Settings only Hyperband, ASHA and BOHB read; their rows show for those."""
_CHECK_DELAY = 0.4
"""Seconds of no typing before the experiment is checked again."""
_PROBLEM_ROWS = 6
"""Rows of findings shown below the table; more scroll (as in the stylesheet)."""


def _field_id(dotted: str) -> str:
    return "field-" + dotted.replace(".", "-").replace("_", "-")


class EditorScreen(HpotuiScreen):
    """Edit an experiment file, or build one from nothing.

    Args:
        path: The YAML file to open; None starts a new experiment.
        clone_of: An experiment of the backend whose definition to start from.

    Raises:
        ExperimentFileError: ``path`` exists and cannot be read as YAML.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+r", "submit", "Submit"),
        # Input binds ctrl+a (line start) and ctrl+d (delete); priority keeps both
        # keys, and their footer entries, for the table while a field has focus.
        Binding("ctrl+a", "add_param", "Add param", priority=True),
        Binding("ctrl+d", "remove_param", "Remove param", priority=True),
    ]

    def __init__(self, path: Path | None, clone_of: str | None = None) -> None:
        super().__init__()
        self.path = path
        self.clone_of = clone_of
        self.doc: CommentedMap = new_document()
        if path is not None and path.exists():
            self.doc = read_document(path)
        self.problems: list[str] = []
        self._check_timer: Timer | None = None
        self._saved_text = document_text(self.doc)
        """The document as last read or saved, to tell whether there are edits."""

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="editor-form"):
            for dotted, label in FORM_FIELDS:
                extra = " -hyperband" if dotted in _HYPERBAND_FIELDS else ""
                with Horizontal(classes="form-row" + extra):
                    yield Label(label)
                    yield Input(id=_field_id(dotted))
        yield DataTable(id="hyperparams", cursor_type="row")
        with VerticalScroll(id="problems-box"):
            yield Static("", id="problems")
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        table = self.query_one("#hyperparams", DataTable)
        for title in ("name", "type", "range / values", "step", "log"):
            table.add_column(title, key=title)
        if self.clone_of is not None:
            self._load_clone()
        self.title = f"hpotui · {self.path.name if self.path else 'new experiment'}"
        self._fill_form()
        self.check_now()

    @work(exclusive=True, group="editor-clone", exit_on_error=False)
    async def _load_clone(self) -> None:
        from hpotui.ui.clone import clone_document

        detail = await self.backend.get_experiment(self.clone_of or "")
        self.doc = clone_document(detail, Path.cwd())
        self._saved_text = document_text(self.doc)
        self._fill_form()
        self.check_now()

    def _fill_form(self) -> None:
        for dotted, _ in FORM_FIELDS:
            value = get_path(self.doc, dotted)
            with self.prevent(Input.Changed):
                self.query_one(f"#{_field_id(dotted)}", Input).value = (
                    "" if value is None else str(value)
                )
        self._show_algorithm_settings()
        self._fill_params()

    def _show_algorithm_settings(self) -> None:
        """Show eta and resource for the Hyperband family, or when a value is set."""
        name = get_path(self.doc, "algorithm.name")
        shown = isinstance(name, str) and name.lower() in HYPERBAND_NAMES
        # A stray setting stays visible, so the warning about it can be acted on.
        set_already = (get_path(self.doc, d) is not None for d in _HYPERBAND_FIELDS)
        shown = shown or any(set_already)
        for row in self.query(".-hyperband"):
            row.display = shown

    def _fill_params(self, cursor_on: str | None = None) -> None:
        """Refill the table; the cursor goes to ``cursor_on`` or stays on its row."""
        table = self.query_one("#hyperparams", DataTable)
        row = table.cursor_row
        table.clear()
        params = self.doc.get("hyperparams") or {}
        for name, spec in params.items():
            table.add_row(*_param_cells(name, spec), key=name)
        if cursor_on is not None and cursor_on in params:
            row = list(params).index(cursor_on)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        dotted = next(
            (d for d, _ in FORM_FIELDS if _field_id(d) == event.input.id), None
        )
        if dotted is None:
            return
        value = event.value if dotted == "model.command" else parse_scalar(event.value)
        set_path(self.doc, dotted, value)
        if dotted == "algorithm.name":
            self._show_algorithm_settings()
        if self._check_timer is not None:
            self._check_timer.stop()
        self._check_timer = self.set_timer(_CHECK_DELAY, self.check_now)

    def check_now(self) -> None:
        """Validate the document and show the findings, as ``hpotui validate`` would."""
        report = check_document(self.doc, self.path)
        self.problems = list(report.errors)
        widget = self.query_one("#problems", Static)
        widget.set_class(bool(report.errors), "-bad")
        widget.set_class(report.ok, "-good")
        lines = report.lines() if report.lines() else []
        if report.ok:
            lines.insert(0, "✔ valid experiment")
        if len(lines) > _PROBLEM_ROWS:
            # The box shows a few rows and scrolls; say so, or the rest looks lost.
            lines.insert(0, f"{len(lines)} findings; tab here and scroll for all")
        widget.update(Text("\n".join(lines)))

    def action_add_param(self) -> None:
        dialog = HyperparamDialog(taken=self._param_names())
        self.app.push_screen(dialog, lambda result: self._param_edited(None, result))

    def _param_names(self) -> list[str]:
        params = self.doc.get("hyperparams")
        return [str(name) for name in params] if isinstance(params, dict) else []

    @on(DataTable.RowSelected, "#hyperparams")
    def _edit_param(self, event: DataTable.RowSelected) -> None:
        name = str(event.row_key.value)
        spec = dict((self.doc.get("hyperparams") or {}).get(name) or {})
        dialog = HyperparamDialog(name, spec, taken=self._param_names())
        self.app.push_screen(dialog, lambda result: self._param_edited(name, result))

    def _param_edited(
        self, old: str | None, result: tuple[str, dict[str, Any]] | None
    ) -> None:
        """Put the dialog's parameter where ``old`` was (at the end when new)."""
        if result is None:
            return
        name, spec = result
        if not isinstance(self.doc.get("hyperparams"), dict):
            self.doc["hyperparams"] = CommentedMap()
        params = self.doc["hyperparams"]
        flow = CommentedMap(spec)
        flow.fa.set_flow_style()

        # A rename keeps the parameter's place in the file and in the table.
        names = list(params)
        if old in params and old != name:
            params.pop(old)
            params.insert(names.index(old), name, flow)
        else:
            params[name] = flow
        self._fill_params(cursor_on=name)
        self.check_now()

    def action_remove_param(self) -> None:
        table = self.query_one("#hyperparams", DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        (self.doc.get("hyperparams") or {}).pop(str(key.value), None)
        self._fill_params()
        self.check_now()

    @property
    def unsaved(self) -> bool:
        """Whether the document has edits that no file holds yet."""
        return document_text(self.doc) != self._saved_text

    def action_save(self, then: Callable[[], None] | None = None) -> None:
        """Save to the file, or ask for one; ``then`` runs once the save worked."""
        if self.path is not None:
            if self._save(self.path) and then is not None:
                then()
            return

        def chosen(text: str | None) -> None:
            if text and self._save(Path(text).expanduser()) and then is not None:
                then()

        name = get_path(self.doc, "name") or "experiment"
        prompt = PromptDialog("Save as", "Save the experiment to:", f"{name}.yaml")
        self.app.push_screen(prompt, chosen)

    def _save(self, path: Path) -> bool:
        # A failed save keeps the editor open with every edit, and the file it had.
        try:
            save_document(self.doc, path)
        except HpotuiError as err:
            self.hpo.show_error(err)
            return False
        self.path = path
        self._saved_text = document_text(self.doc)
        self.title = f"hpotui · {path.name}"
        note = "" if not self.problems else f" ({len(self.problems)} problems left)"
        self.notify(f"saved {path}{note}")
        return True

    @work(exclusive=True, group="editor-submit", exit_on_error=False)
    async def action_submit(self) -> None:
        """Check the experiment, save it if it has a file, submit, open the monitor."""
        experiment = load_document(self.doc, self.path)
        if self.path is not None:
            save_document(self.doc, self.path)
            self._saved_text = document_text(self.doc)
        name = await self.backend.submit(experiment)
        self.notify(f"submitted {name}")
        self.hpo.open_monitor(name, replace=True)

    def action_back(self) -> None:
        """Leave the editor, asking first when there are unsaved edits."""
        if not self.unsaved:
            self.hpo.leave(self)
            return

        def chosen(choice: UnsavedChoice | None) -> None:
            if choice == "discard":
                self.hpo.leave(self)
            elif choice == "save":
                self.action_save(then=lambda: self.hpo.leave(self))

        what = self.path.name if self.path else "The new experiment"
        self.app.push_screen(UnsavedDialog(what), chosen)


def _param_cells(name: str, spec: Any) -> list[str]:
    if not isinstance(spec, dict):
        return [name, "?", str(spec), "", ""]
    if "values" in spec:
        span = ", ".join(str(v) for v in spec["values"] or [])
    else:
        span = " … ".join(str(v) for v in spec.get("range") or [])
    return [
        name,
        str(spec.get("type", "auto")),
        span,
        str(spec.get("step", "")),
        "log" if spec.get("log") else "",
    ]
