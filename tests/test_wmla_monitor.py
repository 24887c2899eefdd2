"""Following a remote task through states hpotui does not know, over MockTransport.

A fake clock advances by exactly the wait the monitor asks for, so hours of
polling run in milliseconds and the number of polls is known.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from wmla_helpers import BASE, ScriptedServer, api, fixture, json_reply

from hpotui.backends.profiles import Profile
from hpotui.backends.wmla import WmlaBackend
from hpotui.backends.wmla.book import RemoteTask, TaskBook
from hpotui.backends.wmla.errors import MonitoringGaveUpError
from hpotui.backends.wmla.monitor import UnknownStateWatch
from hpotui.engine.events import ExperimentStateChanged, TrialEnded
from hpotui.states import ExperimentState

RUNNING = fixture("hpo_task_running.json")
NAME = RUNNING["hpoName"]


@pytest.fixture(autouse=True)
def _config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPOTUI_CONFIG_DIR", str(tmp_path / "config"))


class FakeClock:
    """A monotonic clock that moves only when the monitor sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def _in_state(state: str) -> dict[str, Any]:
    """The running fixture with its trials ended, in task state ``state``."""
    task = json.loads(json.dumps(RUNNING))
    task["state"] = state
    for item in task["experiments"]:
        item["state"] = "FINISHED"
        item.setdefault("metricVal", 0.5)
        item.setdefault("endTime", "2020-02-18 21:09:00")
    return task


def _backend(
    server: ScriptedServer, tmp_path: Path, clock: FakeClock, **settings: float
) -> WmlaBackend:
    profile = Profile(
        name="lab", url=BASE, user="alice", poll_interval=60.0, **settings
    )
    backend = WmlaBackend(
        profile, "pw", transport=server.transport(),
        book=TaskBook(tmp_path / "tasks.json"), sleep=clock.sleep, clock=clock,
        fastest_poll=5.0,
    )  # fmt: skip
    backend.book.put(RemoteTask(NAME, "lab", "demo"))
    return backend


def _notices(events: list) -> list[str]:
    return [
        e.reason or ""
        for e in events
        if isinstance(e, ExperimentStateChanged) and "for " in (e.reason or "")
    ]


async def test_unknown_state_is_told_after_the_notice_time_then_followed_to_the_end(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """RECOVERPEND for about 50 minutes, then FINISHED: one notice at 30 minutes
    (the state is not called a failure), and the task is followed to its end."""
    clock = FakeClock()
    polls = 0

    def answer(_request: object) -> Any:
        nonlocal polls
        polls += 1
        state = "RECOVERPEND" if clock.now < 1000.0 + 3000 else "FINISHED"
        return json_reply(_in_state(state))

    server = ScriptedServer().on("GET", api(f"/hypersearch/{NAME}"), answer)
    backend = _backend(server, tmp_path, clock, unknown_state_notice=1800.0)
    with caplog.at_level(logging.WARNING, "hpotui.backends.wmla.backend"):
        events = [event async for event in backend.events(NAME)]

    notices = _notices(events)
    assert len(notices) == 1
    assert notices[0].startswith("the server has reported RECOVERPEND for 30 min")
    assert "not taken as failed" in notices[0]
    assert "RECOVERPEND for 30 min" in caplog.text
    states = [e.state for e in events if isinstance(e, ExperimentStateChanged)]
    assert states[0] is ExperimentState.RUNNING
    assert states[-1] is ExperimentState.FINISHED
    assert ExperimentState.FAILED not in states
    assert [e.trial_id for e in events if isinstance(e, TrialEnded)] == [0, 1, 2, 3]
    assert max(clock.waits) == 60.0  # the steady pace is the profile's interval
    assert polls == len(clock.waits) + 1
    assert backend.book.get("lab", NAME).state == "FINISHED"  # type: ignore[union-attr]
    await backend.close()


async def test_unknown_state_past_the_limit_stops_following_without_failing(
    tmp_path: Path,
) -> None:
    """RECOVERPEND that never ends: notices each hour, then after 3 hours the
    monitor stops with a message saying how to attach again; the local record
    keeps the last known state, not FAILED."""
    clock = FakeClock()
    server = ScriptedServer().on(
        "GET", api(f"/hypersearch/{NAME}"), json_reply(_in_state("RECOVERPEND"))
    )
    backend = _backend(
        server, tmp_path, clock,
        unknown_state_notice=3600.0, unknown_state_limit=3 * 3600.0,
    )  # fmt: skip
    events: list = []
    with pytest.raises(MonitoringGaveUpError) as caught:
        async for event in backend.events(NAME):
            events.append(event)

    message = caught.value.message
    assert "reported RECOVERPEND for 3 h 00 min" in message
    assert "not marked failed" in message
    assert f"hpotui --profile lab attach {NAME}" in message
    assert "--unknown-state-limit" in message
    spans = [re.search(r"for (.+?),", n)[1] for n in _notices(events)]  # type: ignore[index]
    assert spans == ["1 h 00 min", "2 h 00 min"]
    polls = len(server.calls("GET", api(f"/hypersearch/{NAME}")))
    assert polls == len(clock.waits) + 1
    assert 3 * 3600 <= clock.now - 1000.0 < 3 * 3600 + 60
    assert backend.book.get("lab", NAME).state == "RUNNING"  # type: ignore[union-attr]
    await backend.close()


async def test_limit_zero_follows_an_unknown_state_for_as_long_as_it_lasts(
    tmp_path: Path,
) -> None:
    """With unknown_state_limit 0, a task in WAITING for 35 hours is still
    followed, and its end is seen."""
    clock = FakeClock()

    def answer(_request: object) -> Any:
        state = "WAITING" if clock.now < 1000.0 + 35 * 3600 else "STOPPED"
        return json_reply(_in_state(state))

    server = ScriptedServer().on("GET", api(f"/hypersearch/{NAME}"), answer)
    backend = _backend(
        server, tmp_path, clock,
        unknown_state_notice=10 * 3600.0, unknown_state_limit=0,
    )  # fmt: skip
    events = [event async for event in backend.events(NAME)]
    assert len(_notices(events)) == 3
    last = [e for e in events if isinstance(e, ExperimentStateChanged)][-1]
    assert last.state is ExperimentState.STOPPED
    await backend.close()


def test_watch_restarts_its_count_when_the_state_changes() -> None:
    watch = UnknownStateWatch(notice=100.0, limit=250.0)
    assert watch.observe("RECOVERPEND", 0.0) is None
    assert watch.observe("RECOVERPEND", 99.0) is None
    assert "RECOVERPEND for 1 min" in (watch.observe("RECOVERPEND", 100.0) or "")
    assert watch.observe("RECOVERPEND", 150.0) is None
    assert not watch.gave_up(249.0)
    assert watch.observe("WAITING", 240.0) is None
    assert not watch.gave_up(480.0)
    assert watch.gave_up(490.0)
    assert watch.observe(None, 500.0) is None
    assert not watch.gave_up(10_000.0)
