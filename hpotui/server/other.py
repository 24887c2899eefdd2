"""``/hypersearch/algorithm``, ``/execs`` and the logon endpoints."""

from __future__ import annotations

import asyncio
import tarfile
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response

from hpotui.algorithms.registry import builtin_names
from hpotui.backends.wmla.archive import UnpackedSizeError
from hpotui.engine.logtail import tail_lines
from hpotui.engine.trial_files import trial_paths
from hpotui.errors import HpotuiError
from hpotui.plugin_host.installed import PluginRegistry
from hpotui.records import TrialRecord
from hpotui.server.http import (
    SESSION_COOKIE,
    Refusal,
    basic_credentials,
    check_length,
    current_user,
    data_part,
    json_answer,
    save_file_part,
    state_of,
)
from hpotui.server.shapes import exec_json, split_app_id
from hpotui.server.tenants import unpack_upload
from hpotui.workspace import plugins_dir


def _plugins(request: Request, user: str) -> PluginRegistry:
    return PluginRegistry(plugins_dir(state_of(request).tenants.workspace(user)))


def _descriptors(request: Request, user: str) -> list[dict]:
    built_in = [
        {"name": name, "type": "BUILD_IN", "remoteExec": False}
        for name in builtin_names()
    ]
    return built_in + [p.descriptor() for p in _plugins(request, user).installed()]


def algorithm_names(request: Request, user: str) -> list[str]:
    """Every algorithm ``user`` may name: the built-ins and their plugins."""
    return [row["name"] for row in _descriptors(request, user)]


async def list_algorithms(request: Request) -> Response:
    user = current_user(request)
    wanted = request.query_params.get("type")
    rows = _descriptors(request, user)
    return json_answer([r for r in rows if wanted in (None, r["type"])])


async def get_algorithm(request: Request) -> Response:
    user = current_user(request)
    name = request.path_params["name"]
    rows = _descriptors(request, user)
    row = next((r for r in rows if r["name"].lower() == name.lower()), None)
    if row is None:
        raise Refusal(404, f"Search algorithm {name} is not found.")
    return json_answer(row)


async def install_algorithm(request: Request) -> Response:
    """POST: ``data`` names the plugin; ``file`` is a tar with optimizer.py at root.

    ``?replace=true`` (hpotui's own; WML-A has no such option) replaces a plugin
    of that name instead of refusing the install.
    """
    user = current_user(request)
    check_length(request)
    replace = _flag(request, "replace")
    tenants = state_of(request).tenants
    scratch = tenants.scratch(user)
    try:
        async with request.form(max_files=2, max_fields=4) as form:
            data = await data_part(form)
            archive = await save_file_part(form, scratch)
        if archive is None:
            raise Refusal(
                400, "installing from a server path is not offered; upload the plugin "
                "folder as a tar in the file part",
            )
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise Refusal(400, "the data field must name the plugin (name)")
        try:
            folder = await asyncio.to_thread(
                unpack_upload, archive, scratch / "plugin",
                state_of(request).max_unpacked,
            )
            _plugins(request, user).install(
                folder, name, log_level=data.get("logLevel"), replace=replace
            )
        except UnpackedSizeError as err:
            raise Refusal(413, err.message) from err
        except (ValueError, HpotuiError) as err:
            raise Refusal(400, str(err)) from err
    finally:
        tenants.discard(scratch)
    return Response(status_code=200)


def _flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise Refusal(400, f"the query parameter {name} must be true or false")
    return value == "true"


async def delete_algorithm(request: Request) -> Response:
    user = current_user(request)
    try:
        _plugins(request, user).delete(request.path_params["name"])
    except HpotuiError as err:
        raise Refusal(404, err.message) from err
    return Response(status_code=200)


async def _trial(request: Request, user: str) -> tuple[str, TrialRecord]:
    exec_id = request.path_params["id"]
    parsed = split_app_id(exec_id)
    backend = state_of(request).tenants.backend(user)
    if parsed is not None and parsed[0].startswith(f"{user}-hpo-"):
        try:
            detail = await backend.get_experiment(parsed[0])
        except HpotuiError:
            detail = None
        trial = next((t for t in detail.trials if t.id == parsed[1]), None) if (
            detail
        ) else None
        if trial is not None:
            return parsed[0], trial
    raise Refusal(404, f"Execution {exec_id} is not found.")


async def get_exec(request: Request) -> Response:
    user = current_user(request)
    task, trial = await _trial(request, user)
    return json_answer(exec_json(task, trial, user))


_LOG_LINES = 100_000


async def exec_log(request: Request) -> Response:
    """The trial's output: a JSON string for JSON clients, else plain text.

    ``?logType=outlog`` gives its stdout and ``?logType=errlog`` its stderr, as
    WML-A does; without it both come, stdout first.
    """
    user = current_user(request)
    task, trial = await _trial(request, user)
    kind = request.query_params.get("logType")
    if kind in ("outlog", "errlog"):
        lines = _log_file(trial, kind)
    elif kind is None:
        backend = state_of(request).tenants.backend(user)
        lines = (await backend.trial_log(task, trial.id, lines=_LOG_LINES)).lines
    else:
        raise Refusal(400, f"logType {kind} is not known; use outlog or errlog")
    text = "".join(f"{line}\n" for line in lines)
    if "json" in request.headers.get("accept", "").split(",")[0]:
        return JSONResponse(text)
    return PlainTextResponse(text)


def _log_file(trial: TrialRecord, kind: str) -> list[str]:
    if trial.config_path is None:
        return []
    paths = trial_paths(Path(trial.config_path).parent)
    return tail_lines(paths.stdout if kind == "outlog" else paths.stderr, _LOG_LINES)


async def exec_result(request: Request) -> Response:
    """The trial's folder as a gzip tar, with ``size=`` as WML-A announces it."""
    user = current_user(request)
    task, trial = await _trial(request, user)
    if trial.config_path is None:
        raise Refusal(404, f"Execution {request.path_params['id']} has no results yet.")
    folder = Path(trial.config_path).parent
    scratch = state_of(request).tenants.scratch(user)
    archive = scratch / "result.tar.gz"
    # Packing a large trial folder takes seconds; the event loop keeps answering.
    await asyncio.to_thread(_pack_result, folder, archive)
    size = archive.stat().st_size
    disposition = f'attachment; filename="{trial.id}.tar.gz"; size={size}'
    return FileResponse(
        archive,
        media_type="application/octet-stream",
        headers={"content-disposition": disposition},
        background=BackgroundTask(state_of(request).tenants.discard, scratch),
    )


def _pack_result(folder: Path, archive: Path) -> None:
    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(folder, arcname=".")


def _logged_on_user(request: Request) -> str:
    pair = basic_credentials(request)
    if pair is None or not state_of(request).accounts.check_password(*pair):
        raise Refusal(401, "log on with HTTP Basic user name and password")
    return pair[0]


async def token_logon(request: Request) -> Response:
    """GET /auth/v1/logon with Basic: an access token for X-Auth-Token or Bearer."""
    user = _logged_on_user(request)
    return json_answer({"accessToken": state_of(request).accounts.issue_token(user)})


async def session_logon(request: Request) -> Response:
    """GET conductor /auth/logon with Basic: a session cookie."""
    user = _logged_on_user(request)
    response = json_answer({"user": user})
    token = state_of(request).accounts.issue_token(user)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict")
    return response
