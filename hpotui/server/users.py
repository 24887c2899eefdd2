"""Accounts of ``hpotui serve``: a file of salted scrypt hashes, and logon tokens.

Passwords are checked with :func:`hashlib.scrypt` (memory-hard, salted per user) and
compared in constant time. Tokens handed out by ``/auth/v1/logon`` are signed, not
stored: each carries its user and expiry, with an HMAC under a key kept in the
server's folder (owner-only), so they stay valid when the server restarts. The MAC
also covers the user's password salt, so changing a password revokes the user's
tokens.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from hpotui.backends.profiles import config_dir, write_private_json
from hpotui.errors import HpotuiError

logger = logging.getLogger(__name__)

_KEY_BYTES = 32
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


def load_token_key(path: Path) -> bytes:
    """The key that signs logon tokens, created (owner-only) on first use.

    Raises:
        UsersFileError: The key file cannot be read or written, or is too short.
    """
    try:
        return _read_key(path) if path.exists() else _create_key(path)
    except FileExistsError:  # another server created it meanwhile
        return _read_key(path)
    except OSError as err:
        raise UsersFileError(
            f"Cannot read or create the token key {path}: {err}; check the "
            "permissions of the server's workspace."
        ) from err


def _create_key(path: Path) -> bytes:
    key = secrets.token_bytes(_KEY_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def _read_key(path: Path) -> bytes:
    if path.stat().st_mode & 0o077:
        logger.warning("token key %s was readable by others; made it owner-only", path)
        path.chmod(0o600)
    key = path.read_bytes()
    if len(key) < _KEY_BYTES:
        raise UsersFileError(
            f"The token key {path} is shorter than {_KEY_BYTES} bytes; delete it "
            "and restart the server (users then log on again)."
        )
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Accounts:
    """The users a server accepts, and the tokens it signs for them.

    Args:
        path: The users file.
        key_file: Where the token-signing key is kept; without one the key lives
            in memory and tokens end with the process.
    """

    path: Path
    key_file: Path | None = None
    _recent: dict[bytes, float] = field(default_factory=dict)
    _cached: tuple[tuple[int, int, int], dict[str, dict[str, str]]] | None = None
    _secret: bytes = field(default_factory=lambda: secrets.token_bytes(_KEY_BYTES))

    def __post_init__(self) -> None:
        if self.key_file is not None:
            self._secret = load_token_key(self.key_file)

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
        """A token naming ``name`` that is valid for :data:`TOKEN_SECONDS`."""
        expires = str(int(time.time() + TOKEN_SECONDS))
        encoded = _b64(name.encode())
        return f"{encoded}.{expires}.{_b64(self._mac(name, expires))}"

    def user_of_token(self, token: str) -> str | None:
        """The user a token was issued to, or None if it is forged or expired."""
        try:
            encoded, expires, mac = token.split(".")
            name = _unb64(encoded).decode()
            given = _unb64(mac)
        except (ValueError, binascii.Error):
            return None
        expected = self._mac(name, expires)
        if expected is None or not hmac.compare_digest(given, expected):
            return None
        if not expires.isdigit() or int(expires) < time.time():
            return None
        return name

    def _mac(self, name: str, expires: str) -> bytes | None:
        """The MAC of a token, or None when ``name`` is no longer a user."""
        entry = self._users().get(name)
        if not entry:
            return None
        message = f"{name}\0{expires}\0{entry['salt']}".encode()
        return hmac.digest(self._secret, message, "sha256")

    def _users(self) -> dict[str, dict[str, str]]:
        """The users file, read again only when it changed (polls check tokens)."""
        try:
            stat = self.path.stat()
            version = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            return {}
        if self._cached is None or self._cached[0] != version:
            self._cached = (version, _read(self.path))
        return self._cached[1]
