"""The dashboard against ``hpotui serve`` on loopback, switched to it by a profile.

The server is the real application of ``hpotui serve``; the trials are real
processes of a small training script.
"""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import trustme
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, Select
from uihelpers import replay_app, settle
from wmla_helpers import fixture
from wmla_loopback import serving

from hpotui.backends.profiles import Profile, load_profiles
from hpotui.backends.wmla import WmlaBackend
from hpotui.experiment.loader import load_experiment
from hpotui.server.app import API, create_app
from hpotui.server.users import add_user
from hpotui.states import ExperimentState
from hpotui.ui.app import HpotuiApp
from hpotui.ui.dialogs import ConfirmDialog
from hpotui.ui.screens.experiments import ExperimentsScreen
from hpotui.ui.screens.monitor import MonitorScreen

pytestmark = pytest.mark.slow

TRAIN = textwrap.dedent(
    """
    import json, os, sys, time
    config = json.load(open("config.json"))
    if "--sleep" in sys.argv:
        time.sleep(float(sys.argv[sys.argv.index("--sleep") + 1]))
    loss = (float(config["learning_rate"]) - 0.05) ** 2
    path = os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json")
    json.dump([{"steps": 1, "loss": loss}], open(path, "w"))
    """
)


@pytest.fixture(autouse=True)
def _config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPOTUI_CONFIG_DIR", str(tmp_path / "config"))


def _request_file(tmp_path: Path, jobs: int, extra_args: str = "") -> Path:
    """A WML-A request (as a notebook sends it) next to its model folder ``toy``."""
    model = tmp_path / "toy"
    model.mkdir(exist_ok=True)
    (model / "train.py").write_text(TRAIN)
    body = fixture("request_hpo_random.json")
    body["modelSpec"]["args"] = (
        f"--exec-start PyTorch --model-main train.py --model-dir toy {extra_args}"
    ).strip()
    body["algoDef"].update(maxJobNum=jobs, maxParalleJobNum=2)
    body["algoDef"]["algoParams"] = [{"name": "RandomSeed", "value": "4"}]
    path = tmp_path / f"request_{jobs}.json"
    path.write_text(json.dumps(body))
    return path


def _profile(port: int, **fields: Any) -> Profile:
    return Profile(name="srv", url=f"http://127.0.0.1:{port}{API}", user="alice",
                   auth="token", poll_interval=0.5, **fields)  # fmt: skip


async def _until(pilot: Pilot[Any], check: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the dashboard never got there"
        await pilot.pause(0.2)


def _loss(params: dict[str, Any]) -> float:
    return (params["learning_rate"] - 0.05) ** 2


async def test_log_on_to_serve_open_a_task_and_stop_another(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    add_user(users, "alice", "alice-pw")
    done_file = _request_file(tmp_path, jobs=3)
    slow_file = _request_file(tmp_path, jobs=2, extra_args="--sleep 60")
    with serving(create_app(tmp_path / "server", users)) as port:
        client = WmlaBackend(_profile(port), "alice-pw", fastest_poll=0.1)
        done = await client.submit(load_experiment(done_file))
        async for _event in client.events(done):
            pass
        slow = await client.submit(load_experiment(slow_file))

        app = replay_app(start="logon")
        async with app.run_test(size=(120, 32)) as pilot:
            await settle(pilot)
            assert app.screen.query_one(OptionList).option_count == 2
            await pilot.press("down")  # "+ new WML-A profile"
            fields = {"name": "srv", "url": f"http://127.0.0.1:{port}{API}",
                      "user": "alice", "password": "alice-pw"}
            for key, value in fields.items():
                app.screen.query_one(f"#field-{key}", Input).value = value
            app.screen.query_one("#field-auth", Select).value = "token"
            await pilot.press("ctrl+s")
            await _until(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
            screen = app.screen
            await settle(pilot)
            table = screen.query_one(DataTable)
            assert {str(table.get_row_at(i)[0]) for i in range(table.row_count)} == {
                done, slow
            }
            assert screen.sub_title == "srv"
            assert load_profiles()["srv"].auth == "token"

            table.move_cursor(row=table.get_row_index(done))
            await pilot.press("enter")
            await _until(pilot, lambda: isinstance(app.screen, MonitorScreen))
            monitor = app.screen
            await _until(pilot, lambda: monitor.model is not None
                         and monitor.model.state is ExperimentState.FINISHED)
            trials = monitor.model.trials  # type: ignore[union-attr]
            assert sorted(trials) == [0, 1, 2]
            for trial in trials.values():
                assert trial.value == pytest.approx(_loss(trial.params))

            await pilot.press("escape")
            await _until(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
            table = app.screen.query_one(DataTable)
            table.move_cursor(row=table.get_row_index(slow))
            await pilot.press("s")
            await _until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await pilot.click("#yes")
            await _until(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
            await settle(pilot)

        async def stopped() -> bool:
            detail = await client.get_experiment(slow)
            return detail.summary.state is ExperimentState.STOPPED

        deadline = time.monotonic() + 30
        while not await stopped():
            assert time.monotonic() < deadline, f"{slow} was never stopped"
            time.sleep(0.2)
        await client.close()


async def test_dashboard_submits_to_serve_and_follows_to_the_end(
    tmp_path: Path,
) -> None:
    users = tmp_path / "users.json"
    add_user(users, "alice", "alice-pw")
    experiment = load_experiment(_request_file(tmp_path, jobs=3))
    with serving(create_app(tmp_path / "server", users)) as port:
        backend = WmlaBackend(_profile(port), "alice-pw", fastest_poll=0.1)
        await backend.log_on()
        app = HpotuiApp(backend, submit=experiment)
        async with app.run_test(size=(120, 32)) as pilot:
            await _until(pilot, lambda: isinstance(app.screen, MonitorScreen))
            monitor = app.screen
            await _until(pilot, lambda: monitor.model is not None
                         and monitor.model.state is ExperimentState.FINISHED)
            name = monitor.experiment
            trials = monitor.model.trials  # type: ignore[union-attr]
            assert len(trials) == 3
            assert name.startswith("alice-hpo-")
        checker = WmlaBackend(_profile(port), "alice-pw")
        detail = await checker.get_experiment(name)
        await checker.close()
    assert {t.id: t.value for t in detail.trials} == {
        i: pytest.approx(_loss(t.params)) for i, t in trials.items()
    }


async def test_insecure_profile_is_flagged_in_the_header_and_told_once(
    tmp_path: Path,
) -> None:
    """A profile that skips TLS checks: one warning notification naming the
    profile, and a flag in the header of every screen while it is in use."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    key_file, cert_file = tmp_path / "key.pem", tmp_path / "cert.pem"
    cert.private_key_pem.write_to_path(str(key_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    with serving(ssl_keyfile=str(key_file), ssl_certfile=str(cert_file)) as port:
        profile = Profile(name="lab", url=f"https://127.0.0.1:{port}{API}",
                          user="alice", auth="basic", insecure=True)  # fmt: skip
        backend = WmlaBackend(profile, "pa55word")
        app = HpotuiApp(backend)
        async with app.run_test(size=(120, 32)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, ExperimentsScreen)
            assert app.screen.sub_title == "lab · ⚠ TLS not verified"
            assert app.screen.query_one(DataTable).row_count == len(
                fixture("hpo_task_list.json")
            )
            await pilot.press("ctrl+l")
            await settle(pilot)
            assert app.screen.sub_title == "lab · ⚠ TLS not verified"
            warnings = [n.message for n in app._notifications]
            assert len(warnings) == 1
            assert warnings[0].startswith("TLS verification is off for lab")
