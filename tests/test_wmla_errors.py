"""Every way a WML-A server can fail the client, through httpx.MockTransport."""

from __future__ import annotations

import io
import json
import logging
import ssl
import tarfile
from pathlib import Path

import httpx
import pytest
from wmla_helpers import (
    BASE,
    FIXTURES,
    ScriptedServer,
    api,
    fixture,
    json_reply,
    make_backend,
    text_reply,
)

from hpotui.backends.profiles import Profile, load_credential
from hpotui.backends.wmla import WmlaBackend
from hpotui.backends.wmla.book import RemoteTask, TaskBook
from hpotui.backends.wmla.errors import (
    AuthenticationError,
    MonitoringDetachedError,
    MonitoringLostServerError,
    NotJsonError,
    RemoteRefusedError,
    RemoteUnreachableError,
    TlsVerificationError,
)
from hpotui.engine.events import ExperimentStateChanged, TrialEnded, TrialStarted
from hpotui.errors import BackendError, ExperimentFileError
from hpotui.states import ExperimentState

RUNNING = fixture("hpo_task_running.json")
NAME = RUNNING["hpoName"]
HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


@pytest.fixture(autouse=True)
def _config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPOTUI_CONFIG_DIR", str(tmp_path / "config"))


def _finished_copy() -> dict:
    task = json.loads(json.dumps(RUNNING))
    task["state"] = "FINISHED"
    for item in task["experiments"]:
        item["state"] = "FINISHED"
        item.setdefault("metricVal", -0.2)
        item.setdefault("endTime", "2020-02-18 21:09:00")
    return task


def _logon_reply(token: str) -> httpx.Response:
    return json_reply({"accessToken": token})


async def _collect(backend, name: str) -> list:  # noqa: ANN001
    return [event async for event in backend.events(name)]


async def test_401_while_monitoring_logs_on_again_once(tmp_path: Path) -> None:
    server = ScriptedServer()
    server.on("GET", "/auth/v1/logon", _logon_reply("t1"), _logon_reply("t2"))
    server.on(
        "GET", api(f"/hypersearch/{NAME}"),
        json_reply(RUNNING), text_reply("", 401), json_reply(_finished_copy()),
    )
    backend = make_backend(server, tmp_path, auth="token")
    events = await _collect(backend, NAME)
    assert len(server.calls("GET", "/auth/v1/logon")) == 2
    polls = server.calls("GET", api(f"/hypersearch/{NAME}"))
    assert [r.headers["X-Auth-Token"] for r in polls] == ["t1", "t1", "t2"]
    ended = [e.trial_id for e in events if isinstance(e, TrialEnded)]
    assert ended == [0, 1, 2, 3]
    states = [e.state for e in events if isinstance(e, ExperimentStateChanged)]
    assert states == [ExperimentState.RUNNING, ExperimentState.FINISHED]
    assert load_credential("lab")["token"] == "t2"  # type: ignore[index]
    await backend.close()


async def test_401_twice_stops_monitoring_and_keeps_the_record(tmp_path: Path) -> None:
    server = ScriptedServer()
    server.on("GET", "/auth/v1/logon", _logon_reply("t1"), _logon_reply("t2"))
    server.on(
        "GET", api(f"/hypersearch/{NAME}"),
        json_reply(RUNNING), text_reply("", 401), text_reply("", 401),
    )
    backend = make_backend(server, tmp_path, auth="token")
    backend.book.put(RemoteTask(NAME, "lab", "demo", state="SUBMITTED"))
    seen = []
    with pytest.raises(MonitoringDetachedError) as caught:
        async for event in backend.events(NAME):
            seen.append(event)
    assert "hpotui login lab" in caught.value.message
    assert f"hpotui --profile lab attach {NAME}" in caught.value.message
    assert any(isinstance(e, TrialStarted) for e in seen)
    assert backend.book.get("lab", NAME).state == "RUNNING"  # type: ignore[union-attr]
    await backend.close()


async def test_401_without_password_cannot_log_on_again(tmp_path: Path) -> None:
    server = ScriptedServer().on("GET", api("/hypersearch"), text_reply("", 401))
    backend = make_backend(server, tmp_path, auth="bearer", password=None)
    backend.credentials.token = "given"
    with pytest.raises(AuthenticationError, match="hpotui login lab"):
        await backend.list_experiments()
    assert server.requests[0].headers["Authorization"] == "Bearer given"
    await backend.close()


async def test_html_502_twice_then_json(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = ScriptedServer().on(
        "GET", api("/hypersearch"),
        text_reply(HTML_502, 502, "text/html"), text_reply(HTML_502, 502, "text/html"),
        json_reply(fixture("hpo_task_list.json")),
    )
    backend = make_backend(server, tmp_path)
    with caplog.at_level(logging.WARNING):
        tasks = await backend.list_experiments()
    assert len(tasks) == 5
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert retries == [
        "HTTP 502 (text/html) — retrying 1/5", "HTTP 502 (text/html) — retrying 2/5"
    ]
    assert all("s3cret" not in r.getMessage() for r in caplog.records)
    await backend.close()


async def test_429_waits_as_long_as_retry_after_says(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A 429 with Retry-After: 7 waits 7 s (not the short backoff), then the
    answer is read; a Retry-After of an hour is capped at a minute."""
    slow_down = httpx.Response(429, text="Error 429: slow down",
                               headers={"retry-after": "7"})  # fmt: skip
    much_later = httpx.Response(429, text="", headers={"retry-after": "3600"})
    server = ScriptedServer().on(
        "GET", api("/hypersearch"), slow_down, much_later,
        json_reply(fixture("hpo_task_list.json")),
    )
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    profile = Profile(name="lab", url=BASE, user="alice")
    backend = WmlaBackend(profile, "s3cret", transport=server.transport(),
                          book=TaskBook(tmp_path / "t.json"), sleep=record)  # fmt: skip
    with caplog.at_level(logging.WARNING):
        tasks = await backend.list_experiments()
    assert len(tasks) == 5
    assert waits == [7.0, 60.0]
    assert "HTTP 429 (text/plain) — retrying 1/5" in caplog.text
    await backend.close()


async def test_502_beyond_retries_is_refused_with_stripped_body(
    tmp_path: Path,
) -> None:
    server = ScriptedServer().on(
        "GET", api("/hypersearch"), text_reply(HTML_502, 502, "text/html")
    )
    backend = make_backend(server, tmp_path, retries=2)
    with pytest.raises(RemoteRefusedError) as caught:
        await backend.list_experiments()
    assert caught.value.status == 502
    assert caught.value.excerpt == "502 Bad Gateway nginx"
    assert "HTTP 502" in caught.value.message and BASE_PATH in caught.value.message
    assert len(server.requests) == 3
    await backend.close()


BASE_PATH = "/platform/rest/deeplearning/v1/hypersearch"


async def test_200_sign_on_page_points_at_base_url_and_login(tmp_path: Path) -> None:
    page = "<html><body><form>Sign in with your company ID</form></body></html>"
    server = ScriptedServer().on(
        "GET", api("/hypersearch"), text_reply(page, 200, "text/html")
    )
    backend = make_backend(server, tmp_path)
    with pytest.raises(NotJsonError) as caught:
        await backend.list_experiments()
    assert "/platform/rest/deeplearning/v1" in caught.value.message
    assert "hpotui login lab" in caught.value.message
    assert "Sign in" in caught.value.message
    await backend.close()


def _model_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "pytorch_hpo"
    folder.mkdir()
    (folder / "pytorch_mnist_HPO.py").write_text("print('train')\n")
    return folder


async def test_plain_text_500_on_submit_leaves_no_record(tmp_path: Path) -> None:
    server = ScriptedServer().on(
        "POST", api("/hypersearch"),
        text_reply("Error 500: Cannot create the task: sig wml-ig not found\n", 500),
    )
    backend = make_backend(server, tmp_path, retries=1)
    body = fixture("request_hpo_random.json")
    with pytest.raises(RemoteRefusedError) as caught:
        await backend.submit_request(body, _model_dir(tmp_path))
    assert caught.value.status == 500
    assert "Error 500: Cannot create the task" in caught.value.message
    assert backend.book.all("lab") == []
    sizes = {len(r.content) for r in server.requests}
    assert len(server.requests) == 2 and len(sizes) == 1  # file reopened, sent whole
    await backend.close()


async def test_timeouts_are_retried_then_reported_as_unreachable(
    tmp_path: Path,
) -> None:
    server = ScriptedServer().on(
        "GET", api("/hypersearch"), httpx.ReadTimeout("read timed out")
    )
    backend = make_backend(server, tmp_path, retries=3)
    with pytest.raises(RemoteUnreachableError, match="timed out after 4 attempts"):
        await backend.list_experiments()
    assert len(server.requests) == 4
    await backend.close()


async def test_connection_resets_are_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reset = httpx.RemoteProtocolError("Server disconnected without sending a response")
    server = ScriptedServer().on(
        "GET", api("/hypersearch"), reset, httpx.ReadError("reset by peer"),
        json_reply([]),
    )
    backend = make_backend(server, tmp_path)
    with caplog.at_level(logging.WARNING):
        assert await backend.list_experiments() == []
    assert "connection reset — retrying 2/5" in caplog.text
    await backend.close()


class _Clock:
    """A monotonic clock that moves only by the waits asked for."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


async def test_refused_connections_while_monitoring_are_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A server restarting refuses connections for a while: monitoring retries
    them with capped backoff and follows the task to its end. A server that stays
    down is retried for the profile's reconnect window (120 s), not 5 attempts,
    and then monitoring stops saying the task may still run and how to attach."""
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    server = ScriptedServer().on(
        "GET", api(f"/hypersearch/{NAME}"),
        json_reply(RUNNING), *[refused] * 7, json_reply(_finished_copy()),
    )
    backend = make_backend(server, tmp_path, sleep=(clock := _Clock()).sleep,
                           clock=clock)  # fmt: skip
    with caplog.at_level(logging.WARNING):
        events = await _collect(backend, NAME)
    assert "connection refused ([Errno 111] Connection refused) — retrying 7, " \
        "down 26 s of at most 120 s" in caplog.text  # 25.5 s, rounded
    states = [e.state for e in events if isinstance(e, ExperimentStateChanged)]
    assert states == [ExperimentState.RUNNING, ExperimentState.FINISHED]
    assert len(server.calls("GET", api(f"/hypersearch/{NAME}"))) == 9
    assert clock.waits[-7:] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]

    down = ScriptedServer().on("GET", api(f"/hypersearch/{NAME}"), refused)
    gone = make_backend(down, tmp_path, sleep=(stopped := _Clock()).sleep,
                        clock=stopped)  # fmt: skip
    with pytest.raises(MonitoringLostServerError) as caught:
        await _collect(gone, NAME)
    assert stopped.now == 120.0 and max(stopped.waits) == 10.0
    assert "refused connections for 120 s" in caught.value.message
    assert "may still be running on the server" in caught.value.message
    assert f"`hpotui --profile lab attach {NAME}`" in caught.value.message
    assert "Check the base URL" not in caught.value.message
    assert caught.value.exit_code == 1
    await backend.close()
    await gone.close()


async def test_unreachable_host_is_not_refused(tmp_path: Path) -> None:
    server = ScriptedServer().on(
        "GET", api("/hypersearch"), httpx.ConnectError("Name or service not known")
    )
    backend = make_backend(server, tmp_path)
    with pytest.raises(RemoteUnreachableError, match="Cannot reach") as caught:
        await backend.list_experiments()
    assert not isinstance(caught.value, RemoteRefusedError)
    assert len(server.requests) == 1
    await backend.close()


async def test_certificate_failure_names_both_options(tmp_path: Path) -> None:
    cause = ssl.SSLCertVerificationError("certificate verify failed")
    error = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]")
    error.__cause__ = cause
    server = ScriptedServer().on("GET", api("/hypersearch"), error)
    backend = make_backend(server, tmp_path)
    with pytest.raises(TlsVerificationError) as caught:
        await backend.list_experiments()
    assert "--ca-bundle" in caught.value.message
    assert "--insecure" in caught.value.message
    await backend.close()


async def test_bad_request_is_refused_before_any_request(tmp_path: Path) -> None:
    server = ScriptedServer()
    backend = make_backend(server, tmp_path)
    body = fixture("request_hpo_random.json")
    body["algoDef"]["objective"] = "smallest"
    body["modelSpec"]["args"] = "--exec-start PyTorch"
    with pytest.raises(ExperimentFileError) as caught:
        await backend.submit_request(body, tmp_path / "missing")
    assert len(caught.value.problems) == 3
    assert "minimize or maximize" in caught.value.message
    assert server.requests == []
    await backend.close()


async def test_stop_of_an_already_stopped_task_is_quiet(tmp_path: Path) -> None:
    wrapper = fixture("hpo_stop_already_stopped.response.json")
    name = "Admin-hpo-75637563330004126"
    server = ScriptedServer().on(
        "PUT", api(f"/hypersearch/{name}"),
        text_reply(wrapper["body"], wrapper["status"]),
    )
    backend = make_backend(server, tmp_path)
    await backend.stop(name)
    server.on("PUT", api("/hypersearch/other"), text_reply("Error 403: not yours", 403))
    with pytest.raises(RemoteRefusedError, match="Error 403: not yours"):
        await backend.stop("other")
    await backend.close()


def _result_tar(
    members: dict[str, bytes], link: tuple[str, str] | None = None
) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo(link[0])
            info.type = tarfile.SYMTYPE
            info.linkname = link[1]
            archive.addfile(info)
    return buffer.getvalue()


def _server_with_results(payload: bytes) -> ScriptedServer:
    app_id = RUNNING["experiments"][0]["appId"]
    headers = {
        "content-type": "application/octet-stream",
        "content-disposition": f"attachment; filename=r.zip; size={len(payload)}",
    }
    return ScriptedServer().on(
        "GET", api(f"/hypersearch/{NAME}"), json_reply(RUNNING)
    ).on(
        "GET", api(f"/execs/{app_id}/result"),
        httpx.Response(200, content=payload, headers=headers),
    )


async def test_results_download_unpacks_inside_target(tmp_path: Path) -> None:
    payload = _result_tar({"model/weights.bin": b"x" * 5000, "val.json": b"[]"})
    server = _server_with_results(payload)
    backend = make_backend(server, tmp_path)
    seen: list[tuple[int, int | None]] = []
    folder = await backend.download_results(
        NAME, 0, tmp_path / "out", lambda done, total: seen.append((done, total))
    )
    assert (folder / "model" / "weights.bin").read_bytes() == b"x" * 5000
    assert seen[-1] == (len(payload), len(payload))
    await backend.close()


async def test_results_to_a_folder_that_cannot_be_made_name_it(
    tmp_path: Path,
) -> None:
    server = _server_with_results(_result_tar({"val.json": b"[]"}))
    backend = make_backend(server, tmp_path)
    (tmp_path / "a-file").write_text("")
    with pytest.raises(BackendError) as raised:
        await backend.download_results(NAME, 0, tmp_path / "a-file" / "out")
    assert str(tmp_path / "a-file" / "out") in raised.value.message
    assert "give --dest a folder you can write to" in raised.value.message
    await backend.close()


@pytest.mark.parametrize(
    ("members", "link"),
    [({"../escape.txt": b"no"}, None), ({"ok": b"1"}, ("out", "/etc/passwd"))],
)
async def test_results_download_refuses_escaping_members(
    tmp_path: Path, members: dict[str, bytes], link: tuple[str, str] | None
) -> None:
    server = _server_with_results(_result_tar(members, link))
    backend = make_backend(server, tmp_path)
    with pytest.raises(Exception, match="unsafe member"):
        await backend.download_results(NAME, 0, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()
    await backend.close()


async def test_logs_of_a_trial_that_has_not_started(tmp_path: Path) -> None:
    task = json.loads(json.dumps(RUNNING))
    del task["experiments"][3]["appId"]
    server = ScriptedServer().on("GET", api(f"/hypersearch/{NAME}"), json_reply(task))
    backend = make_backend(server, tmp_path)
    with pytest.raises(Exception, match="has not started on the cluster yet"):
        await backend.trial_log(NAME, 3)
    with pytest.raises(Exception, match=r"has no trial 9 \(trials: 0, 1, 2, 3\)"):
        await backend.trial_log(NAME, 9)
    assert (FIXTURES / "exec_log_dlpd.json").exists()
    await backend.close()


def test_unpacking_refuses_device_files_and_zip_escapes(tmp_path: Path) -> None:
    import zipfile

    from hpotui.backends.wmla.archive import unpack_safely
    from hpotui.backends.wmla.errors import RemoteError

    device = tmp_path / "device.tar"
    with tarfile.open(device, "w") as archive:
        info = tarfile.TarInfo("tty")
        info.type = tarfile.CHRTYPE
        info.devmajor, info.devminor = 5, 0
        archive.addfile(info)
    with pytest.raises(RemoteError, match="unsafe member"):
        unpack_safely(device, tmp_path / "a")

    escape = tmp_path / "escape.zip"
    with zipfile.ZipFile(escape, "w") as bundle:
        bundle.writestr("../../outside.txt", "no")
    with pytest.raises(RemoteError, match="outside the target"):
        unpack_safely(escape, tmp_path / "b")
    assert not (tmp_path / "outside.txt").exists()

    link = tmp_path / "link.zip"
    with zipfile.ZipFile(link, "w") as bundle:
        entry = zipfile.ZipInfo("etc")
        entry.external_attr = (0o120777 << 16)
        bundle.writestr(entry, "/etc")
    with pytest.raises(RemoteError, match="not a plain file"):
        unpack_safely(link, tmp_path / "c")

    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as bundle:
        bundle.writestr("model/w.txt", "ok")
    assert (unpack_safely(good, tmp_path / "d") / "model" / "w.txt").read_text() == "ok"


async def test_password_never_reaches_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = ScriptedServer().on("GET", "/auth/v1/logon", _logon_reply("tok"))
    server.on("GET", api("/hypersearch"), text_reply("", 401), json_reply([]))
    backend = make_backend(server, tmp_path, auth="token")
    with caplog.at_level(logging.DEBUG):
        await backend.list_experiments()
    assert "logged on" in caplog.text and "s3cret" not in caplog.text
    assert "tok" not in caplog.text
    await backend.close()
