"""Backend profiles: the embedded engine or a remote WML-A endpoint, by name.

Profiles keep the URL, user name, CA bundle and TLS choice in a JSON file in the
user's config folder. Passwords are never written: a remote profile asks for its
password (or token) at each log-on.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from platformdirs import user_config_dir
from pydantic import BaseModel, ConfigDict, ValidationError

from hpotui.errors import HpotuiError

EMBEDDED = "embedded"


class Profile(BaseModel):
    """Where the dashboard and the command line send their requests."""

    model_config = ConfigDict(extra="forbid")

    name: str
    """How the user picks the profile (``--profile NAME``)."""
    kind: Literal["embedded", "wmla"] = "embedded"
    """The embedded engine on this machine, or a WML-A endpoint."""
    url: str | None = None
    """The WML-A REST base URL, e.g. ``https://wmla.example.com/platform/rest``."""
    user: str | None = None
    """The WML-A user name; the password is asked for at log-on, never stored."""
    ca_bundle: str | None = None
    """A PEM file of the CA that signed the server's certificate."""
    insecure: bool = False
    """Skip TLS certificate checks (test clusters only)."""


def profiles_path() -> Path:
    """The profiles file (``HPOTUI_PROFILES`` overrides the per-user default)."""
    override = os.environ.get("HPOTUI_PROFILES")
    if override:
        return Path(override)
    return Path(user_config_dir("hpotui")) / "profiles.json"


def load_profiles(path: Path | None = None) -> list[Profile]:
    """The embedded profile first, then every saved remote one.

    Raises:
        HpotuiError: The file exists but is not a list of profiles.
    """
    path = path or profiles_path()
    saved: list[Profile] = []
    if path.exists():
        try:
            saved = [Profile(**item) for item in json.loads(path.read_text())]
        except (ValueError, TypeError, ValidationError) as err:
            raise HpotuiError(
                f"profiles file {path} is not valid ({err}); fix or delete it",
                title="Profiles",
            ) from err
    return [Profile(name=EMBEDDED), *(p for p in saved if p.name != EMBEDDED)]


def save_profile(profile: Profile, path: Path | None = None) -> None:
    """Add or replace ``profile`` in the file (readable by the user only)."""
    path = path or profiles_path()
    others = [p for p in load_profiles(path) if p.name not in (profile.name, EMBEDDED)]
    path.parent.mkdir(parents=True, exist_ok=True)
    data = [p.model_dump() for p in [*others, profile]]
    path.write_text(json.dumps(data, indent=2))
    path.chmod(0o600)
