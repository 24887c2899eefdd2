"""``hpotui serve`` end to end over loopback, driven by the real WML-A client."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from wmla_helpers import fixture
from wmla_loopback import serve_command, serving

from hpotui.algorithms.registry import builtin_names
from hpotui.backends.profiles import Profile
from hpotui.backends.wmla import WmlaBackend
from hpotui.backends.wmla.book import TaskBook
from hpotui.backends.wmla.errors import RemoteRefusedError
from hpotui.server.app import API, create_app
from hpotui.server.users import add_user
from hpotui.states import ExperimentState, TrialState

TRAIN = textwrap.dedent(
    """
    import json, os, sys, time
    config = json.load(open("config.json"))
    if "--sleep" in sys.argv:
        time.sleep(float(sys.argv[sys.argv.index("--sleep") + 1]))
    loss = (config["learning_rate"] - 0.05) ** 2
    print("trained with", config["learning_rate"], "loss", loss, flush=True)
    path = os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json")
    json.dump([{"steps": 1, "loss": loss}], open(path, "w"))
    """
)


@pytest.fixture(autouse=True)
def _config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPOTUI_CONFIG_DIR", str(tmp_path / "config"))


def _model(tmp_path: Path) -> Path:
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / "train.py").write_text(TRAIN)
    return folder


def _request(extra_args: str = "", jobs: int = 4) -> dict:
    body = fixture("request_hpo_random.json")
    body["modelSpec"]["args"] = (
        f"--exec-start PyTorch --model-main train.py --model-dir toy {extra_args}"
    ).strip()
    body["algoDef"].update(maxJobNum=jobs, maxParalleJobNum=2)
    body["algoDef"]["algoParams"] = [{"name": "RandomSeed", "value": "3"}]
    return body


def _client(
    port: int, user: str, tmp_path: Path, auth: str = "token"
) -> WmlaBackend:
    profile = Profile(
        name=user, url=f"http://127.0.0.1:{port}{API}", user=user, auth=auth,  # type: ignore[arg-type]
        poll_interval=0.5,
    )
    return WmlaBackend(
        profile, f"{user}-pw", book=TaskBook(tmp_path / f"{user}.json"),
        fastest_poll=0.1,
    )


async def _follow(client: WmlaBackend, name: str) -> list:
    return [event async for event in client.events(name)]


async def test_submit_follow_logs_download_stop_isolate_delete(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    add_user(users, "alice", "alice-pw")
    add_user(users, "bob", "bob-pw")
    app = create_app(tmp_path / "server", users)
    model = _model(tmp_path)
    with serving(app) as port:
        alice, bob = _client(port, "alice", tmp_path), _client(port, "bob", tmp_path)
        await alice.log_on()
        await bob.log_on()

        name = await alice.submit_request(_request(), model)
        assert name.startswith("alice-hpo-") and len(name.split("-")[-1]) == 16
        await _follow(alice, name)
        detail = await alice.get_experiment(name)
        assert detail.summary.state is ExperimentState.FINISHED
        assert [t.state for t in detail.trials] == [TrialState.FINISHED] * 4
        for trial in detail.trials:
            expected = (trial.params["learning_rate"] - 0.05) ** 2
            assert trial.value == pytest.approx(expected)
        assert detail.summary.best_value == min(t.value for t in detail.trials)

        log = await alice.trial_log(name, 2)
        assert any(line.startswith("trained with") for line in log.lines)
        folder = await alice.download_results(name, 2, tmp_path / "results")
        records = json.loads(next(folder.rglob("val_dict_list.json")).read_text())
        assert records[0]["loss"] == pytest.approx(detail.trials[2].value)

        slow = await alice.submit_request(_request("--sleep 30", jobs=2), model)
        assert await bob.list_experiments() == []
        with pytest.raises(RemoteRefusedError) as hidden:
            await bob.stop(slow)
        assert hidden.value.status == 404
        await alice.stop(slow)
        await _follow(alice, slow)
        stopped = await alice.get_experiment(slow)
        assert stopped.summary.state is ExperimentState.STOPPED

        await alice.delete(name)
        names = [s.name for s in await alice.list_experiments()]
        assert names == [slow]
        await alice.close()
        await bob.close()


async def test_wmla_notebook_requests_get_fixture_shaped_answers(
    tmp_path: Path,
) -> None:
    users = tmp_path / "users.json"
    add_user(users, "Admin", "pw")
    app = create_app(tmp_path / "server", users, max_upload=4096)
    model = _model(tmp_path)
    archive = tmp_path / "toy.modelDir.tar"
    import tarfile

    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(model, arcname="toy")
    with serving(app) as port:
        base = f"http://127.0.0.1:{port}{API}"
        auth = ("Admin", "pw")
        async with httpx.AsyncClient(auth=auth, timeout=30) as http:
            sent = await http.post(
                f"{base}/hypersearch",
                files={"data": (None, json.dumps(_request(jobs=2))),
                       "file": ("toy.modelDir.tar", archive.open("rb"))},
            )
            assert sent.status_code == 200, sent.text
            name = sent.json()
            assert isinstance(name, str)
            task = (await http.get(f"{base}/hypersearch/{name}")).json()
            assert set(fixture("hpo_task_running.json")) - {"best"} <= set(task)
            assert task["progress"].endswith("/2")
            assert len(task["createtime"]) == 19
            unknown = await http.get(f"{base}/hypersearch/Admin-hpo-1")
            assert unknown.status_code == 404
            assert unknown.text.startswith("Error 404: ")
            big = await http.post(
                f"{base}/hypersearch",
                files={"data": (None, "{}"), "file": ("x.tar", b"0" * 5000)},
            )
            assert big.status_code == 413
            denied = await http.get(f"{base}/hypersearch", auth=("Admin", "wrong"))
            assert denied.status_code == 401
            algos = (await http.get(f"{base}/hypersearch/algorithm")).json()
            assert {"name": "Random", "type": "BUILD_IN", "remoteExec": False} in algos


@pytest.mark.parametrize(
    "request_file",
    ["request_hpo_random.json", "request_hpo_grid.json",
     "request_hpo_xgboost_power_step.json", "request_hpo_hyperband.json",
     "request_hpo_plugin.json"],
)
async def test_notebook_request_fixtures_are_accepted_or_refused_clearly(
    tmp_path: Path, request_file: str
) -> None:
    users = tmp_path / "users.json"
    add_user(users, "Admin", "pw")
    model = _model(tmp_path)
    body = fixture(request_file)
    body["modelSpec"]["args"] = "--exec-start PyTorch --model-main train.py"
    body["algoDef"]["maxJobNum"] = 1
    with serving(create_app(tmp_path / "server", users)) as port:
        client = _client(port, "Admin", tmp_path)
        client.credentials.password = "pw"
        try:
            name = await client.submit_request(body, model)
        except RemoteRefusedError as err:
            assert err.status == 400 and err.excerpt.startswith("Error 400: ")
            assert body["algoDef"]["algorithm"] not in builtin_names()
            assert "unknown search algorithm" in err.excerpt
        else:
            assert body["algoDef"]["algorithm"] in builtin_names()
            task = await client.get_experiment(name)
            assert task.summary.name == name and task.summary.max_jobs == 1
        finally:
            await client.close()


async def test_plugin_install_is_per_user(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    add_user(users, "alice", "alice-pw")
    add_user(users, "bob", "bob-pw")
    plugin = Path(__file__).resolve().parents[1] / "sample_experiments" / "plugins"
    with serving(create_app(tmp_path / "server", users)) as port:
        alice = _client(port, "alice", tmp_path, auth="basic")
        bob = _client(port, "bob", tmp_path, auth="session")
        await alice.install_algorithm("myrandom", plugin / "random", "debug")
        mine = await alice.get_algorithm("myrandom")
        assert mine is not None and mine.type == "USER_PLUGIN"
        assert mine.details["logLevel"] == "DEBUG"
        assert await bob.get_algorithm("myrandom") is None
        assert "myrandom" not in [a.name for a in await bob.list_algorithms()]
        gone = "HTTP 404: Error 404: no plugin named .myrandom."
        with pytest.raises(RemoteRefusedError, match=gone):
            await bob.delete_algorithm("myrandom")
        await alice.delete_algorithm("myrandom")
        assert await alice.get_algorithm("myrandom") is None
        assert "Cookie" in bob.credentials.headers()
        assert alice.credentials.headers()["Authorization"].startswith("Basic ")
        await alice.close()
        await bob.close()


def test_users_add_reads_stdin_and_serve_needs_accounts(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from hpotui.cli.main import _register_verbs, cli
    from hpotui.server.users import Accounts

    _register_verbs()
    users = tmp_path / "users.json"
    added = CliRunner().invoke(
        cli, ["users", "add", "carol", "--users", str(users)], input="c-pw\n"
    )
    assert added.exit_code == 0, added.output
    assert "c-pw" not in users.read_text()
    assert Accounts(users).check_password("carol", "c-pw")
    assert not Accounts(users).check_password("carol", "C-pw")
    bad = CliRunner().invoke(cli, ["users", "add", "a-b", "--users", str(users)],
                             input="x\n")
    assert "not allowed" in str(bad.exception)
    missing = CliRunner().invoke(cli, ["serve", "--users", str(tmp_path / "none")])
    assert "hpotui users add NAME" in str(missing.exception)


def test_cli_verbs_with_a_profile_against_serve(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from hpotui.cli.main import _register_verbs, cli

    _register_verbs()
    users = tmp_path / "users.json"
    add_user(users, "alice", "alice-pw")
    _model(tmp_path)
    request = _request(jobs=3)
    request["algoDef"]["maxParalleJobNum"] = 3
    experiment_file = tmp_path / "toy_request.json"
    experiment_file.write_text(json.dumps(request))

    def hpotui(*args: str, stdin: str = "") -> object:
        result = CliRunner().invoke(cli, list(args), input=stdin)
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result.output

    with serving(create_app(tmp_path / "server", users)) as port:
        url = f"http://127.0.0.1:{port}{API}"
        hpotui("login", "srv", "--url", url, "--user", "alice", "--auth", "token",
               "--poll-interval", "0.5", "--unknown-state-limit", "7200",
               "--password-stdin", stdin="alice-pw\n")
        from hpotui.backends.profiles import load_profiles

        saved = load_profiles()["srv"]
        assert (saved.poll_interval, saved.unknown_state_limit) == (0.5, 7200)
        assert saved.unknown_state_notice == 1800  # the default, not given
        ran = hpotui("--profile", "srv", "run", str(experiment_file), "--no-ui")
        name = next(w for w in ran.split() if w.startswith("alice-hpo-"))
        assert "FINISHED" in ran
        # The remote run's config.json stays on the server: say how to fetch it.
        assert "None" not in ran
        assert f"is on the server; `hpotui --profile srv download {name} " in ran
        assert "hpotui resume" not in ran
        listed = hpotui("--profile", "srv", "list")
        assert name in listed and "3/3" in listed
        shown = hpotui("--profile", "srv", "show", name)
        assert "learning_rate" in shown
        best = hpotui("--profile", "srv", "best", name)
        assert "learning_rate" in best
        assert "None" not in best
        assert f"`hpotui --profile srv download {name} " in best
        exported = json.loads(hpotui("--profile", "srv", "export", name,
                                     "--format", "json"))
        assert len(exported["trials"]) == 3
        slow_file = tmp_path / "slow_request.json"
        slow_file.write_text(json.dumps(_request("--sleep 60", jobs=2)))
        detached = hpotui("--profile", "srv", "run", str(slow_file), "--detach")
        second = next(w for w in detached.split() if w.startswith("alice-hpo-"))
        assert second != name and "attach" in detached
        hpotui("--profile", "srv", "stop", second)
        deadline = time.monotonic() + 30
        while "STOPPED" not in hpotui("--profile", "srv", "show", second):
            assert time.monotonic() < deadline, "stop did not reach the server"
            time.sleep(0.2)
        again = hpotui("--profile", "srv", "stop", second)
        assert again == f"{second} was already stopped on srv; nothing to stop\n"
        hpotui("--profile", "srv", "delete", name, "--yes")
        assert name not in hpotui("--profile", "srv", "list")

        plugins = Path(__file__).resolve().parents[1] / "sample_experiments" / "plugins"
        hpotui("--profile", "srv", "algorithms", "install", str(plugins / "random"),
               "--name", "myrandom")
        listed = hpotui("--profile", "srv", "algorithms", "list", "--json")
        assert {"myrandom": "USER_PLUGIN"}.items() <= {
            row["name"]: row["type"] for row in json.loads(listed)
        }.items()
        hpotui("--profile", "srv", "algorithms", "delete", "myrandom")


def test_serve_command_listens_on_loopback_only(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    add_user(users, "alice", "pw")
    with serve_command(tmp_path / "ws", users) as (port, banner):
        assert banner.startswith(f"serving http://127.0.0.1:{port}{API}")
        answer = httpx.get(f"http://127.0.0.1:{port}{API}/hypersearch",
                           auth=("alice", "pw"))
        assert answer.status_code == 200 and answer.json() == []


async def test_serve_refuses_unsafe_archives_and_missing_parts(tmp_path: Path) -> None:
    import io
    import tarfile

    users = tmp_path / "users.json"
    add_user(users, "alice", "pw")
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w:gz") as bundle:
        info = tarfile.TarInfo("../../evil.py")
        info.size = 2
        bundle.addfile(info, io.BytesIO(b"x\n"))
    data = json.dumps(_request(jobs=1))
    with serving(create_app(tmp_path / "server", users)) as port:
        base = f"http://127.0.0.1:{port}{API}"
        async with httpx.AsyncClient(auth=("alice", "pw"), timeout=30) as http:
            unsafe = await http.post(
                f"{base}/hypersearch",
                files={"data": (None, data), "file": ("m.tar", evil.getvalue())},
            )
            assert unsafe.status_code == 400 and "unsafe member" in unsafe.text
            no_file = await http.post(
                f"{base}/hypersearch", files={"data": (None, data)}
            )
            assert no_file.status_code == 400 and "file" in no_file.text
            not_tar = await http.post(
                f"{base}/hypersearch",
                files={"data": (None, data), "file": ("m.tar", b"plain text")},
            )
            assert not_tar.status_code == 400 and "not a tar" in not_tar.text
            assert (await http.get(f"{base}/hypersearch")).json() == []
    assert not list(tmp_path.rglob("evil.py"))


async def test_model_arguments_reach_the_script_as_words_never_a_shell(
    tmp_path: Path,
) -> None:
    """Arguments with shell syntax in modelSpec.args arrive in sys.argv as plain
    words; nothing they spell is run."""
    users = tmp_path / "users.json"
    add_user(users, "alice", "alice-pw")
    model = tmp_path / "toy"
    model.mkdir()
    (model / "train.py").write_text(textwrap.dedent(
        """
        import json, os, sys
        print(json.dumps(sys.argv[1:]), flush=True)
        path = os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json")
        json.dump([{"steps": 1, "loss": 1.0}], open(path, "w"))
        """
    ))  # fmt: skip
    words = ["$(touch", "pwned1)", ";", "touch", "pwned2", "|", "`touch", "pwned3`"]
    body = _request(" ".join(words), jobs=1)
    with serving(create_app(tmp_path / "server", users)) as port:
        client = _client(port, "alice", tmp_path)
        name = await client.submit_request(body, model)
        await _follow(client, name)
        log = await client.trial_log(name, 0)
        await client.close()
    assert json.loads(log.lines[0]) == words
    assert not [*tmp_path.rglob("pwned*"), *Path.cwd().glob("pwned*")]


def test_algorithms_install_replace_reaches_serve(tmp_path: Path) -> None:
    """`algorithms install --replace` on a remote profile replaces the plugin on
    `hpotui serve`; without it a second install of the name is refused."""
    from click.testing import CliRunner

    from hpotui.cli.main import _register_verbs, cli

    _register_verbs()
    users = tmp_path / "users.json"
    add_user(users, "alice", "alice-pw")
    plugin = Path(__file__).resolve().parents[1] / "sample_experiments" / "plugins"
    install = ["--profile", "srv", "algorithms", "install", str(plugin / "random"),
               "--name", "mine"]  # fmt: skip

    def hpotui(*args: str, stdin: str = "") -> object:
        return CliRunner().invoke(cli, list(args), input=stdin)

    with serving(create_app(tmp_path / "server", users)) as port:
        url = f"http://127.0.0.1:{port}{API}"
        hpotui("login", "srv", "--url", url, "--user", "alice", "--auth", "token",
               "--password-stdin", stdin="alice-pw\n")  # fmt: skip
        first = hpotui(*install, "--log-level", "debug")
        assert first.exit_code == 0, first.output
        again = hpotui(*install, "--log-level", "error")
        assert again.exit_code != 0
        assert "already installed" in str(again.output) + str(again.exception)
        replaced = hpotui(*install, "--log-level", "error", "--replace")
        assert replaced.exit_code == 0, (replaced.output, replaced.exception)
        listed = hpotui("--profile", "srv", "algorithms", "list", "--json")
        rows = {row["name"]: row for row in json.loads(listed.output)}
        assert rows["mine"]["logLevel"] == "ERROR"


async def test_exec_log_type_selects_stdout_or_stderr(tmp_path: Path) -> None:
    """GET /execs/{id}/log?logType=errlog answers the trial's stderr alone and
    outlog its stdout alone, as WML-A does; with no logType both come."""
    users = tmp_path / "users.json"
    add_user(users, "alice", "alice-pw")
    model = tmp_path / "toy"
    model.mkdir()
    (model / "train.py").write_text(textwrap.dedent(
        """
        import json, os, sys
        print("to stdout", flush=True)
        print("to stderr", file=sys.stderr, flush=True)
        path = os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json")
        json.dump([{"steps": 1, "loss": 1.0}], open(path, "w"))
        """
    ))  # fmt: skip
    with serving(create_app(tmp_path / "server", users)) as port:
        client = _client(port, "alice", tmp_path)
        name = await client.submit_request(_request(jobs=1), model)
        await _follow(client, name)
        await client.close()
        exec_id = f"alice-{name.rsplit('-', 1)[1]}-0"
        url = f"http://127.0.0.1:{port}{API}/execs/{exec_id}/log"
        async with httpx.AsyncClient(auth=("alice", "alice-pw")) as http:
            err = await http.get(url, params={"logType": "errlog"})
            out = await http.get(url, params={"logType": "outlog"})
            both = await http.get(url)
            as_json = await http.get(
                url, params={"logType": "errlog"},
                headers={"Accept": "application/json"},
            )  # fmt: skip
            odd = await http.get(url, params={"logType": "stdlog"})
    assert err.text == "to stderr\n"
    assert out.text == "to stdout\n"
    assert both.text == "to stdout\n── stderr ──\nto stderr\n"
    assert as_json.json() == "to stderr\n"
    assert odd.status_code == 400 and "logType stdlog" in odd.text
