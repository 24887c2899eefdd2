"""``/hypersearch``: submit, list, read, stop and delete HPO tasks."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from hpotui.backends.wmla.archive import UnpackedSizeError
from hpotui.errors import HpotuiError, StoreError
from hpotui.experiment.wmla import from_wmla_request
from hpotui.server.http import (
    Refusal,
    check_length,
    current_user,
    data_part,
    json_answer,
    save_file_part,
    state_of,
)
from hpotui.server.shapes import task_json
from hpotui.server.tenants import new_task_name, unpack_upload

logger = logging.getLogger(__name__)
_DELETE_WAIT_SECONDS = 30.0
_RUNNING_ANSWER_SECONDS = 1.0
_ENDED = ("FINISHED", "FAILED", "STOPPED")


async def _task_body(request: Request, user: str, name: str) -> dict:
    backend = state_of(request).tenants.backend(user)
    try:
        detail = await backend.get_experiment(name)
    except StoreError as err:
        raise Refusal(404, f"Model tuning {name} is not found.") from err
    return task_json(detail.summary, detail.trials, detail.experiment, user)


async def submit(request: Request) -> Response:
    """POST: a multipart ``data`` (the request body) and ``file`` (the model tar)."""
    user = current_user(request)
    check_length(request)
    tenants = state_of(request).tenants
    scratch = tenants.scratch(user)
    try:
        async with request.form(max_files=2, max_fields=4) as form:
            data = await data_part(form)
            archive = await save_file_part(form, scratch)
        if archive is None:
            raise Refusal(400, "the multipart part file (the model tar) is missing")
        _check_algorithm(request, user, data)
        name = new_task_name(user)
        target = tenants.upload_dir(user, name)
        try:
            folder = await asyncio.to_thread(
                unpack_upload, archive, target, state_of(request).max_unpacked
            )
        except UnpackedSizeError as err:
            tenants.discard(target)
            raise Refusal(413, err.message) from err
        except (ValueError, HpotuiError) as err:
            tenants.discard(target)
            raise Refusal(400, f"the model archive cannot be used: {err}") from err
        name = await _start(request, user, name, data, folder)
    finally:
        tenants.discard(scratch)
    logger.info("%s submitted %s", user, name)
    return json_answer(name)


def _check_algorithm(request: Request, user: str, data: dict) -> None:
    """Refuse an algorithm that is neither built in nor one of the user's plugins."""
    from hpotui.server.other import algorithm_names

    algo = data.get("algoDef")
    wanted = algo.get("algorithm") if isinstance(algo, dict) else None
    known = algorithm_names(request, user)
    if isinstance(wanted, str) and wanted.lower() not in {n.lower() for n in known}:
        raise Refusal(
            400, f"unknown search algorithm {wanted}; available: {', '.join(known)}"
        )


async def _start(
    request: Request, user: str, name: str, data: dict, folder: Path
) -> str:
    tenants = state_of(request).tenants
    try:
        experiment = from_wmla_request(data, folder.parent, name=name)
        _check_model_main(experiment.model.command, folder)
        model = experiment.model.model_copy(update={"dir": folder.resolve()})
        experiment = experiment.model_copy(update={"model": model})
        return await tenants.backend(user).submit(experiment)
    except Refusal:
        tenants.discard(tenants.upload_dir(user, name))
        raise
    except HpotuiError as err:
        tenants.discard(tenants.upload_dir(user, name))
        raise Refusal(400, err.message) from err


def _check_model_main(command: list[str], folder: Path) -> None:
    """Refuse a ``--model-main`` that is not a file inside the uploaded model folder.

    Trials run the script from a copy of that folder, so a script outside it, or
    one the archive lacks, could only fail (or run something that is not the
    user's).
    """
    script = command[1] if len(command) > 1 else ""
    root = folder.resolve()
    path = (root / script).resolve()
    if path.is_file() and path.is_relative_to(root):
        return
    scripts = sorted(p.name for p in root.glob("*.py"))[:5]
    holds = f"it holds {', '.join(scripts)}" if scripts else "it holds no .py file"
    raise Refusal(
        400,
        f"--model-main {script} in modelSpec.args is not a file inside the uploaded "
        f"model folder ({holds}); name a script of the archive, relative to its "
        "top folder",
    )


async def list_tasks(request: Request) -> Response:
    user = current_user(request)
    backend = state_of(request).tenants.backend(user)
    summaries = await backend.list_experiments()
    return json_answer([await _task_body(request, user, s.name) for s in summaries])


async def get_task(request: Request) -> Response:
    """GET one task; many clients polling one task share one rendering of it.

    A running task is rendered at most once per second; an ended task does not
    change until it is deleted, so its answer is kept.
    """
    user = current_user(request)
    name = request.path_params["name"]
    answers = state_of(request).answers
    cached = answers.get((user, name))
    now = time.monotonic()
    if cached is None or cached[0] < now:
        body = await _task_body(request, user, name)
        ended = body["state"] in _ENDED
        fresh_until = math.inf if ended else now + _RUNNING_ANSWER_SECONDS
        cached = (fresh_until, json.dumps(body, separators=(",", ":")).encode())
        answers[(user, name)] = cached
    return Response(cached[1], media_type="application/json")


async def stop_task(request: Request) -> Response:
    """PUT: stop a running task; a task that has ended gets WML-A's 400."""
    user = current_user(request)
    name = request.path_params["name"]
    body = await _task_body(request, user, name)
    if body["state"] in _ENDED:
        raise Refusal(400, f"Model tuning {name} is already stopped.")
    await state_of(request).tenants.backend(user).stop(name)
    state_of(request).forget(user, name)
    return Response(status_code=200)


async def _delete(request: Request, user: str, name: str) -> None:
    backend = state_of(request).tenants.backend(user)
    body = await _task_body(request, user, name)
    if body["state"] not in _ENDED:
        await backend.stop(name)
        # A task run by another process was already ended by the stop above.
        with contextlib.suppress(HpotuiError):
            await asyncio.wait_for(backend.wait(name), _DELETE_WAIT_SECONDS)
    await backend.delete(name)
    state_of(request).forget(user, name)
    tenants = state_of(request).tenants
    tenants.discard(tenants.upload_dir(user, name))


async def delete_task(request: Request) -> Response:
    user = current_user(request)
    await _delete(request, user, request.path_params["name"])
    return Response(status_code=200)


async def delete_all(request: Request) -> Response:
    user = current_user(request)
    backend = state_of(request).tenants.backend(user)
    for summary in await backend.list_experiments():
        await _delete(request, user, summary.name)
    return Response(status_code=200)
