"""Opening a remote backend from a profile and a password typed at log-on."""

from __future__ import annotations

from hpotui.backends.base import Backend
from hpotui.backends.profiles import Profile


async def connect_remote(profile: Profile, password: str) -> Backend:
    """A WML-A backend for ``profile`` that has answered one request.

    Listing the experiments once proves the URL, the TLS settings and the
    credentials before the dashboard switches over.

    Raises:
        HpotuiError: The server is unreachable or refused the log-on; the message
            names the URL and what to check.
    """
    from hpotui.backends.wmla import WmlaBackend

    backend = WmlaBackend(profile, password or None)
    try:
        await backend.list_experiments()
    except BaseException:
        await backend.close()
        raise
    return backend
