"""The one place that sends requests to a WML-A server.

Every call goes through :meth:`WmlaHttp.send`, which adds credentials, retries what
is worth retrying (5xx, 429, connection resets, time-outs) with bounded exponential
back-off, rides out a server that refuses connections for a bounded window when
asked to (monitoring), logs on again once on a 401, and turns every failure into a
:class:`~hpotui.backends.wmla.errors.RemoteError` that says what to do.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from hpotui.backends.profiles import Profile
from hpotui.backends.wmla.auth import Credentials
from hpotui.backends.wmla.errors import (
    AuthenticationError,
    NotJsonError,
    RemoteRefusedError,
    RemoteUnreachableError,
    TlsVerificationError,
    body_excerpt,
)
from hpotui.backends.wmla.parse import collection_paused

logger = logging.getLogger(__name__)

FilesFactory = Callable[[], dict[str, Any]]
"""Builds the multipart parts afresh, so that files are reopened on each attempt."""

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_RESET_ERRORS = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)
_RECONNECT_WAIT_CAP = 10.0
"""Longest wait between two reconnection attempts, so a restarted server is met
within seconds of it coming back."""
_warned_insecure: set[str] = set()


@dataclass
class _Outage:
    """Refused connections met by one request, and how long they may be retried."""

    window: float
    started: float | None = None
    refusals: int = 0


def insecure_warning(profile: Profile) -> str | None:
    """The warning text for a profile that skips TLS checks, or None."""
    if not profile.insecure or not profile.url.startswith("https"):
        return None
    return (
        f"TLS verification is off for {profile.name}: anyone on the network path "
        "can read and change what is sent. Use --ca-bundle FILE instead."
    )


def claim_insecure_warning(profile: Profile) -> str | None:
    """The insecure-TLS warning if nothing has shown it yet in this process.

    Whoever claims it shows it (the CLI prints it); later claims get None, so a
    process warns once per profile.
    """
    warning = insecure_warning(profile)
    if warning is None or profile.name in _warned_insecure:
        return None
    _warned_insecure.add(profile.name)
    return warning


def tls_setting(profile: Profile) -> ssl.SSLContext | bool:
    """What httpx should verify against: a bundle, the system store, or nothing."""
    if insecure_warning(profile) is not None:
        warning = claim_insecure_warning(profile)
        if warning is not None:
            logger.warning("%s", warning)
        return False
    bundle = profile.ca_bundle or os.environ.get("SSL_CERT_FILE")
    if bundle:
        try:
            return ssl.create_default_context(cafile=bundle)
        except (OSError, ssl.SSLError) as err:
            raise RemoteUnreachableError(
                f"Cannot use the CA bundle {bundle}: {err}; give a PEM file."
            ) from err
    return ssl.create_default_context()


def _media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip() or "none"


def _is_tls_failure(err: BaseException) -> bool:
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class WmlaHttp:
    """An authenticated, retrying ``httpx.AsyncClient`` bound to one profile.

    Args:
        credentials: The profile and its secrets.
        transport: Replaces the network (tests pass ``httpx.MockTransport``).
        retries: How many times a retryable failure is tried again.
        backoff: The first wait in seconds; it doubles per attempt, up to 30 s.
        timeout: Seconds to wait for a connection or a read.
        sleep: The wait function (tests make it instant).
        clock: Seconds from a monotonic clock, to time a reconnection window.
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retries: int = 5,
        backoff: float = 0.5,
        timeout: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.credentials = credentials
        self.profile = credentials.profile
        self.base_url = self.profile.url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self._clock = clock
        verify = True if transport is not None else tls_setting(self.profile)
        self._client = httpx.AsyncClient(
            transport=transport, verify=verify, timeout=timeout, follow_redirects=False
        )

    async def close(self) -> None:
        await self._client.aclose()

    def url(self, path: str) -> str:
        """The full URL of a path under the base URL (absolute URLs pass through)."""
        return path if "://" in path else f"{self.base_url}{path}"

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request and decode its JSON body (None for an empty body).

        Raises:
            NotJsonError: A success status with a body that is not JSON.
        """
        response = await self.send(method, path, **kwargs)
        text = response.text
        if not text.strip():
            return None
        try:
            with collection_paused():
                return json.loads(text)
        except ValueError as err:
            raise NotJsonError(
                self.url(path), self.base_url, self.profile.name, body_excerpt(text)
            ) from err

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        files: FilesFactory | None = None,
        accept: str = "application/json",
        stream: bool = False,
        reconnect_window: float = 0.0,
    ) -> httpx.Response:
        """Send one request, retrying and re-authenticating as needed.

        With ``stream`` the body is left unread: the caller reads and closes it.
        With a ``reconnect_window`` (seconds) refused connections are retried
        with capped back-off until the server has refused for that long:
        monitoring rides out a server that is restarting, while a first call to
        a wrong URL (window 0) still fails at once.
        """
        url = self.url(path)
        if self.credentials.needs_logon():
            await self.log_on()
        logged_on_again = False
        attempt = 0
        outage = _Outage(reconnect_window)
        while True:
            request = self._build(method, url, params, files, accept)
            try:
                response = await self._send_once(
                    request, attempt, stream, outage.window > 0
                )
            except httpx.ConnectError as err:
                await self._wait_for_server(err, url, outage)
                continue
            if response is None:
                attempt += 1
                continue
            if response.status_code == 401 and not logged_on_again:
                await response.aclose()
                if self.credentials.can_log_on:
                    logger.info("HTTP 401 from %s; logging on again", url)
                    await self.log_on()
                    logged_on_again = True
                    continue
                raise AuthenticationError(self._rejected_message(url))
            if response.status_code in _RETRY_STATUSES and attempt < self.retries:
                await self._wait_before_retry(response, attempt)
                attempt += 1
                continue
            return await self._checked(response, method, url, stream)

    async def log_on(self) -> None:
        """Obtain a token or session cookie with the in-memory password."""
        url, headers = self.credentials.logon_request()
        try:
            response = await self._client.get(url, headers=headers)
        except httpx.TransportError as err:
            raise self._transport_error(err, url) from err
        if response.status_code in (401, 403):
            raise AuthenticationError(
                f"The logon at {url} rejected user {self.profile.user} "
                f"(HTTP {response.status_code}); check the user name and password."
            )
        if response.status_code >= 400:
            excerpt = body_excerpt(response.text)
            raise RemoteRefusedError(response.status_code, "GET", url, excerpt)
        try:
            body = response.json() if response.text.strip() else None
        except ValueError as err:
            raise NotJsonError(
                url, self.base_url, self.profile.name, body_excerpt(response.text)
            ) from err
        self.credentials.accept_logon(body, dict(response.cookies))
        logger.info("logged on at %s as %s", url, self.profile.user)

    def _build(
        self,
        method: str,
        url: str,
        params: dict[str, str] | None,
        files: FilesFactory | None,
        accept: str,
    ) -> httpx.Request:
        headers = {"Accept": accept, **self.credentials.headers()}
        parts = files() if files is not None else None
        return self._client.build_request(
            method, url, params=params, files=parts, headers=headers
        )

    async def _send_once(
        self, request: httpx.Request, attempt: int, stream: bool, retry_refused: bool
    ) -> httpx.Response | None:
        """The response, or None after a failure that will be retried."""
        try:
            response = await self._client.send(request, stream=True)
        except httpx.TimeoutException as err:
            if attempt >= self.retries:
                raise RemoteUnreachableError(
                    f"{request.method} {request.url} timed out after "
                    f"{attempt + 1} attempts; check the network or VPN, or try later."
                ) from err
            logger.warning("timed out — retrying %d/%d", attempt + 1, self.retries)
        except _RESET_ERRORS as err:
            if attempt >= self.retries:
                raise RemoteUnreachableError(
                    f"{request.method} {request.url}: the connection was reset "
                    f"{attempt + 1} times ({err}); try again later."
                ) from err
            logger.warning(
                "connection reset — retrying %d/%d", attempt + 1, self.retries
            )
        except httpx.ConnectError as err:
            if not retry_refused or _is_tls_failure(err):
                raise self._transport_error(err, str(request.url)) from err
            raise  # the caller waits for the server to come back
        except httpx.TransportError as err:
            raise self._transport_error(err, str(request.url)) from err
        else:
            if not stream or response.status_code >= 300:
                await response.aread()
            return response
        await self._sleep(self._delay(attempt))
        return None

    async def _wait_for_server(
        self, err: httpx.ConnectError, url: str, outage: _Outage
    ) -> None:
        """Wait before trying a refused connection again, or give up.

        Raises:
            RemoteUnreachableError: The server has refused for the whole window.
        """
        now = self._clock()
        outage.started = now if outage.started is None else outage.started
        down = now - outage.started
        reason = str(err) or type(err).__name__
        if down >= outage.window:
            raise RemoteUnreachableError(
                f"{url} refused connections for {down:.0f} s ({reason})."
            ) from err
        outage.refusals += 1
        logger.warning(
            "connection refused (%s) — retrying %d, down %.0f s of at most %.0f s "
            "(profile setting reconnect_window)",
            reason, outage.refusals, down, outage.window,
        )  # fmt: skip
        wait = self.backoff * 2 ** min(outage.refusals - 1, 16)
        await self._sleep(min(wait, _RECONNECT_WAIT_CAP, outage.window - down))

    async def _wait_before_retry(self, response: httpx.Response, attempt: int) -> None:
        logger.warning(
            "HTTP %s (%s) — retrying %d/%d",
            response.status_code,
            _media_type(response),
            attempt + 1,
            self.retries,
        )
        delay = self._delay(attempt)
        retry_after = response.headers.get("retry-after", "")
        if retry_after.isdigit():
            delay = min(float(retry_after), 60.0)
        await response.aclose()
        await self._sleep(delay)

    def _delay(self, attempt: int) -> float:
        return min(self.backoff * 2**attempt, 30.0)

    async def _checked(
        self, response: httpx.Response, method: str, url: str, stream: bool
    ) -> httpx.Response:
        if response.status_code == 401:
            raise AuthenticationError(self._rejected_message(url))
        if response.status_code >= 400:
            excerpt = body_excerpt(response.text)
            raise RemoteRefusedError(response.status_code, method, url, excerpt)
        logger.info("%s %s -> %s", method, url, response.status_code)
        return response

    def _transport_error(self, err: httpx.TransportError, url: str) -> Exception:
        if _is_tls_failure(err):
            return TlsVerificationError(url)
        return RemoteUnreachableError(
            f"Cannot reach {url}: {err or type(err).__name__}. Check the base URL "
            f"of profile {self.profile.name} ({self.base_url}) and the network."
        )

    def _rejected_message(self, url: str) -> str:
        name = self.profile.name
        if self.profile.auth == "basic":
            return (
                f"{url} rejected user {self.profile.user} (HTTP 401); check the "
                f"password, or log on again with `hpotui login {name}`."
            )
        return (
            f"{url} rejected the saved session of profile {name} (HTTP 401); log on "
            f"again with `hpotui login {name}`."
        )
