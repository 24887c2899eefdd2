"""Verbs for remote servers: ``login``, ``attach``, ``logs``, ``download``.

``login PROFILE`` saves a named endpoint and logs on; the other verbs act on the
profile chosen with the root ``--profile`` option. :func:`remote_backend` is the
one place that turns a profile into a backend, for these verbs and any other that
is given ``--profile``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path
from typing import IO, TypeVar

import click
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from hpotui.backends.base import ExperimentDetail
from hpotui.backends.profiles import Profile, get_profile, load_profiles, save_profile
from hpotui.backends.wmla import WmlaBackend
from hpotui.backends.wmla.http import claim_insecure_warning
from hpotui.engine.events import (
    BestChanged,
    Event,
    ExperimentStateChanged,
    TrialEnded,
    TrialStarted,
)
from hpotui.errors import HpotuiError
from hpotui.experiment.model import Experiment
from hpotui.states import ExperimentState

T = TypeVar("T")
PASSWORD_ENV = "HPOTUI_PASSWORD"


def _password_for(profile: Profile) -> str | None:
    """The password from the environment, or asked for when Basic mode needs it."""
    password = os.environ.get(PASSWORD_ENV)
    if password is None and profile.auth == "basic" and sys.stdin.isatty():
        password = click.prompt(
            f"Password of {profile.user} at {profile.name}", hide_input=True
        )
    return password


def remote_backend(ctx: click.Context) -> WmlaBackend | None:
    """The backend of the root ``--profile`` option, or None for the embedded engine.

    Prints the insecure-TLS warning once when the profile skips verification.
    """
    name = (ctx.find_root().obj or {}).get("profile")
    if not name:
        return None
    profile = get_profile(name)
    _warn_insecure(profile)
    return WmlaBackend(profile, _password_for(profile))


def _warn_insecure(profile: Profile) -> None:
    # Claimed before the backend exists, so its logger does not say it again.
    warning = claim_insecure_warning(profile)
    if warning is not None:
        click.echo(f"warning: {warning}", err=True)


def _require_remote(ctx: click.Context, verb: str) -> WmlaBackend:
    backend = remote_backend(ctx)
    if backend is None:
        names = ", ".join(sorted(load_profiles())) or "none yet; see `hpotui login`"
        raise HpotuiError(
            f"`{verb}` needs a remote profile: `hpotui --profile NAME {verb} ...` "
            f"(profiles: {names})."
        )
    return backend


def run_with(
    backend: WmlaBackend, action: Callable[[WmlaBackend], Awaitable[T]]
) -> T:
    """Run one async action on ``backend`` and close it afterwards."""

    async def _go() -> T:
        try:
            return await action(backend)
        finally:
            await backend.close()

    return asyncio.run(_go())


def _read_secret(prompt: str, from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        secret = sys.stdin.readline().rstrip("\r\n")
    else:
        secret = click.prompt(prompt, hide_input=True)
    if not secret:
        raise HpotuiError(f"No {prompt.lower()} was given; nothing was saved.")
    return secret


@click.command("login")
@click.argument("profile_name", metavar="PROFILE")
@click.option(
    "--url", help="Base URL, e.g. https://host:9243/platform/rest/deeplearning/v1"
)
@click.option("--user", help="Account name on the cluster.")
@click.option(
    "--auth",
    type=click.Choice(["basic", "session", "token", "bearer"]),
    help="basic on every call; session cookie; X-Auth-Token; bearer token.",
)
@click.option("--auth-url", help="Logon URL, when not the mode's default.")
@click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False))
@click.option("--insecure", is_flag=True, help="Skip TLS verification (warned).")
@click.option("--poll-interval", type=float, help="Longest wait between polls (s).")
@click.option(
    "--unknown-state-notice", type=click.FloatRange(min=0),
    help="Say so after this long (s) in a state hpotui does not know.",
)
@click.option(
    "--unknown-state-limit", type=click.FloatRange(min=0),
    help="Stop following after this long (s) in such a state; 0 never stops.",
)
@click.option(
    "--reconnect-window", type=click.FloatRange(min=0),
    help="While following, retry refused connections this long (s); default 120.",
)
@click.option("--password-stdin", is_flag=True, help="Read the secret from stdin.")
def login(
    profile_name: str,
    url: str | None,
    user: str | None,
    auth: str | None,
    auth_url: str | None,
    ca_bundle: str | None,
    insecure: bool,
    poll_interval: float | None,
    unknown_state_notice: float | None,
    unknown_state_limit: float | None,
    reconnect_window: float | None,
    password_stdin: bool,
) -> None:
    """Save PROFILE (a remote server) and log on to it."""
    known = load_profiles().get(profile_name)
    fields = known.model_dump() if known else {"name": profile_name}
    given = {
        "url": url, "user": user, "auth": auth, "auth_url": auth_url,
        "ca_bundle": ca_bundle, "poll_interval": poll_interval,
        "unknown_state_notice": unknown_state_notice,
        "unknown_state_limit": unknown_state_limit,
        "reconnect_window": reconnect_window,
    }
    fields.update({k: v for k, v in given.items() if v is not None})
    fields["insecure"] = insecure or (bool(known and known.insecure) and not ca_bundle)
    if not fields.get("url") or not fields.get("user"):
        raise HpotuiError(
            f"Profile {profile_name} is new: give --url BASE_URL and --user NAME."
        )
    profile = Profile(**fields)
    kind = "token" if profile.auth == "bearer" else "password"
    secret = _read_secret(f"{kind.capitalize()} of {profile.user}", password_stdin)
    _warn_insecure(profile)
    backend = WmlaBackend(profile, None if kind == "token" else secret)
    if kind == "token":
        backend.credentials.token = secret
    run_with(backend, lambda b: b.log_on())
    if kind == "token":
        backend.credentials.save()
    save_profile(profile)
    click.echo(f"logged on to {profile.url} as {profile.user} ({profile.auth})")


def describe(event: Event) -> str | None:
    """One line for a person following a task."""
    if isinstance(event, ExperimentStateChanged):
        reason = f" ({event.reason})" if event.reason else ""
        return f"{event.experiment}: {event.state.value}{reason}"
    if isinstance(event, TrialStarted):
        return f"trial {event.trial_id} started {event.params}"
    if isinstance(event, TrialEnded):
        value = "" if event.value is None else f" value {event.value:g}"
        return f"trial {event.trial_id} {event.state.value}{value}"
    if isinstance(event, BestChanged):
        return f"best so far: trial {event.trial_id} = {event.value:g}"
    return None


async def follow(backend: WmlaBackend, name: str) -> None:
    """Print a task's events until it ends."""
    async for event in backend.events(name):
        line = describe(event)
        if line:
            click.echo(line)


async def _submit_and_follow(
    backend: WmlaBackend,
    experiment: Experiment,
    detach: bool,
    quiet: bool,
    events_out: IO[str] | None,
) -> ExperimentDetail | str:
    name = await backend.submit(experiment)
    click.echo(f"submitted {experiment.name} to {backend.label} as {name}", err=True)
    if detach:
        return name
    async for event in backend.events(name):
        if events_out is not None:
            events_out.write(event.to_json() + "\n")
        line = None if quiet else describe(event)
        if line:
            click.echo(line)
    return await backend.get_experiment(name)


def run_remote(
    backend: WmlaBackend,
    experiment: Experiment,
    detach: bool,
    as_json: bool,
    events_path: str | None,
) -> int:
    """``hpotui --profile P run FILE``: submit, then follow to the end unless detached.

    Returns:
        The exit code: 0 FINISHED (or detached), 1 FAILED or STOPPED, 130 when the
        user stopped following (the task keeps running).
    """
    from hpotui.cli.results import run_report, summary_lines

    with ExitStack() as stack:
        out = None
        if events_path:
            out = stack.enter_context(open(events_path, "a", encoding="utf-8"))
        try:
            result = run_with(
                backend,
                lambda b: _submit_and_follow(b, experiment, detach, as_json, out),
            )
        except KeyboardInterrupt:
            click.echo(f"detached; the task keeps running on {backend.label}", err=True)
            return 130
    if isinstance(result, str):
        click.echo(f"follow it with `hpotui --profile {backend.label} attach {result}`")
        return 0
    if as_json:
        click.echo(json.dumps(run_report(result)))
    else:
        for line in summary_lines(result, backend.label):
            click.echo(line)
    return 0 if result.summary.state is ExperimentState.FINISHED else 1


@click.command("attach")
@click.argument("name")
@click.pass_context
def attach(ctx: click.Context, name: str) -> None:
    """Follow the remote task NAME until it ends (Ctrl-C leaves it running)."""
    backend = _require_remote(ctx, "attach")
    try:
        run_with(backend, lambda b: follow(b, name))
    except KeyboardInterrupt:
        click.echo(f"detached; {name} keeps running on {backend.label}", err=True)


@click.command("logs")
@click.argument("name")
@click.argument("trial", type=int)
@click.option("--lines", "-n", default=200, show_default=True, help="0 for all.")
@click.pass_context
def logs(ctx: click.Context, name: str, trial: int, lines: int) -> None:
    """Print the output of trial TRIAL of experiment NAME."""
    from hpotui.cli.common import with_backend

    tail = with_backend(ctx, None, lambda b: b.trial_log(name, trial, lines))
    if tail.truncated:
        click.echo(f"... (last {len(tail.lines)} lines; -n 0 for all)", err=True)
    for line in tail.lines:
        click.echo(line)


@click.command("download")
@click.argument("name")
@click.argument("trial", type=int)
@click.option(
    "--dest", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
    help="Folder to put the results in.",
)
@click.pass_context
def download(ctx: click.Context, name: str, trial: int, dest: Path) -> None:
    """Download and unpack the results of trial TRIAL of experiment NAME."""
    backend = _require_remote(ctx, "download")
    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("download", total=None)

        def _advance(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        folder = run_with(
            backend, lambda b: b.download_results(name, trial, dest, _advance)
        )
    click.echo(f"results of trial {trial} in {folder}")


commands: list[click.Command] = [login, attach, logs, download]
