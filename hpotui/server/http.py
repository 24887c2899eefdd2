"""Request plumbing of the server: who is asking, errors as WML-A words them, uploads.

WML-A answers errors with a plain-text body ``Error <code>: <message>``; so does
this server. Uploads are read in chunks with a size limit and never held whole in
memory.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from hpotui.server.tenants import Tenants
from hpotui.server.users import Accounts

SESSION_COOKIE = "hpotui_session"
_CHUNK = 1 << 20


@dataclass
class ServerState:
    """What every handler needs; kept in ``app.state.hpotui``."""

    accounts: Accounts
    tenants: Tenants
    max_upload: int
    """Largest request body accepted, in bytes."""
    max_unpacked: int
    """Largest total size of the files an uploaded archive unpacks to, in bytes."""
    answers: dict[tuple[str, str], tuple[float, bytes]] = field(default_factory=dict)
    """Rendered task answers by (user, task) with the time they go stale."""

    def forget(self, user: str, task: str) -> None:
        self.answers.pop((user, task), None)


class Refusal(Exception):  # noqa: N818 - an answer, not a failure of the server
    """Raised by handlers to answer with a WML-A style error."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> Response:
        challenge = {"WWW-Authenticate": 'Basic realm="hpotui"'}
        headers = challenge if self.status == 401 else {}
        return PlainTextResponse(
            f"Error {self.status}: {self.message}\n", self.status, headers=headers
        )


def state_of(request: Request) -> ServerState:
    return request.app.state.hpotui


def basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        raw = base64.b64decode(header[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = raw.partition(":")
    return (user, password) if sep else None


def current_user(request: Request) -> str:
    """The account making the request: Basic, X-Auth-Token, Bearer or cookie.

    Raises:
        Refusal: 401 when none of them is valid.
    """
    accounts = state_of(request).accounts
    pair = basic_credentials(request)
    if pair is not None and accounts.check_password(*pair):
        return pair[0]
    header = request.headers.get("authorization", "")
    bearer = header[7:] if header.lower().startswith("bearer ") else None
    for token in (request.headers.get("x-auth-token"), bearer,
                  request.cookies.get(SESSION_COOKIE)):
        user = accounts.user_of_token(token) if token else None
        if user is not None:
            return user
    raise Refusal(401, "log on with HTTP Basic, X-Auth-Token or a bearer token")


def check_length(request: Request) -> None:
    """Refuse a body over the limit before reading it."""
    limit = state_of(request).max_upload
    length = request.headers.get("content-length")
    if length is None:
        raise Refusal(411, "send a Content-Length with uploads")
    if not length.isdigit() or int(length) > limit:
        raise Refusal(413, f"the upload of {length} bytes exceeds {limit} bytes")


async def data_part(form: Any) -> dict[str, Any]:
    """The JSON ``data`` part: a plain field or, from some clients, a file part."""
    value = form.get("data")
    if isinstance(value, UploadFile):
        value = (await value.read()).decode("utf-8", "replace")
    if not isinstance(value, str):
        raise Refusal(400, "the multipart field data (a JSON object) is missing")
    try:
        data = json.loads(value)
    except ValueError as err:
        raise Refusal(400, f"the data field is not JSON: {err}") from err
    if not isinstance(data, dict):
        raise Refusal(400, "the data field must be a JSON object")
    return data


async def save_file_part(form: Any, folder: Path) -> Path | None:
    """Copy the uploaded archive (part ``file``, or any file part) into ``folder``."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        files = [
            v
            for k, v in form.multi_items()
            if isinstance(v, UploadFile) and k != "data"
        ]
        upload = files[0] if files else None
    if upload is None:
        return None
    target = folder / "upload.tar"
    with target.open("wb") as out:
        while chunk := await upload.read(_CHUNK):
            out.write(chunk)
    return target


def json_answer(body: Any, status: int = 200) -> Response:
    return JSONResponse(body, status)
