"""Opening a remote backend from a profile and a password typed at log-on."""

from __future__ import annotations

from hpotui.backends.base import Backend
from hpotui.errors import BackendError
from hpotui.profiles import Profile


async def connect_remote(profile: Profile, password: str) -> Backend:
    """A logged-on WML-A backend for ``profile``.

    Raises:
        BackendError: The remote backend is missing from this installation, or the
            server refused the log-on.
    """
    try:
        from hpotui.backends import wmla
    except ImportError as err:
        raise BackendError(
            "this installation has no WML-A backend; use the embedded profile",
            title="Log on",
        ) from err
    # TODO: call the WML-A backend's log-on once its constructor settles; the
    # remote backend is built in parallel with this screen.
    raise BackendError(
        f"cannot log on to {profile.url} yet: {wmla.__name__} has no log-on entry",
        title="Log on",
    )
