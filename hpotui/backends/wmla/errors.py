"""Errors of the WML-A client, each worded for the person who has to act on it.

"Unreachable or timed out" (nothing answered) and "refused" (the server answered
with an error status) are different classes because the fixes differ: the first is
the URL, the network or a VPN; the second is the request or the account.
"""

from __future__ import annotations

import re

from hpotui.errors import BackendError

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
BODY_EXCERPT_CHARS = 200


def body_excerpt(text: str) -> str:
    """The first characters of a text or HTML body, tags stripped, one line."""
    without_tags = _TAG.sub(" ", text)
    return _SPACE.sub(" ", without_tags).strip()[:BODY_EXCERPT_CHARS]


class RemoteError(BackendError):
    """Any failure talking to a WML-A server."""

    def __init__(self, message: str, title: str = "WML-A") -> None:
        super().__init__(message, title=title)


class RemoteUnreachableError(RemoteError):
    """Nothing answered: DNS, connection refused by the host, or a time-out."""

    def __init__(self, message: str) -> None:
        super().__init__(message, title="Server unreachable")


class TlsVerificationError(RemoteError):
    """The server's certificate could not be verified."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"The TLS certificate of {url} could not be verified. If the cluster "
            "uses a private CA, pass its certificate with --ca-bundle FILE (or set "
            "SSL_CERT_FILE); only if you trust the network, use --insecure.",
            title="TLS verification failed",
        )


class RemoteRefusedError(RemoteError):
    """The server answered with an error status.

    Attributes:
        status: The HTTP status code.
        url: The request URL.
        excerpt: The start of the body, tags stripped.
    """

    def __init__(self, status: int, method: str, url: str, excerpt: str) -> None:
        detail = f": {excerpt}" if excerpt else ""
        super().__init__(
            f"The server refused {method} {url} with HTTP {status}{detail}",
            title=f"HTTP {status}",
        )
        self.status = status
        self.url = url
        self.excerpt = excerpt


class NotJsonError(RemoteError):
    """A success status with a body that is not JSON, typically a sign-on page."""

    def __init__(self, url: str, base_url: str, profile: str, excerpt: str) -> None:
        super().__init__(
            f"{url} answered with a page instead of JSON ({excerpt[:80]!r}). This is "
            "usually a single sign-on or proxy page: check that the profile's base "
            f"URL {base_url} ends in /platform/rest/deeplearning/v1, and log on "
            f"again with `hpotui login {profile}`.",
            title="Not a WML-A answer",
        )


class AuthenticationError(RemoteError):
    """The server rejected the credentials, even after logging on again."""

    def __init__(self, message: str) -> None:
        super().__init__(message, title="Not logged on")


class MonitoringDetachedError(AuthenticationError):
    """Monitoring stopped because the session expired; the task itself runs on."""

    def __init__(self, name: str, profile: str) -> None:
        super().__init__(
            f"Stopped following {name}: the server no longer accepts this session. "
            f"The task keeps running on the cluster and its local record is kept. "
            f"Log on with `hpotui login {profile}`, then follow it again with "
            f"`hpotui --profile {profile} attach {name}`."
        )
        self.name = name


class MonitoringLostServerError(RemoteUnreachableError):
    """Monitoring stopped because the server stayed unreachable; the task may run on."""

    def __init__(self, name: str, profile: str, cause: RemoteUnreachableError) -> None:
        super().__init__(
            f"Stopped following {name}: {cause.message} The task may still be "
            f"running on the server, and its local record is kept; once the server "
            f"answers again, `hpotui --profile {profile} attach {name}` picks it up "
            f"again. How long a server may refuse connections while a task is "
            f"followed is the profile's reconnect_window (`hpotui login {profile} "
            "--reconnect-window SECONDS`)."
        )
        self.name = name


class MonitoringGaveUpError(RemoteError):
    """Monitoring stopped after a long time in a state hpotui does not know."""

    def __init__(self, name: str, profile: str, state: str, elapsed: str) -> None:
        super().__init__(
            f"Stopped following {name}: the server has reported {state} for "
            f"{elapsed}, a state hpotui does not know. The task is not marked "
            f"failed and its local record is kept. Check it on the cluster or with "
            f"`hpotui --profile {profile} show {name}`, and follow it again with "
            f"`hpotui --profile {profile} attach {name}`. The limit is the "
            f"profile's unknown_state_limit (`hpotui login {profile} "
            "--unknown-state-limit SECONDS`, 0 for none).",
            title="Monitoring stopped",
        )
        self.name = name
        self.state = state
