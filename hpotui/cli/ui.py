"""Verbs that open the dashboard: ``ui``, ``edit FILE`` and ``replay EVENTS_FILE``.

``hpotui`` alone runs ``ui`` and ``hpotui FILE.yaml`` runs ``edit``. Textual is
imported only when a dashboard really opens, so headless verbs never load it.
:func:`launch` is also the hook ``hpotui run`` uses to show the monitor.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hpotui.errors import HpotuiError

if TYPE_CHECKING:
    from hpotui.backends.base import Backend
    from hpotui.experiment.model import Experiment
    from hpotui.ui.app import HpotuiApp

_THEME_HELP = "Colour theme: dark, light, high-contrast, or a Textual theme name."
_RATE_HELP = "Live redraws per second at most (default 10)."


def check_terminal() -> None:
    """Refuse terminals that cannot draw the dashboard.

    Raises:
        HpotuiError: ``TERM=dumb``; the message points to ``--no-ui``.
    """
    if os.environ.get("TERM") == "dumb":
        raise HpotuiError(
            "this terminal (TERM=dumb) cannot show the dashboard; "
            "use `hpotui run FILE --no-ui` for plain output, or `hpotui list`",
            title="Terminal",
        )
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise HpotuiError(
            "the dashboard needs a terminal, and input or output is redirected; "
            "use `hpotui run FILE --no-ui` for plain output, or `hpotui list`",
            title="Terminal",
        )


def embedded_backend(workspace: str | None) -> Backend:
    """The embedded engine over ``workspace`` (None: the default workspace)."""
    from hpotui.backends.local import LocalBackend

    return LocalBackend(workspace)


def launch(
    backend: Backend,
    start: str = "experiments",
    *,
    experiment: str | None = None,
    path: Path | None = None,
    theme: str | None = None,
    refresh_rate: float | None = None,
    workspace: str | None = None,
    submit: Experiment | None = None,
) -> int:
    """Run the dashboard until the user quits; returns its exit code.

    The backend is closed (its runs saved, resumable) before this returns, also
    after SIGTERM or SIGHUP. With ``submit``, the experiment is submitted first and
    the monitor follows it.
    """
    check_terminal()
    from hpotui.ui.app import DEFAULT_REFRESH_RATE, HpotuiApp

    app = HpotuiApp(
        backend,
        start=start,  # type: ignore[arg-type]
        experiment=experiment,
        path=path,
        theme_name=theme or "dark",
        refresh_rate=refresh_rate or DEFAULT_REFRESH_RATE,
        embedded=lambda: embedded_backend(workspace),
        submit=submit,
    )
    code = app.run()
    return exit_code(app, code)


def exit_code(app: HpotuiApp, result: int | None) -> int:
    """The process's exit code: the app's result, or 1 after an unhandled crash.

    Textual returns no result when it ends on an exception, which would read as
    success.
    """
    if result:
        return result
    return app.return_code or 0


def _finish(code: int) -> None:
    if code:
        sys.exit(code)


def _options(ctx: click.Context) -> dict[str, Any]:
    obj = ctx.find_root().obj or {}
    return {"workspace": obj.get("workspace"), "theme": obj.get("theme")}


def _no_ui_refusal(ctx: click.Context, what: str) -> None:
    if (ctx.find_root().obj or {}).get("no_ui"):
        raise HpotuiError(
            f"--no-ui asks for no dashboard, but {what} is the dashboard; "
            "use `hpotui list`, `hpotui show NAME` or `hpotui run FILE --no-ui`",
            title="Headless",
        )


@click.command("ui")
@click.option("--theme", default=None, help=_THEME_HELP)
@click.option("--refresh-rate", type=float, default=None, help=_RATE_HELP)
@click.pass_context
def ui_command(
    ctx: click.Context, theme: str | None, refresh_rate: float | None
) -> None:
    """Open the dashboard on the experiments of the workspace (or of --profile)."""
    from hpotui.cli.remote import remote_backend

    _no_ui_refusal(ctx, "`hpotui ui`")
    check_terminal()
    opts = _options(ctx)
    backend = remote_backend(ctx) or embedded_backend(opts["workspace"])
    _finish(
        launch(
            backend,
            "experiments",
            theme=theme or opts["theme"],
            refresh_rate=refresh_rate,
            workspace=opts["workspace"],
        )
    )


@click.command("edit")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--theme", default=None, help=_THEME_HELP)
@click.pass_context
def edit_command(ctx: click.Context, file: Path, theme: str | None) -> None:
    """Open the search-space editor on FILE (created on save if it is new)."""
    _no_ui_refusal(ctx, "the editor")
    if file.exists():
        # A file that is not YAML stops here with validate's message (exit 2),
        # before the terminal is taken over.
        from hpotui.ui.experiment_doc import read_document

        read_document(file)
    opts = _options(ctx)
    backend = embedded_backend(opts["workspace"])
    _finish(
        launch(
            backend,
            "editor",
            path=file,
            theme=theme or opts["theme"],
            workspace=opts["workspace"],
        )
    )


@click.command("replay")
@click.argument("events_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--speed", type=float, default=0.0, help="0 shows the end at once; "
              "1 replays in real time, 10 ten times faster.")
@click.option("--max-jobs", type=int, default=-1, help="The run's trial limit, "
              "for the progress bar (the events file does not carry it).")
@click.option("--theme", default=None, help=_THEME_HELP)
@click.pass_context
def replay_command(
    ctx: click.Context,
    events_file: Path,
    speed: float,
    max_jobs: int,
    theme: str | None,
) -> None:
    """Watch a run recorded with `hpotui run --events EVENTS_FILE`."""
    from hpotui.backends.replay import ReplayBackend

    _no_ui_refusal(ctx, "replay")
    backend = ReplayBackend(events_file, speed=speed, max_jobs=max_jobs)
    first = backend.first_experiment()
    _finish(
        launch(
            backend,
            "monitor",
            experiment=first,
            theme=theme or _options(ctx)["theme"],
        )
    )


commands: list[click.Command] = [ui_command, edit_command, replay_command]
