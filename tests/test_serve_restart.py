"""A restarted ``hpotui serve`` continues the tasks it was running."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from wmla_helpers import fixture
from wmla_loopback import start_serve

from hpotui.backends.profiles import Profile
from hpotui.backends.wmla import WmlaBackend
from hpotui.backends.wmla.book import TaskBook
from hpotui.server.app import API
from hpotui.server.users import TOKEN_SECONDS, Accounts, add_user
from hpotui.states import ExperimentState, TrialState
from hpotui.store import Store

TRAIN = textwrap.dedent(
    """
    import json, os, time
    config = json.load(open("config.json"))
    time.sleep(2)
    loss = (config["learning_rate"] - 0.05) ** 2
    path = os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json")
    json.dump([{"steps": 1, "loss": loss}], open(path, "w"))
    """
)
JOBS = 4


@pytest.fixture(autouse=True)
def _config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPOTUI_CONFIG_DIR", str(tmp_path / "config"))


def _request() -> dict:
    body = fixture("request_hpo_random.json")
    body["modelSpec"]["args"] = "--exec-start PyTorch --model-main train.py"
    body["algoDef"].update(maxJobNum=JOBS, maxParalleJobNum=2)
    body["algoDef"]["algoParams"] = [{"name": "RandomSeed", "value": "5"}]
    return body


def _client(port: int, tmp_path: Path) -> WmlaBackend:
    profile = Profile(
        name="alice", url=f"http://127.0.0.1:{port}{API}", user="alice",
        auth="basic", poll_interval=0.3,
    )  # fmt: skip
    return WmlaBackend(
        profile, "alice-pw", book=TaskBook(tmp_path / "book.json"), fastest_poll=0.1
    )


async def _wait_for_a_running_trial(client: WmlaBackend, name: str) -> None:
    for _ in range(200):
        detail = await client.get_experiment(name)
        if any(t.state is TrialState.RUNNING for t in detail.trials):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no trial of {name} started")


@pytest.mark.parametrize(
    "how", [signal.SIGKILL, signal.SIGTERM], ids=["kill", "term"]
)
async def test_a_task_running_when_serve_went_down_finishes_after_a_restart(
    tmp_path: Path, how: signal.Signals
) -> None:
    """A task whose server was killed (or stopped) mid-run is continued by the
    restarted server: it ends FINISHED with max_jobs trials, each shown once, and
    the interrupted trials are run again rather than left RUNNING or STOPPED."""
    users = tmp_path / "users.json"
    add_user(users, "alice", "alice-pw")
    model = tmp_path / "toy"
    model.mkdir()
    (model / "train.py").write_text(TRAIN)
    workspace = tmp_path / "ws"

    process, port, _ = start_serve(workspace, users)
    try:
        client = _client(port, tmp_path)
        name = await client.submit_request(_request(), model)
        await _wait_for_a_running_trial(client, name)
    finally:
        process.send_signal(how)
        process.wait(20)
    await client.close()

    process, port, _ = start_serve(workspace, users, port)
    try:
        client = _client(port, tmp_path)
        [event async for event in client.events(name)]
        detail = await client.get_experiment(name)
        await client.close()
    finally:
        process.terminate()
        process.wait(20)

    assert detail.summary.state is ExperimentState.FINISHED
    assert [t.state for t in detail.trials] == [TrialState.FINISHED] * JOBS
    assert len({t.id for t in detail.trials}) == JOBS
    assert len({json.dumps(t.params) for t in detail.trials}) == JOBS
    stored = Store(workspace / "server" / "users" / "alice").trials(name)
    interrupted = [t for t in stored if t.state is TrialState.INTERRUPTED]
    assert interrupted, "the server went down before any trial was running"
    assert {t.id for t in interrupted} <= {t.retry_of for t in stored}


async def test_following_rides_out_a_restart_of_serve(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A client following a task keeps following while the server is down for
    longer than 15 s (it used to give up after 5 refused connections, about 15 s):
    the refused connections are retried (and logged), and it sees the task finish."""
    users = tmp_path / "users.json"
    add_user(users, "alice", "alice-pw")
    model = tmp_path / "toy"
    model.mkdir()
    (model / "train.py").write_text(TRAIN)
    workspace = tmp_path / "ws"

    process, port, _ = start_serve(workspace, users)
    client = _client(port, tmp_path)
    try:
        name = await client.submit_request(_request(), model)
        await _wait_for_a_running_trial(client, name)
        following = asyncio.ensure_future(
            asyncio.wait_for(_collect(client, name), 120)
        )
        process.send_signal(signal.SIGKILL)
        process.wait(20)
        with caplog.at_level(logging.WARNING):
            await asyncio.sleep(16.0)  # the client meets a closed port meanwhile
            process, port, _ = await asyncio.to_thread(
                start_serve, workspace, users, port
            )
            await following
        detail = await client.get_experiment(name)
    finally:
        await client.close()
        process.terminate()
        process.wait(20)

    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) >= 6, refusals
    assert "connection refused" in refusals[5] and "retrying 6, down 1" in refusals[5]
    assert detail.summary.state is ExperimentState.FINISHED
    assert [t.state for t in detail.trials] == [TrialState.FINISHED] * JOBS


async def _collect(client: WmlaBackend, name: str) -> list:
    return [event async for event in client.events(name)]


def _cli(*args: str, stdin: str = "") -> str:
    from click.testing import CliRunner

    from hpotui.cli.main import _register_verbs, cli

    _register_verbs()
    result = CliRunner().invoke(cli, list(args), input=stdin)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def test_a_saved_token_still_works_after_serve_is_killed_and_restarted(
    tmp_path: Path,
) -> None:
    """A profile logged on with a token lists its tasks after `hpotui serve` was
    killed with SIGKILL and started again, without logging on a second time."""
    users = tmp_path / "users.json"
    add_user(users, "alice", "alice-pw")
    model = tmp_path / "toy"
    model.mkdir()
    (model / "train.py").write_text(TRAIN)
    workspace = tmp_path / "ws"

    process, port, _ = start_serve(workspace, users)
    try:
        url = f"http://127.0.0.1:{port}{API}"
        _cli("login", "srv", "--url", url, "--user", "alice", "--auth", "token",
             "--password-stdin", stdin="alice-pw\n")  # fmt: skip
        name = asyncio.run(_submit(port, tmp_path, model))
        before = _cli("--profile", "srv", "list")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(20)

    process, port, _ = start_serve(workspace, users, port)
    try:
        after = _cli("--profile", "srv", "list")
    finally:
        process.terminate()
        process.wait(20)

    assert name in before and name in after
    key = workspace / "server" / "token.key"
    assert key.stat().st_mode & 0o777 == 0o600


async def _submit(port: int, tmp_path: Path, model: Path) -> str:
    client = _client(port, tmp_path)
    try:
        return await client.submit_request(_request(), model)
    finally:
        await client.close()


def test_tokens_are_refused_when_forged_expired_or_the_password_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token names its user and expiry under the server's key: a token from a
    server with another key, a tampered user name, an expired token and a token
    issued before the user's password changed are all refused."""
    users = tmp_path / "users.json"
    add_user(users, "alice", "alice-pw")
    add_user(users, "bob", "bob-pw")
    accounts = Accounts(users, tmp_path / "server" / "token.key")
    token = accounts.issue_token("alice")

    assert Accounts(users, tmp_path / "server" / "token.key").user_of_token(token) \
        == "alice"
    assert Accounts(users, tmp_path / "other.key").user_of_token(token) is None
    _, expires, mac = token.split(".")
    assert accounts.user_of_token(f"Ym9i.{expires}.{mac}") is None  # "bob"
    assert accounts.user_of_token("not-a-token") is None
    assert accounts.user_of_token("a.b.c") is None

    later = time.time() + TOKEN_SECONDS + 1
    monkeypatch.setattr("hpotui.server.users.time.time", lambda: later)
    assert accounts.user_of_token(token) is None
    monkeypatch.undo()

    add_user(users, "alice", "new-pw")
    assert accounts.user_of_token(token) is None
    assert accounts.user_of_token(accounts.issue_token("alice")) == "alice"


def test_following_a_server_that_stays_down_ends_with_the_attach_hint(
    tmp_path: Path,
) -> None:
    """`hpotui --profile srv run FILE` following a task whose server is killed and
    not started again retries for the profile's reconnect window (2 s here), then
    exits with code 1 saying the task may still be running and how to attach,
    instead of blaming the profile's base URL."""
    users = tmp_path / "users.json"
    add_user(users, "alice", "alice-pw")
    model = tmp_path / "toy"
    model.mkdir()
    (model / "train.py").write_text(TRAIN)
    experiment = tmp_path / "toy_request.json"
    request = _request()
    request["modelSpec"]["args"] += " --model-dir toy"
    experiment.write_text(json.dumps(request))

    process, port, _ = start_serve(tmp_path / "ws", users)
    try:
        url = f"http://127.0.0.1:{port}{API}"
        _cli("login", "srv", "--url", url, "--user", "alice", "--auth", "token",
             "--poll-interval", "0.5", "--reconnect-window", "2",
             "--password-stdin", stdin="alice-pw\n")  # fmt: skip
        command = [sys.executable, "-m", "hpotui", "--profile", "srv", "run",
                   str(experiment), "--no-ui"]  # fmt: skip
        following = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        seen = ""
        while "started" not in seen:
            line = following.stdout.readline()  # type: ignore[union-attr]
            assert line, (seen, following.stderr.read())  # type: ignore[union-attr]
            seen += line
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(20)
    out, err = following.communicate(timeout=120)

    name = next(w for w in seen.split() if w.startswith("alice-hpo-")).rstrip(":")
    assert following.returncode == 1, (seen + out, err)
    assert "Traceback" not in err
    assert f"Stopped following {name}" in err
    assert "may still be running on the server" in err
    assert f"`hpotui --profile srv attach {name}`" in err
    assert "Check the base URL" not in err
    assert "retrying 1, down 0 s of at most 2 s" in err
