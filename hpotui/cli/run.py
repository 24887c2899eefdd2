"""``hpotui run FILE`` and ``hpotui resume NAME``: run an experiment to its end.

Exit codes: 0 when the experiment FINISHED, 1 when it FAILED or was STOPPED from
elsewhere, 2 for bad input, 130 when interrupted (Ctrl-C or SIGTERM: running trials
are terminated and re-run by ``hpotui resume``).
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import click

from hpotui.backends.local import LocalBackend
from hpotui.cli.common import plain_output, workspace_of, workspace_option
from hpotui.cli.progress import RunPrinter
from hpotui.cli.results import run_report, summary_lines
from hpotui.cli.validate import installed_plugins
from hpotui.engine.executor import Executor
from hpotui.engine.scheduler import RunResult
from hpotui.engine.session import default_executor
from hpotui.errors import ExperimentFileError
from hpotui.experiment.executor_rules import (
    address_problem,
    describe_problems,
    executor_problems,
)
from hpotui.experiment.model import Experiment
from hpotui.states import ExperimentState

EXIT_INTERRUPTED = 130


def _dashboard_wanted(ctx: click.Context, no_ui: bool, as_json: bool) -> bool:
    root_no_ui = bool((ctx.find_root().obj or {}).get("no_ui"))
    return not (no_ui or root_no_ui or as_json) and sys.stdout.isatty()


def _open_dashboard(workspace: str | None, experiment: Experiment) -> int:
    """Submit the experiment inside the dashboard's monitor; returns its exit code."""
    from hpotui.cli.ui import embedded_backend, launch

    backend = embedded_backend(workspace)
    return launch(backend, "monitor", submit=experiment, workspace=workspace)


def _executor_changes(
    executor: str | None, address: str | None, workers: int | None
) -> dict[str, Any]:
    """What ``--executor``, ``--dask-address`` and ``--dask-workers`` change."""
    dask_asked = address is not None or workers is not None
    if executor == "local" and dask_asked:
        raise click.UsageError(
            "--dask-address and --dask-workers need --executor dask (or no --executor)"
        )
    if address is not None and workers is not None:
        raise click.UsageError(
            "give --dask-address (an existing scheduler) or --dask-workers (a "
            "LocalCluster started here), not both"
        )
    if executor == "local":
        return {"type": "local", "address": None, "cluster": None, "workers": None}
    if address is not None:
        if why := address_problem(address):
            raise click.BadParameter(why, param_hint="--dask-address")
        return {"type": "dask", "address": address, "cluster": None, "workers": None}
    if workers is not None:
        return {"type": "dask", "cluster": "local", "workers": workers, "address": None}
    return {"type": "dask"} if executor == "dask" else {}


def _with_executor(experiment: Experiment, changes: dict[str, Any]) -> Experiment:
    if not changes:
        return experiment
    settings = experiment.executor.model_copy(update=changes)
    nowhere = settings.address is None and settings.cluster is None
    if settings.type == "dask" and nowhere:
        settings = settings.model_copy(update={"cluster": "local"})
    problems = executor_problems(settings, experiment.gpus_per_trial)
    if problems:
        raise ExperimentFileError(
            "the executor flags leave settings that cannot run:\n"
            + describe_problems(problems)
        )
    return experiment.model_copy(update={"executor": settings})


def _factory(changes: dict[str, Any]) -> Callable[[Experiment], Executor] | None:
    if not changes:
        return None

    # a resume runs the stored definition: the flags choose its executor too
    def make(stored: Experiment) -> Executor:
        return default_executor(_with_executor(stored, changes))

    return make


def _run_options(command):  # type: ignore[no-untyped-def]
    command = click.option(
        "--dask-workers",
        type=click.IntRange(min=1),
        help="Start a Dask LocalCluster with this many worker processes.",
    )(command)
    command = click.option(
        "--dask-address",
        metavar="ADDRESS",
        help="Run trials on the Dask scheduler at ADDRESS (tcp://host:8786).",
    )(command)
    command = click.option(
        "--executor",
        type=click.Choice(["local", "dask"]),
        help="Where trials run; overrides the experiment's executor section.",
    )(command)
    command = click.option(
        "--events",
        "events_path",
        type=click.Path(dir_okay=False, writable=True),
        help="Write one JSON line per engine event to this file.",
    )(command)
    command = click.option(
        "--json", "as_json", is_flag=True, help="Print one JSON object at the end."
    )(command)
    command = click.option(
        "--no-ui", is_flag=True, help="Run headless: progress lines, no dashboard."
    )(command)
    return workspace_option(command)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@_run_options
@click.option(
    "--detach", is_flag=True, help="With --profile: submit and return at once."
)
@click.pass_context
def run(
    ctx: click.Context,
    file: str,
    no_ui: bool,
    as_json: bool,
    events_path: str | None,
    verb_workspace: str | None,
    detach: bool,
    executor: str | None,
    dask_address: str | None,
    dask_workers: int | None,
) -> None:
    """Run the experiment in FILE; an experiment of the same name continues."""
    from hpotui.cli.remote import remote_backend, run_remote
    from hpotui.experiment.loader import load_experiment

    changes = _executor_changes(executor, dask_address, dask_workers)
    remote = remote_backend(ctx)
    workspace = workspace_of(ctx, verb_workspace)
    # A remote server has plugins of its own, which this machine cannot list.
    plugins = None if remote is not None else installed_plugins(workspace)
    experiment = _with_executor(load_experiment(Path(file), plugins), changes)
    for note in experiment.notes:
        click.echo(note, err=True)
    if remote is not None:
        sys.exit(run_remote(remote, experiment, detach, as_json, events_path))
    if detach:
        raise click.UsageError("--detach needs a remote --profile")
    if _dashboard_wanted(ctx, no_ui, as_json) and events_path is None:
        sys.exit(_open_dashboard(workspace, experiment))
    sys.exit(_headless(workspace, experiment, None, as_json, events_path, changes))


@click.command()
@click.argument("name")
@_run_options
@click.pass_context
def resume(
    ctx: click.Context,
    name: str,
    no_ui: bool,
    as_json: bool,
    events_path: str | None,
    verb_workspace: str | None,
    executor: str | None,
    dask_address: str | None,
    dask_workers: int | None,
) -> None:
    """Continue experiment NAME: ended trials stay, interrupted ones run again."""
    changes = _executor_changes(executor, dask_address, dask_workers)
    workspace = workspace_of(ctx, verb_workspace)
    sys.exit(_headless(workspace, None, name, as_json, events_path, changes))


def _headless(
    workspace: str | None,
    experiment: Experiment | None,
    name: str | None,
    as_json: bool,
    events_path: str | None,
    changes: dict[str, Any],
) -> int:
    with ExitStack() as stack:
        events_out = None
        if events_path:
            try:
                # closed by the stack, with the run
                events_file = open(  # noqa: SIM115
                    events_path, "a", encoding="utf-8", buffering=1
                )
            except OSError as err:
                raise click.FileError(
                    events_path, f"{err.strerror}; give --events a writable path"
                ) from err
            events_out = stack.enter_context(events_file)
        return asyncio.run(
            _follow(workspace, experiment, name, as_json, events_out, changes)
        )


async def _follow(
    workspace: str | None,
    experiment: Experiment | None,
    name: str | None,
    as_json: bool,
    events_out: IO[str] | None,
    changes: dict[str, Any],
) -> int:
    backend = LocalBackend(workspace, executor_factory=_factory(changes))
    try:
        if experiment is not None:
            name = await backend.submit(experiment)
        else:
            assert name is not None
            await backend.resume(name)
        summary = (await backend.get_experiment(name)).summary
        stream = backend.events(name, replay=False)
        _trap_signals(backend)
        printer = None
        if not as_json:
            definition = backend.store.definition(name)
            printer = RunPrinter(definition, plain=plain_output())
            printer.carry_on(summary)
        consumer = asyncio.ensure_future(_consume(stream, printer, events_out))
        result = await backend.wait(name)
        await consumer
        if printer is not None:
            printer.close()
        detail = await backend.get_experiment(name)
    finally:
        await backend.close()
    if as_json:
        click.echo(json.dumps(run_report(detail)))
    else:
        for line in summary_lines(detail):
            click.echo(line)
    return _exit_code(result)


async def _consume(stream, printer, events_out) -> None:  # type: ignore[no-untyped-def]
    async for event in stream:
        if printer is not None:
            printer.handle(event)
        if events_out is not None:
            events_out.write(event.to_json() + "\n")


def _trap_signals(backend: LocalBackend) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, backend.interrupt)


def _exit_code(result: RunResult) -> int:
    if result.interrupted:
        return EXIT_INTERRUPTED
    return 0 if result.state is ExperimentState.FINISHED else 1


commands = [run, resume]
