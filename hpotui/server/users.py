"""Accounts of ``hpotui serve``: a file of salted scrypt hashes, and logon tokens.

Passwords are checked with :func:`hashlib.scrypt` (memory-hard, salted per user) and
compared in constant time. Tokens handed out by ``/auth/v1/logon`` live in memory
only; a restarted server asks clients to log on again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from hpotui.backends.profiles import config_dir, write_private_json
from hpotui.errors import HpotuiError

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,63}$")
TOKEN_SECONDS = 12 * 3600
"""Lifetime of a logon token; WML-A's observed tokens last about 12 hours."""


class UsersFileError(HpotuiError):
    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message, title="Users")


def default_users_file() -> Path:
    return config_dir() / "server_users.json"


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)


def _read(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise UsersFileError(f"Cannot read the users file {path}: {err}") from err
    if not isinstance(data, dict):
        raise UsersFileError(f"The users file {path} is not a JSON object.")
    return data


def add_user(path: Path, name: str, password: str) -> None:
    """Add or replace ``name`` with a fresh salt.

    Raises:
        UsersFileError: The name is not a plain account name or the password is empty.
    """
    if not _NAME.match(name):
        raise UsersFileError(
            f"User name {name!r} is not allowed: start with a letter, then letters, "
            "digits, '_' or '.' (no '-', which WML-A uses inside task names)."
        )
    if not password:
        raise UsersFileError("The password is empty; give one on stdin.")
    salt = secrets.token_bytes(16)
    users = _read(path)
    users[name] = {"salt": salt.hex(), "hash": _hash(password, salt).hex()}
    write_private_json(path, users)


@dataclass
class Accounts:
    """The users a server accepts, and the tokens it has issued."""

    path: Path
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    _recent: dict[bytes, float] = field(default_factory=dict)
    _secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def check_password(self, name: str, password: str) -> bool:
        """Whether ``password`` is ``name``'s.

        Basic clients send the password with every poll; a check that passed is
        remembered for a minute (by a keyed digest, not the password) so that
        polling does not cost a full scrypt each time.
        """
        key = hmac.digest(self._secret, f"{name}\0{password}".encode(), "sha256")
        if self._recent.get(key, 0.0) > time.time():
            return True
        if self._verify(name, password):
            self._recent[key] = time.time() + 60
            return True
        return False

    def _verify(self, name: str, password: str) -> bool:
        entry = _read(self.path).get(name)
        if not entry:
            # Spend the same time as for a real user, so names cannot be probed.
            _hash(password, b"0" * 16)
            return False
        expected = bytes.fromhex(entry["hash"])
        actual = _hash(password, bytes.fromhex(entry["salt"]))
        return hmac.compare_digest(actual, expected)

    def issue_token(self, name: str) -> str:
        token = secrets.token_urlsafe(32)
        self._tokens[token] = (name, time.time() + TOKEN_SECONDS)
        return token

    def user_of_token(self, token: str) -> str | None:
        entry = self._tokens.get(token)
        if entry is None or entry[1] < time.time():
            self._tokens.pop(token, None)
            return None
        return entry[0]
