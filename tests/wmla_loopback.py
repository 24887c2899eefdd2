"""A real HTTP(S) server on loopback that answers like WML-A, from the fixtures.

It runs uvicorn in a thread on a free port, so the client is tested over real
sockets and real TLS. It serves fixed fixture bodies; the engine-backed server is
``hpotui serve``.
"""

from __future__ import annotations

import base64
import io
import socket
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from wmla_helpers import FIXTURES, fixture

API = "/platform/rest/deeplearning/v1"
USER, PASSWORD = "alice", "pa55word"
TOKEN = fixture("auth_v1_logon_response.json")["accessToken"]


def _authorised(request: Request) -> bool:
    if request.headers.get("x-auth-token") == TOKEN:
        return True
    expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return request.headers.get("authorization") == f"Basic {expected}"


def _results_tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = b'[{"steps": 1, "loss": 0.5}]'
        info = tarfile.TarInfo("val_dict_list.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


async def _logon(request: Request) -> Response:
    expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    if request.headers.get("authorization") != f"Basic {expected}":
        return PlainTextResponse("Error 401: bad credentials", 401)
    return JSONResponse(fixture("auth_v1_logon_response.json"))


def _guarded(body: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        if not _authorised(request):
            return PlainTextResponse("Error 401: not logged on", 401)
        value = body(request) if callable(body) else body
        return value if isinstance(value, Response) else JSONResponse(value)

    return endpoint


def _task(request: Request) -> dict[str, Any]:
    task = fixture("hpo_task_finished_random.json")
    task["hpoName"] = request.path_params["name"]
    return task


def app() -> Starlette:
    log_text = (FIXTURES / "exec_log_cpd.txt").read_text()
    results = _results_tar()
    return Starlette(routes=[
        Route("/auth/v1/logon", _logon),
        Route(f"{API}/hypersearch", _guarded(fixture("hpo_task_list.json"))),
        Route(f"{API}/hypersearch/algorithm",
              _guarded(fixture("algorithm_list_build_in.json"))),
        Route(f"{API}/hypersearch/{{name}}", _guarded(_task)),
        Route(f"{API}/execs/{{id}}/log",
              _guarded(lambda r: PlainTextResponse(log_text))),
        Route(f"{API}/execs/{{id}}/result", _guarded(lambda r: Response(
            results, media_type="application/octet-stream",
            headers={"content-disposition": f"attachment; size={len(results)}"},
        ))),
    ])


@contextmanager
def serving(served: Any = None, **ssl_options: Any) -> Iterator[int]:
    """Run an ASGI app (the fixture server by default) on a free loopback port.

    Yields the port.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    lifespan = "off" if served is None else "on"
    config = uvicorn.Config(
        served or app(), log_level="warning", lifespan=lifespan, **ssl_options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextmanager
def serve_command(
    workspace: Path, users: Path, *extra: str
) -> Iterator[tuple[int, str]]:
    """Run ``hpotui serve`` as its own process on a free loopback port.

    Yields the port and the banner line it printed; the server is ready.
    """
    process, port, banner = start_serve(workspace, users, None, *extra)
    try:
        yield port, banner
    finally:
        process.terminate()
        process.wait(10)


def start_serve(
    workspace: Path, users: Path, port: int | None = None, *extra: str
) -> tuple[subprocess.Popen, int, str]:
    """Start ``hpotui serve`` (on ``port``, or a free one) and wait until it answers.

    Returns the process, which the caller ends, its port and its banner line.
    """
    if port is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
    command = [sys.executable, "-m", "hpotui", "--workspace", str(workspace),
               "serve", "--port", str(port), "--users", str(users), *extra]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        banner = process.stdout.readline()  # type: ignore[union-attr]
        _wait_until_answering(f"http://127.0.0.1:{port}{API}/conf", process)
    except BaseException:
        process.kill()
        process.wait(10)
        raise
    return process, port, banner


def _wait_until_answering(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(url)
            return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"hpotui serve did not start ({url})") from None
            time.sleep(0.1)
