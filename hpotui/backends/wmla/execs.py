"""Logs and results of one trial, read through WML-A's exec API.

Each trial of a task runs as an exec whose id is the experiment's ``appId``:
``/execs/{appId}/log`` gives its output and ``/execs/{appId}/result`` its result
folder as an archive.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from hpotui.backends.base import ExperimentDetail, LogTail
from hpotui.backends.wmla.archive import unpack_safely
from hpotui.backends.wmla.errors import RemoteError
from hpotui.errors import BackendError

if TYPE_CHECKING:
    from hpotui.backends.profiles import Profile
    from hpotui.backends.wmla.http import WmlaHttp

ProgressCallback = Callable[[int, "int | None"], None]
"""Called with the bytes received so far and the total, when the server says it."""

_SIZE = re.compile(r"size=(\d+)")
_CHUNK = 1 << 16


def log_text(body: str, media_type: str) -> str:
    """The log as text: DLPD sends a JSON string, CPD plain text."""
    if "json" in media_type:
        try:
            decoded = json.loads(body)
        except ValueError:
            return body
        if isinstance(decoded, str):
            return decoded
        if isinstance(decoded, list):
            return "\n".join(str(line) for line in decoded)
    return body


def announced_size(headers: dict[str, str] | object) -> int | None:
    """The download size from ``Content-Length`` or ``Content-Disposition: size=``."""
    get = headers.get  # type: ignore[attr-defined]
    length = get("content-length")
    if length and length.isdigit():
        return int(length)
    match = _SIZE.search(get("content-disposition") or "")
    return int(match[1]) if match else None


class ExecFiles:
    """Trial logs and results, mixed into the WML-A backend."""

    http: WmlaHttp
    profile: Profile

    async def get_experiment(self, name: str) -> ExperimentDetail:
        raise NotImplementedError

    async def _app_id(self, name: str, trial_id: int) -> str:
        detail = await self.get_experiment(name)
        trial = next((t for t in detail.trials if t.id == trial_id), None)
        if trial is None:
            known = ", ".join(str(t.id) for t in detail.trials) or "none yet"
            raise RemoteError(f"{name} has no trial {trial_id} (trials: {known}).")
        app_id = trial.meta.get("appId")
        if not app_id:
            raise RemoteError(
                f"Trial {trial_id} of {name} has not started on the cluster yet, so "
                "it has no log or results; try again once it runs."
            )
        return str(app_id)

    async def trial_log(self, name: str, trial_id: int, lines: int = 200) -> LogTail:
        app_id = await self._app_id(name, trial_id)
        response = await self.http.send(
            "GET",
            f"/execs/{quote(app_id, safe='')}/log",
            accept="application/json, text/plain",
        )
        media = response.headers.get("content-type", "")
        text_lines = log_text(response.text, media).splitlines()
        tail = text_lines[-lines:] if lines > 0 else text_lines
        return LogTail(tail, None, len(tail) < len(text_lines))

    async def download_results(
        self,
        name: str,
        trial_id: int,
        dest: Path,
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """Stream a trial's result archive to ``dest`` and unpack it there safely.

        Returns:
            The folder holding the unpacked results (or the file, when the server
            sent something that is not an archive).
        """
        app_id = await self._app_id(name, trial_id)
        try:
            dest.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise BackendError(
                f"cannot create {dest} for the results: {err.strerror}; give "
                "--dest a folder you can write to"
            ) from err
        archive = dest / f"{app_id}.result"
        response = await self.http.send(
            "GET",
            f"/execs/{quote(app_id, safe='')}/result",
            accept="application/octet-stream",
            stream=True,
        )
        total = announced_size(response.headers)
        received = 0
        try:
            with archive.open("wb") as out:
                async for chunk in response.aiter_bytes(_CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                    if on_progress is not None:
                        on_progress(received, total)
        finally:
            await response.aclose()
        unpacked = unpack_safely(archive, dest / f"{name}-trial-{trial_id}")
        if unpacked != archive:
            archive.unlink()
        return unpacked
