"""Named remote endpoints, remembered per user, and the tokens that go with them.

Profiles (``profiles.json``) hold what is needed to reach a server: its base URL, the
user name, how to log on and how to check TLS. Tokens and session cookies live apart
in ``credentials.json``, created readable by the owner only (0600). A password is
never written anywhere: Basic mode asks for it (or reads ``HPOTUI_PASSWORD``) in
each process that needs it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hpotui.errors import HpotuiError

AuthMode = Literal["basic", "session", "token", "bearer"]
CONFIG_DIR_ENV = "HPOTUI_CONFIG_DIR"


class ProfileError(HpotuiError):
    """A profile is missing or its file cannot be read."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message, title="Profile")


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    """What the user types after ``--profile``."""
    url: str
    """The deep-learning REST base, e.g. ``https://host:9243/platform/rest/deeplearning/v1``."""
    user: str
    """The account name on the cluster."""
    auth: AuthMode = "basic"
    """Basic on every call, a conductor session cookie, an ``X-Auth-Token`` from
    ``/auth/v1/logon``, or a bearer token given by the user."""
    auth_url: str | None = None
    """Where to log on, when it is not the default for the mode (the conductor
    ``/auth/logon`` sits on another port on most 1.2.x clusters)."""
    ca_bundle: str | None = None
    """A PEM file of the CA that signed the server's certificate."""
    insecure: bool = False
    """Skip TLS verification; warned about once per process."""
    poll_interval: float = 30.0
    """The longest wait between two polls of a steady task, in seconds."""
    unknown_state_notice: float = 1800.0
    """Seconds a task may stay in a state hpotui does not know (e.g. RECOVERPEND)
    before the monitor says so; repeated each time that long passes again."""
    unknown_state_limit: float = 6 * 3600.0
    """Seconds in one unknown state after which monitoring stops (the task is not
    marked failed and can be attached again); 0 follows it forever."""
    reconnect_window: float = Field(default=120.0, ge=0)
    """While following a task, how long (s) refused connections are retried, so
    that a server restart is ridden out; then following stops (attach resumes)."""


def config_dir() -> Path:
    """The per-user folder of profiles and credentials."""
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_config_dir("hpotui"))


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ProfileError(f"Cannot read {path}: {err}; fix or delete it.") from err
    if not isinstance(data, dict):
        raise ProfileError(f"{path} is not a JSON object; fix or delete it.")
    return data


def write_private_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` so that no other user can read it, even for an instant."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_profiles() -> dict[str, Profile]:
    """Every saved profile by name."""
    path = config_dir() / "profiles.json"
    profiles = {}
    for name, fields in _read_json(path).items():
        try:
            profiles[name] = Profile(name=name, **fields)
        except (ValidationError, TypeError) as err:
            raise ProfileError(f"Profile {name!r} in {path} is invalid: {err}") from err
    return profiles


def get_profile(name: str) -> Profile:
    """The profile called ``name``.

    Raises:
        ProfileError: No such profile; the message says how to create it.
    """
    profiles = load_profiles()
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none yet"
        raise ProfileError(
            f"No profile named {name!r} (known: {known}). Create it with "
            f"`hpotui login {name} --url BASE_URL --user NAME`."
        )
    return profiles[name]


def save_profile(profile: Profile) -> None:
    """Add or replace a profile."""
    path = config_dir() / "profiles.json"
    data = _read_json(path)
    data[profile.name] = profile.model_dump(exclude={"name"})
    write_private_json(path, data)


def load_credential(profile: str) -> dict[str, Any] | None:
    """The stored token or cookies of a profile, if it has logged on."""
    entry = _read_json(config_dir() / "credentials.json").get(profile)
    return entry if isinstance(entry, dict) else None


def save_credential(profile: str, credential: dict[str, Any] | None) -> None:
    """Store (or with None forget) a profile's token or cookies, owner-only."""
    path = config_dir() / "credentials.json"
    data = _read_json(path)
    if credential is None:
        data.pop(profile, None)
    else:
        data[profile] = credential
    write_private_json(path, data)
