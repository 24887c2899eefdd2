"""The Starlette application of ``hpotui serve``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from hpotui.engine.executor import Executor
from hpotui.errors import HpotuiError
from hpotui.experiment.model import Experiment
from hpotui.server import other, tasks
from hpotui.server.http import Refusal, ServerState
from hpotui.server.tenants import Tenants
from hpotui.server.users import Accounts

logger = logging.getLogger(__name__)

API = "/platform/rest/deeplearning/v1"
DEFAULT_MAX_UPLOAD = 512 * 1024 * 1024
UNPACKED_PER_UPLOAD = 20
"""The default unpacked-size limit, as a multiple of the upload limit."""


def _routes() -> list[Route]:
    hs = f"{API}/hypersearch"
    return [
        Route("/auth/v1/logon", other.token_logon),
        Route("/platform/rest/conductor/v1/auth/logon", other.session_logon),
        Route(f"{hs}/algorithm", other.list_algorithms),
        Route(f"{hs}/algorithm/install", other.install_algorithm, methods=["POST"]),
        Route(f"{hs}/algorithm/{{name}}", other.get_algorithm),
        Route(f"{hs}/algorithm/{{name}}", other.delete_algorithm, methods=["DELETE"]),
        Route(hs, tasks.list_tasks),
        Route(hs, tasks.submit, methods=["POST"]),
        Route(hs, tasks.delete_all, methods=["DELETE"]),
        Route(f"{hs}/{{name}}", tasks.get_task),
        Route(f"{hs}/{{name}}", tasks.stop_task, methods=["PUT"]),
        Route(f"{hs}/{{name}}", tasks.delete_task, methods=["DELETE"]),
        Route(f"{API}/execs/{{id}}", other.get_exec),
        Route(f"{API}/execs/{{id}}/log", other.exec_log),
        Route(f"{API}/execs/{{id}}/result", other.exec_result),
        Route(f"{API}/conf", _conf),
    ]


async def _conf(_request: Request) -> Response:
    """A health check some clients call; any JSON will do."""
    return PlainTextResponse("{}", media_type="application/json")


async def _refusal(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refusal)
    return exc.response()


async def _user_error(_request: Request, exc: Exception) -> Response:
    message = exc.message if isinstance(exc, HpotuiError) else str(exc)
    return Refusal(400, message).response()


def create_app(
    root: Path,
    users_file: Path,
    *,
    max_upload: int = DEFAULT_MAX_UPLOAD,
    max_unpacked: int | None = None,
    executor_factory: Callable[[Experiment], Executor] | None = None,
) -> Starlette:
    """The WML-A-compatible application over the embedded engine.

    Args:
        root: The server's folder; each user's workspace is ``root/users/NAME``
            and the key that signs logon tokens is ``root/token.key``.
        users_file: The accounts (``hpotui users add``).
        max_upload: Largest request body accepted, in bytes.
        max_unpacked: Largest total size an uploaded archive may unpack to, in
            bytes; by default 20 times ``max_upload``.
        executor_factory: How trials run (tests may pass their own).
    """
    if max_unpacked is None:
        max_unpacked = UNPACKED_PER_UPLOAD * max_upload
    accounts = Accounts(users_file, root / "token.key")
    tenants = Tenants(root, executor_factory)
    state = ServerState(accounts, tenants, max_upload, max_unpacked)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> Any:
        await state.tenants.resume_all()
        yield
        await state.tenants.close()

    app = Starlette(
        routes=_routes(),
        exception_handlers={Refusal: _refusal, HpotuiError: _user_error},
        lifespan=lifespan,
    )
    app.state.hpotui = state
    return app
