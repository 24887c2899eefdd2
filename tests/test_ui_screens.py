"""Experiments, trial detail, editor and log-on screens, driven by keys."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import trustme
from engine_support import experiment
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input, Log, OptionList, Static
from uihelpers import EVENTS, SAMPLES, app_over, replay_app, settle
from wmla_loopback import API, PASSWORD, USER, serving

from hpotui.backends.base import LogTail
from hpotui.backends.local import LocalBackend
from hpotui.backends.replay import ReplayBackend
from hpotui.records import ExperimentSummary
from hpotui.states import ExperimentState, TrialState
from hpotui.ui.dialogs import ConfirmDialog, ErrorDialog, PromptDialog
from hpotui.ui.dialogs.hyperparam import HyperparamDialog, parse_scalar
from hpotui.ui.screens.editor import EditorScreen
from hpotui.ui.screens.experiments import ExperimentsScreen
from hpotui.ui.screens.logon import LogonScreen
from hpotui.ui.screens.monitor import MonitorScreen
from hpotui.ui.screens.trial import LOG_LINES, TrialScreen
from hpotui.ui.widgets.trial_table import TrialTable


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A copy of the main sample experiment, with its model folder."""
    shutil.copytree(SAMPLES / "digits_mlp", tmp_path / "digits_mlp")
    target = tmp_path / "digits_random.yaml"
    shutil.copy(SAMPLES / "digits_random.yaml", target)
    return target


async def test_experiments_lists_and_opens_with_enter() -> None:
    app = replay_app(start="experiments")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExperimentsScreen)
        table = screen.query_one(DataTable)
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[:4] == ["digits-random", "✔ FINISHED", "10/12", "0.378315"]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MonitorScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ExperimentsScreen)


async def test_delete_asks_first_and_no_keeps_everything() -> None:
    app = replay_app(start="experiments")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDialog)
        assert "digits-random" in app.screen.question
        await pilot.press("enter")  # focus is on No
        await settle(pilot)
        assert isinstance(app.screen, ExperimentsScreen)
        await pilot.press("d")
        await pilot.click("#yes")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "cannot delete" in app.screen.message


async def test_new_from_yaml_opens_the_editor_on_the_file(sample: Path) -> None:
    app = replay_app(start="experiments")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one(Input).value = str(sample)
        await pilot.press("enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        assert editor.query_one("#field-name", Input).value == "digits-random"
        assert editor.query_one("#hyperparams", DataTable).row_count == 3
        assert "valid experiment" in str(editor.query_one("#problems").render())


async def test_editor_shows_validate_messages_inline_and_keeps_comments(
    sample: Path,
) -> None:
    app = replay_app(start="editor", path=sample)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        editor = app.screen
        editor.query_one("#field-limits-max-run-time", Input).value = "0"
        await pilot.pause(0.6)
        problems = str(editor.query_one("#problems").render())
        assert "digits_random.yaml:8" in problems
        assert "max_run_time" in problems
        editor.query_one("#field-limits-max-run-time", Input).value = "5m"
        editor.query_one("#field-name", Input).value = "digits-edited"
        await pilot.pause(0.6)
        assert editor.problems == []
        await pilot.press("ctrl+s")
        await pilot.pause()
    text = sample.read_text()
    assert "name: digits-edited" in text
    assert "max_run_time: 5m" in text
    assert "# validation log-loss, per epoch" in text


async def test_editor_builds_an_experiment_from_nothing(tmp_path: Path) -> None:
    target = tmp_path / "fresh.yaml"
    app = replay_app(start="editor", path=target)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        editor = app.screen
        await pilot.press("ctrl+a")
        dialog = app.screen
        assert isinstance(dialog, HyperparamDialog)
        dialog.query_one("#hp-name", Input).value = "lr"
        dialog.query_one("#hp-low", Input).value = "0"
        dialog.query_one("#hp-high", Input).value = "0.1"
        dialog.query_one("#hp-log").value = True
        await pilot.click("#ok")
        await pilot.pause()
        problems = str(editor.query_one("#problems").render())
        assert "hyperparams.lr" in problems and "log" in problems
        table = editor.query_one("#hyperparams", DataTable)
        assert [str(c) for c in table.get_row_at(0)][:3] == ["lr", "auto", "0 … 0.1"]
        await pilot.press("ctrl+d")
        assert table.row_count == 0
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert "name: new-experiment" in target.read_text()


def test_typed_values_read_as_yaml_reads_them() -> None:
    assert parse_scalar("30") == 30
    assert parse_scalar("1e-4") == 0.0001
    assert parse_scalar("relu") == "relu"
    assert parse_scalar(" ") is None


async def test_trial_detail_shows_config_metrics_and_log_note() -> None:
    app = replay_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.screen.query_one(TrialTable).select_trial(1)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TrialScreen)
        config = str(screen.query_one("#trial-config", Static).render())
        assert '"hidden_units": 80' in config
        await pilot.press("2")
        await pilot.pause()
        metrics = screen.query_one("#trial-metrics", DataTable)
        assert metrics.row_count == 6
        assert [str(c) for c in metrics.get_row_at(5)] == ["5", "0.378315"]
        await pilot.press("3")
        note = str(screen.query_one("#log-note", Static).render())
        assert "keeps no trial logs" in note
        assert screen.query_one(Log).line_count == 0


async def test_logon_lists_embedded_and_asks_for_a_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HPOTUI_CONFIG_DIR", str(tmp_path))
    app = replay_app(start="logon")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LogonScreen)
        options = screen.query_one(OptionList)
        assert options.get_option_at_index(0).id == "embedded"
        assert not screen.query_one("#remote-form").display
        await pilot.press("down")
        await pilot.pause()
        assert screen.query_one("#remote-form").display
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "needs a name, a URL and a user" in app.screen.message


async def test_logon_to_an_unreachable_server_names_the_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HPOTUI_CONFIG_DIR", str(tmp_path))
    app = replay_app(start="logon")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("down")
        screen = app.screen
        for key, value in {
            "name": "lab", "url": "http://127.0.0.1:9/dl/v1", "user": "alice",
            "password": "secret",
        }.items():
            screen.query_one(f"#field-{key}", Input).value = value
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "127.0.0.1:9" in app.screen.message
        assert not (tmp_path / "profiles.json").exists()


_NOISY_TRAINING = """
sys.stdout.write("".join(f"line {i}\\n" for i in range(200_000)))
report([{"step": 1, "loss": 0.25}])
"""


async def test_a_huge_log_shows_its_tail_and_the_path(tmp_path: Path) -> None:
    """A trial that printed 200,000 lines: the log tab shows the last 500 (the end
    of the file, not its start) and names the file that holds them all."""
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    name = await backend.submit(
        experiment(tmp_path, _NOISY_TRAINING, hyperparams={"x": {"values": [1]}})
    )
    await backend.wait(name)
    app = app_over(backend, start="monitor", experiment=name)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TrialScreen)
        await pilot.press("3")
        await pilot.pause()
        log = screen.query_one(Log)
        assert log.line_count == LOG_LINES
        assert log.lines[0] == f"line {200_000 - LOG_LINES}"
        assert log.lines[-1] == "line 199999"
        note = str(screen.query_one("#log-note", Static).render())
        assert note.startswith(f"last {LOG_LINES} lines; the whole log is ")
        whole = Path(note.rsplit(" ", 1)[-1])
        assert whole.read_text().count("\n") == 200_000


def _fails_once(mark: Path) -> str:
    return f"""
if config["x"] == 2 and not os.path.exists({str(mark)!r}):
    open({str(mark)!r}, "w").close()
    sys.exit("a transient fault")
report([{{"step": 1, "loss": config["x"] / 10}}])
"""


async def test_experiments_keys_clone_retry_and_refresh(tmp_path: Path) -> None:
    """A stored run with one failed trial: c opens its copy in the editor, t reruns
    the failed trial (which now succeeds) and the list shows the new outcome."""
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    name = await backend.submit(experiment(tmp_path, _fails_once(tmp_path / "mark")))
    await backend.wait(name)
    app = app_over(backend, start="experiments")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExperimentsScreen)
        assert screen.summaries[name].failed == 1

        await pilot.press("c")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        assert editor.query_one("#field-name", Input).value == f"{name}-copy"
        assert editor.query_one("#hyperparams", DataTable).row_count == 1
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen

        await pilot.press("t")
        await settle(pilot)
        notes = [n.message for n in app._notifications]
        assert f"1 failed trials of {name} queued again" in notes
        await backend.wait(name)
        await pilot.press("r")
        await settle(pilot)
        rerun = [t for t in (await backend.get_experiment(name)).trials if t.id > 1]
        assert [(t.params, t.state, t.value) for t in rerun] == [
            ({"x": 2}, TrialState.FINISHED, 0.2)
        ]
        row = [str(cell) for cell in screen.query_one(DataTable).get_row_at(0)]
        assert row[:2] == [name, "✔ FINISHED"]
        summary = screen.summaries[name]
        assert (summary.completed, summary.failed) == (2, 0)  # the rerun replaces it


async def test_a_cut_remote_log_names_the_command_that_prints_it_whole() -> None:
    """A remote log has no local file to point to: the note names the command."""
    app = replay_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TrialScreen)
        note = screen._log_note(LogTail(["a", "b"], None, truncated=True))
        command = f"hpotui --profile replay logs {screen.experiment} 1 -n 0"
        assert note == f"last 2 lines; `{command}` prints the whole log"
        assert screen._log_note(LogTail(["a"], "/x/stdout.log", False)) == (
            "/x/stdout.log"
        )


class _BrokenList(ReplayBackend):
    """A backend whose listing fails in a way no error class foresaw."""

    async def list_experiments(self) -> list[ExperimentSummary]:
        raise RuntimeError("socket closed mid-read")


async def test_an_unforeseen_worker_error_is_reported_not_a_crash() -> None:
    """Reads the app makes on its own report a failure as a notification (a dialog
    would come back after every close); r, asked for, shows it in a dialog."""
    app = app_over(_BrokenList(EVENTS), start="experiments")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ExperimentsScreen)
        notes = [(n.title, n.message) for n in app._notifications]
        expected = ("Unexpected error", "RuntimeError: socket closed mid-read")
        assert expected in notes
        await pilot.press("r")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ErrorDialog)
        assert dialog.message == expected[1]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ExperimentsScreen)
    assert app.return_code in (0, None)


async def test_logon_over_tls_names_both_fixes_and_insecure_stays_visible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A private CA: the default refuses and names --ca-bundle and insecure; with
    TLS checks off the user is warned once and the status bar keeps saying so."""
    monkeypatch.setenv("HPOTUI_CONFIG_DIR", str(tmp_path))
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    key_file, cert_file = tmp_path / "key.pem", tmp_path / "cert.pem"
    cert.private_key_pem.write_to_path(str(key_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    with serving(ssl_keyfile=str(key_file), ssl_certfile=str(cert_file)) as port:
        app = replay_app(start="logon")
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("down")
            screen = app.screen
            for key, value in {
                "name": "lab", "url": f"https://127.0.0.1:{port}{API}",
                "user": USER, "password": PASSWORD,
            }.items():
                screen.query_one(f"#field-{key}", Input).value = value
            await pilot.press("ctrl+s")
            await settle(pilot)
            refused = app.screen
            assert isinstance(refused, ErrorDialog)
            assert "--ca-bundle" in refused.message and "insecure" in refused.message
            await pilot.press("escape")
            await pilot.pause()

            screen.query_one("#field-insecure", Checkbox).value = True
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, ExperimentsScreen)
            assert app.screen.sub_title == "lab · ⚠ TLS not verified"
            warnings = [n.message for n in app._notifications if n.title == "Insecure"]
            assert warnings == [
                "TLS verification is off for lab: anyone on the network path can "
                "read and change what is sent. Use --ca-bundle FILE instead."
            ]


async def test_experiments_keys_stop_resume_and_delete(tmp_path: Path) -> None:
    """s stops a live run, u resumes it in the monitor, d deletes it after a yes."""
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    slow = "time.sleep(60)\nreport([{'step': 1, 'loss': 1.0}])\n"
    name = await backend.submit(experiment(tmp_path, slow))
    app = app_over(backend, start="experiments")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExperimentsScreen)

        await pilot.press("s")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")
        await backend.wait(name)
        await pilot.press("r")
        await settle(pilot)
        assert screen.summaries[name].state == ExperimentState.STOPPED

        await pilot.press("u")
        while not isinstance(app.screen, MonitorScreen):
            await pilot.pause(0.05)
        summary = (await backend.get_experiment(name)).summary
        assert summary.state == ExperimentState.RUNNING and summary.running == 1
        await pilot.press("s")  # the monitor's stop, on the resumed run
        await pilot.click("#yes")
        await backend.wait(name)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert screen.summaries[name].state == ExperimentState.STOPPED

        await pilot.press("d")
        await pilot.click("#yes")
        await settle(pilot)
        assert screen.summaries == {}
        assert await backend.list_experiments() == []


_PRINTS_SLOWLY = """
for i in range(120):
    print(f"step {i}", flush=True)
    time.sleep(0.1)
report([{"step": 1, "loss": 0.5}])
"""


def _last_visible_step(log: Log) -> int:
    bottom = log.scrollable_content_region.height - 1
    text = log.render_line(bottom).text.strip()
    assert text.startswith("step "), text
    return int(text.split()[1])


async def _open_running_log(pilot: Pilot[Any]) -> Log:
    table = pilot.app.screen.query_one(TrialTable)
    while table.selected_trial is None or (
        table.cell_text(0, "state") != "▶ RUNNING"
    ):
        await pilot.pause(0.05)
    await pilot.press("enter", "3")
    log = pilot.app.screen.query_one(Log)
    while log.line_count < 40:  # not settle: the run's follow never ends
        await pilot.pause(0.1)
    return log


async def test_the_log_tab_follows_a_running_trial_until_scrolled_up(
    tmp_path: Path,
) -> None:
    """The log was rewritten every second and stuck at its first lines; it must
    keep its last line in view, and stay put once the user scrolls up."""
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    name = await backend.submit(
        experiment(tmp_path, _PRINTS_SLOWLY, hyperparams={"x": {"values": [1]}})
    )
    app = app_over(backend, start="monitor", experiment=name)
    async with app.run_test(size=(80, 24)) as pilot:
        log = await _open_running_log(pilot)
        await pilot.pause(0.2)
        first = _last_visible_step(log)
        assert first >= 35
        await pilot.pause(2.5)
        later = _last_visible_step(log)
        assert later >= first + 10
        assert log.lines[-1] == f"step {later}"

        log.scroll_home(animate=False)
        await pilot.pause(2.5)
        assert log.scroll_y == 0
        assert log.lines[0] == "step 0" and log.line_count > later + 10
        await backend.stop(name)


_FAILS_LOUDLY = """
for i in range(30):
    print(f"warning {i}: something went wrong", file=sys.stderr)
print("ValueError: [/bold] is not a [red] colour", file=sys.stderr)
sys.exit(1)
"""


async def test_a_long_failure_reason_leaves_the_tabs_the_screen(tmp_path: Path) -> None:
    """The stderr lines of a failure's reason filled an 80x24 screen, leaving the
    config as a lone `{`; the header must quote a few lines and the config show
    whole, with the full reason one key away; `[/bold]` in stderr is text."""
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    params = {name: {"values": [1]} for name in ("a", "b", "c", "d", "e", "f")}
    name = await backend.submit(experiment(tmp_path, _FAILS_LOUDLY, hyperparams=params))
    await backend.wait(name)
    app = app_over(backend, start="monitor", experiment=name)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TrialScreen)
        reason = screen.trial.reason if screen.trial else None
        assert reason is not None and len(reason.splitlines()) == 11

        quoted = screen.query_one("#trial-reason", Static)
        assert quoted.size.height == 3
        assert "ValueError: [/bold] is not a [red] colour" in str(quoted.render())
        assert "9 more lines" in str(quoted.render())
        config = screen.query_one("#trial-config", Static)
        text = str(config.render())
        assert text.startswith('{\n  "a": 1,') and '"f": 1\n}' in text
        shown = screen.find_widget(config).visible_region
        assert shown.height == config.size.height >= len(text.splitlines())

        await pilot.press("4")
        await pilot.pause()
        whole = screen.query_one("#trial-reason-full", Static)
        assert str(whole.render()).strip() == reason

        await pilot.press("3")
        await pilot.pause()
        log = screen.query_one(Log)
        assert log.lines[-1] == "ValueError: [/bold] is not a [red] colour"
        assert screen.find_widget(log).visible_region.height >= 10
