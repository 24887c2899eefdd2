"""How each request proves who it comes from, in the four ways WML-A sites use.

- ``basic``: HTTP Basic on every call (DLPD 1.2.x); nothing is stored.
- ``session``: ``GET {conductor}/auth/logon`` with Basic; the cookies it sets are
  sent instead of credentials afterwards.
- ``token``: ``GET {host}/auth/v1/logon`` with Basic returns ``accessToken``, sent as
  ``X-Auth-Token`` (Cloud Pak for Data 3.5).
- ``bearer``: a token the user obtained elsewhere, sent as ``Authorization: Bearer``.

Tokens and cookies are kept with :func:`save_credential` (owner-only file); the
password only ever lives in memory.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from hpotui.backends.profiles import Profile, load_credential, save_credential
from hpotui.backends.wmla.errors import AuthenticationError


def basic_header(user: str, password: str) -> str:
    raw = f"{user}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def default_logon_url(profile: Profile) -> str:
    """Where the profile's mode logs on unless ``auth_url`` says otherwise."""
    if profile.auth_url:
        return profile.auth_url
    parts = urlsplit(profile.url)
    if profile.auth == "session":
        # The conductor API sits beside the deep-learning one; many sites put it on
        # another port, which the user then gives as --auth-url.
        path = parts.path.replace("/deeplearning/v1", "/conductor/v1")
        return urlunsplit((*parts[:2], path.rstrip("/") + "/auth/logon", "", ""))
    return urlunsplit((*parts[:2], "/auth/v1/logon", "", ""))


@dataclass
class Credentials:
    """The secrets of one profile in this process.

    Attributes:
        profile: The endpoint and mode.
        password: Held in memory only; needed for Basic and to log on again.
        token: The access or bearer token, when the mode has one.
        cookies: The session cookies of ``session`` mode.
    """

    profile: Profile
    password: str | None = None
    token: str | None = None
    cookies: dict[str, str] | None = None

    @classmethod
    def from_store(cls, profile: Profile, password: str | None) -> Credentials:
        """The credentials saved by the last ``hpotui login`` of this profile."""
        stored = load_credential(profile.name) or {}
        return cls(profile, password, stored.get("token"), stored.get("cookies"))

    @property
    def can_log_on(self) -> bool:
        """Whether a rejected session can be renewed without asking the user."""
        return self.password is not None and self.profile.auth in ("session", "token")

    def headers(self) -> dict[str, str]:
        """The headers that authenticate one request."""
        mode = self.profile.auth
        if mode == "basic":
            return {"Authorization": basic_header(self.profile.user, self._password())}
        if mode == "bearer" and self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if mode == "token" and self.token:
            return {"X-Auth-Token": self.token}
        if mode == "session" and self.cookies:
            cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            return {"Cookie": cookie}
        if self.password is not None and mode != "bearer":
            return {}  # the caller logs on first
        raise AuthenticationError(self._missing_message())

    def logon_request(self) -> tuple[str, dict[str, str]]:
        """URL and headers of the logon call of ``session`` and ``token`` modes."""
        headers = {
            "Authorization": basic_header(self.profile.user, self._password()),
            "Accept": "application/json",
        }
        return default_logon_url(self.profile), headers

    def accept_logon(self, body: Any, cookies: dict[str, str]) -> None:
        """Keep what a successful logon returned, in memory and in the owner-only file.

        Raises:
            AuthenticationError: The answer holds no token (token mode) or no cookie.
        """
        if self.profile.auth == "token":
            token = body.get("accessToken") if isinstance(body, dict) else None
            if not isinstance(token, str) or not token:
                raise AuthenticationError(
                    f"The logon at {default_logon_url(self.profile)} answered without "
                    "an accessToken; check --auth-url, or use --auth basic."
                )
            self.token = token
        else:
            if not cookies:
                raise AuthenticationError(
                    f"The logon at {default_logon_url(self.profile)} set no session "
                    "cookie; check --auth-url, or use --auth basic."
                )
            self.cookies = dict(cookies)
        self.save()

    def save(self) -> None:
        """Store the token or cookies (never the password)."""
        if self.token is None and self.cookies is None:
            return
        entry = {"obtained_at": int(time.time()), "mode": self.profile.auth}
        if self.token is not None:
            entry["token"] = self.token
        if self.cookies is not None:
            entry["cookies"] = self.cookies
        save_credential(self.profile.name, entry)

    def needs_logon(self) -> bool:
        """Whether the first request must be preceded by a logon call."""
        if self.profile.auth == "token":
            return self.token is None
        return self.profile.auth == "session" and not self.cookies

    def _password(self) -> str:
        if self.password is None:
            raise AuthenticationError(self._missing_message())
        return self.password

    def _missing_message(self) -> str:
        name = self.profile.name
        if self.profile.auth == "basic":
            return (
                f"Profile {name} sends the password with every call, and none was "
                "given: run interactively to be asked, or set HPOTUI_PASSWORD."
            )
        return f"Profile {name} is not logged on: run `hpotui login {name}`."
