"""Shared pieces of the WML-A client tests: the fixtures and a scripted server."""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from fixture_files import WMLA_FIXTURES

from hpotui.backends.profiles import Profile
from hpotui.backends.wmla import WmlaBackend
from hpotui.backends.wmla.book import TaskBook

FIXTURES = WMLA_FIXTURES
BASE = "https://wmla.example.com:9243/platform/rest/deeplearning/v1"

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def fixture(name: str) -> Any:
    """A fixture file decoded from JSON."""
    return json.loads((FIXTURES / name).read_text())


def json_reply(body: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


def text_reply(text: str, status: int, media: str = "text/plain") -> httpx.Response:
    return httpx.Response(status, text=text, headers={"content-type": media})


class ScriptedServer:
    """Answers each (method, path) with the next reply queued for it.

    The last reply of a queue repeats, so a steady endpoint needs one entry.
    Every request is kept in :attr:`requests` for assertions.
    """

    def __init__(self) -> None:
        self.replies: dict[tuple[str, str], deque[Reply]] = defaultdict(deque)
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *replies: Reply) -> ScriptedServer:
        self.replies[(method, path)].extend(replies)
        return self

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [
            r for r in self.requests if r.method == method and r.url.path == path
        ]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        queue = self.replies.get((request.method, request.url.path))
        if not queue:
            return text_reply("Error 404: no route", 404)
        reply = queue.popleft() if len(queue) > 1 else queue[0]
        if isinstance(reply, Exception):
            raise reply
        if callable(reply) and not isinstance(reply, httpx.Response):
            return reply(request)
        return reply

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def api(path: str) -> str:
    """The URL path of an API call under the base URL."""
    return "/platform/rest/deeplearning/v1" + path


async def no_wait(_seconds: float) -> None:
    return None


def make_backend(
    server: ScriptedServer,
    tmp_path: Path,
    auth: str = "basic",
    password: str | None = "s3cret",
    **options: Any,
) -> WmlaBackend:
    profile = Profile(name="lab", url=BASE, user="alice", auth=auth)  # type: ignore[arg-type]
    return WmlaBackend(
        profile,
        password,
        transport=server.transport(),
        book=TaskBook(tmp_path / "tasks.json"),
        **{"sleep": no_wait, **options},
    )
