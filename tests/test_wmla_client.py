"""What the WML-A client sends and how it follows a task, through MockTransport."""

from __future__ import annotations

import io
import json
import logging
import stat
import tarfile
from pathlib import Path

import httpx
import pytest
from wmla_helpers import (
    FIXTURES,
    ScriptedServer,
    api,
    fixture,
    json_reply,
    make_backend,
    text_reply,
)

from hpotui.backends.profiles import (
    Profile,
    ProfileError,
    config_dir,
    get_profile,
    load_credential,
    save_profile,
)
from hpotui.backends.wmla.auth import basic_header, default_logon_url
from hpotui.backends.wmla.http import tls_setting
from hpotui.backends.wmla.monitor import PollPacer, TaskDiff
from hpotui.backends.wmla.parse import task_from_json

RUNNING = fixture("hpo_task_running.json")
NAME = RUNNING["hpoName"]


@pytest.fixture(autouse=True)
def _config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPOTUI_CONFIG_DIR", str(tmp_path / "config"))


def _multipart(request: httpx.Request) -> dict[str, tuple[str | None, bytes]]:
    """The parts of a multipart request by name: (filename, content)."""
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    parts = {}
    for chunk in request.content.split(b"--" + boundary)[1:-1]:
        head, _, body = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        disposition = head.decode().split("\r\n")[0]
        name = disposition.split('name="')[1].split('"')[0]
        filename = (
            disposition.split('filename="')[1].split('"')[0]
            if "filename=" in disposition else None
        )
        parts[name] = (filename, body)
    return parts


@pytest.mark.parametrize(
    "answer", ["hpo_submit_response.json", "hpo_submit_response_cpd35.json"]
)
async def test_submit_sends_data_and_packed_model_folder(
    tmp_path: Path, answer: str
) -> None:
    reply = json_reply(fixture(answer))
    server = ScriptedServer().on("POST", api("/hypersearch"), reply)
    backend = make_backend(server, tmp_path)
    folder = tmp_path / "pytorch_hpo"
    (folder / "__pycache__").mkdir(parents=True)
    (folder / "pytorch_mnist_HPO.py").write_text("print('train')\n")
    (folder / "__pycache__" / "x.pyc").write_bytes(b"junk")
    body = fixture("request_hpo_random.json")
    name = await backend.submit_request(body, folder)
    expected = fixture(answer)
    assert name == (expected if isinstance(expected, str) else expected["uid"])
    parts = _multipart(server.requests[0])
    assert parts["data"][0] is None and json.loads(parts["data"][1]) == body
    filename, archive = parts["file"]
    assert filename == "pytorch_hpo.modelDir.tar" and archive[:2] == b"\x1f\x8b"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        names = sorted(tar.getnames())
    assert names == ["pytorch_hpo", "pytorch_hpo/pytorch_mnist_HPO.py"]
    record = backend.book.get("lab", name)
    assert record is not None and record.metric == "loss" and record.max_jobs == 4
    await backend.close()


async def test_basic_mode_sends_credentials_on_every_call(tmp_path: Path) -> None:
    server = ScriptedServer().on("GET", api("/hypersearch"), json_reply([]))
    backend = make_backend(server, tmp_path)
    await backend.list_experiments()
    await backend.list_experiments()
    assert [r.headers["Authorization"] for r in server.requests] == [
        basic_header("alice", "s3cret")
    ] * 2
    assert all(r.headers["Accept"] == "application/json" for r in server.requests)
    assert load_credential("lab") is None  # nothing stored in basic mode
    await backend.close()


async def test_session_mode_logs_on_at_conductor_and_sends_cookie(
    tmp_path: Path,
) -> None:
    logon = httpx.Response(
        200, json={}, headers={"set-cookie": "platform.rest.token=abc; Path=/"}
    )
    server = ScriptedServer().on(
        "GET", "/platform/rest/conductor/v1/auth/logon", logon
    ).on("GET", api("/hypersearch"), json_reply([]))
    backend = make_backend(server, tmp_path, auth="session")
    await backend.list_experiments()
    first, second = server.requests
    assert first.headers["Authorization"] == basic_header("alice", "s3cret")
    assert second.headers["Cookie"] == "platform.rest.token=abc"
    assert "Authorization" not in second.headers
    await backend.close()


async def test_token_file_is_private_and_holds_no_password(tmp_path: Path) -> None:
    server = ScriptedServer().on(
        "GET", "/auth/v1/logon", json_reply(fixture("auth_v1_logon_response.json"))
    ).on("GET", api("/hypersearch"), json_reply([]))
    backend = make_backend(server, tmp_path, auth="token")
    save_profile(backend.profile)
    await backend.log_on()
    await backend.list_experiments()
    token = fixture("auth_v1_logon_response.json")["accessToken"]
    assert server.requests[1].headers["X-Auth-Token"] == token
    for path in (config_dir() / "credentials.json", config_dir() / "profiles.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "s3cret" not in path.read_text()
    assert load_credential("lab")["token"] == token  # type: ignore[index]
    await backend.close()


def test_logon_urls_by_mode() -> None:
    base = "https://h:9243/platform/rest/deeplearning/v1"
    token = Profile(name="p", url=base, user="u", auth="token")
    session = Profile(name="p", url=base, user="u", auth="session")
    moved = session.model_copy(update={"auth_url": "https://h:8643/x/auth/logon"})
    assert default_logon_url(token) == "https://h:9243/auth/v1/logon"
    assert default_logon_url(session) == (
        "https://h:9243/platform/rest/conductor/v1/auth/logon"
    )
    assert default_logon_url(moved) == "https://h:8643/x/auth/logon"


def test_unknown_profile_says_how_to_create_it() -> None:
    with pytest.raises(ProfileError, match="hpotui login lab --url"):
        get_profile("lab")


def test_insecure_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    profile = Profile(name="once", url="https://h/x", user="u", insecure=True)
    with caplog.at_level(logging.WARNING):
        assert tls_setting(profile) is False
        assert tls_setting(profile) is False
    assert [r.getMessage() for r in caplog.records].count(
        caplog.records[0].getMessage()
    ) == 1
    assert "--ca-bundle" in caplog.records[0].getMessage()


def test_ca_bundle_that_is_not_pem_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    profile = Profile(name="p", url="https://h/x", user="u", ca_bundle=str(bad))
    with pytest.raises(Exception, match="ca.pem"):
        tls_setting(profile)


@pytest.mark.parametrize(
    ("fixture_name", "media", "first"),
    [("exec_log_dlpd.json", "application/json", "[2021-03-04 17:25:11] Train"),
     ("exec_log_cpd.txt", "text/plain", "Namespace(batch_size=128")],
)
async def test_trial_log_reads_both_generations(
    tmp_path: Path, fixture_name: str, media: str, first: str
) -> None:
    app_id = RUNNING["experiments"][1]["appId"]
    text = (FIXTURES / fixture_name).read_text()
    server = ScriptedServer().on(
        "GET", api(f"/hypersearch/{NAME}"), json_reply(RUNNING)
    ).on("GET", api(f"/execs/{app_id}/log"), text_reply(text, 200, media))
    backend = make_backend(server, tmp_path)
    tail = await backend.trial_log(NAME, 1, lines=2)
    assert len(tail.lines) == 2 and tail.truncated
    full = await backend.trial_log(NAME, 1, lines=0)
    assert any(line.startswith(first) for line in full.lines)
    await backend.close()


async def test_algorithms_list_get_install_delete(tmp_path: Path) -> None:
    plugin = fixture("algorithm_descriptor_plugin.json")
    listing = json_reply(fixture("algorithm_list_all.json"))
    server = ScriptedServer().on(
        "GET", api("/hypersearch/algorithm"), listing
    ).on(
        "GET", api(f"/hypersearch/algorithm/{plugin['name']}"), json_reply(plugin)
    ).on(
        "GET", api("/hypersearch/algorithm/nothing"), text_reply("", 200)
    ).on(
        "POST", api("/hypersearch/algorithm/install"), text_reply("", 200)
    ).on("DELETE", api("/hypersearch/algorithm/mine"), text_reply("", 200))
    backend = make_backend(server, tmp_path)
    listed = await backend.list_algorithms()
    assert [a.type for a in listed].count("USER_PLUGIN") == 2
    assert listed[0].name == "Random"
    got = await backend.get_algorithm(plugin["name"])
    assert got is not None and got.details["logLevel"] == plugin["logLevel"]
    assert await backend.get_algorithm("nothing") is None
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "optimizer.py").write_text("class PluginOptimizer: ...\n")
    await backend.install_algorithm("mine", folder)
    parts = _multipart(server.calls("POST", api("/hypersearch/algorithm/install"))[0])
    assert json.loads(parts["data"][1]) == {"name": "mine"}
    with tarfile.open(fileobj=io.BytesIO(parts["file"][1])) as tar:
        assert tar.getnames() == ["optimizer.py"]
    await backend.delete_algorithm("mine")
    with pytest.raises(Exception, match="no optimizer.py"):
        await backend.install_algorithm("x", tmp_path)
    await backend.close()


def test_steady_polls_emit_nothing_and_slow_down() -> None:
    summary, trials = task_from_json(RUNNING)
    diff = TaskDiff(NAME)
    first = diff.update(summary, trials)
    assert len(first) == 1 + 4 + 2  # state, four started, two ended
    assert diff.update(summary, trials) == []
    pacer = PollPacer(2.0, 30.0)
    waits = [pacer.next_wait(False, False) for _ in range(10)]
    assert waits[0] == 3.0 and waits[-1] == 30.0
    assert pacer.next_wait(True, False) == 2.0
    assert pacer.next_wait(False, True) == 2.0


async def test_submit_of_an_experiment_converts_and_records_its_types(
    tmp_path: Path,
) -> None:
    from hpotui.experiment.loader import load_experiment

    samples = Path(__file__).resolve().parents[1] / "sample_experiments"
    experiment = load_experiment(samples / "digits_wmla_request.json")
    reply = json_reply(fixture("hpo_submit_response.json"))
    server = ScriptedServer().on("POST", api("/hypersearch"), reply)
    backend = make_backend(server, tmp_path)
    name = await backend.submit(experiment)
    sent = json.loads(_multipart(server.requests[0])["data"][1])
    assert sent["algoDef"]["objectiveMetric"] == "loss"
    assert {hp["name"] for hp in sent["hyperParams"]} == {
        "learning_rate", "hidden_units", "activation"
    }
    assert _multipart(server.requests[0])["file"][0] == "digits_mlp.modelDir.tar"
    record = backend.book.get("lab", name)
    assert record is not None and record.param_types["hidden_units"] == "int"
    await backend.close()
