"""``hpotui list``, ``show``, ``best`` and ``export``: reading the workspace."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import click

from hpotui.backends.base import Backend
from hpotui.backends.local import LocalBackend
from hpotui.cli.common import format_value, with_backend, workspace_option
from hpotui.cli.results import best_trial, config_line, run_report
from hpotui.cli.tables import (
    TRIAL_SORT_KEYS,
    format_time,
    print_table,
    sort_trials,
    trial_rows,
)
from hpotui.errors import HpotuiError


@click.command(name="list")
@workspace_option
@click.pass_context
def list_experiments(ctx: click.Context, verb_workspace: str | None) -> None:
    """List the experiments of the workspace, newest first."""

    async def work(backend: LocalBackend) -> None:
        summaries = await backend.list_experiments()
        if not summaries:
            where = getattr(backend, "workspace", None) or backend.label
            click.echo(f"no experiments in {where}")
            return
        header = ["name", "state", "algorithm", "progress", "best", "created", "note"]
        rows = [
            [
                s.name,
                s.state.value,
                s.algorithm,
                s.progress,
                format_value(s.best_value),
                format_time(s.created_at),
                f"run by {s.owner}" if s.owner else (s.reason or ""),
            ]
            for s in summaries
        ]
        print_table(header, rows)

    with_backend(ctx, verb_workspace, work)


@click.command()
@click.argument("name")
@click.option(
    "--sort",
    "sort_key",
    default="id",
    show_default=True,
    help=f"Sort trials by {', '.join(TRIAL_SORT_KEYS)} or a hyperparameter name; "
    "missing values go last. 'value' puts the best first.",
)
@click.option(
    "--desc", is_flag=True, help="Reverse the order (missing values stay last)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@workspace_option
@click.pass_context
def show(
    ctx: click.Context,
    name: str,
    sort_key: str,
    desc: bool,
    as_json: bool,
    verb_workspace: str | None,
) -> None:
    """Show experiment NAME and its trials."""

    async def work(backend: LocalBackend) -> None:
        detail = await backend.get_experiment(name)
        summary = detail.summary
        names = _param_names(detail)
        if sort_key not in (*TRIAL_SORT_KEYS, *names):
            raise click.BadParameter(
                f"{sort_key!r}; use one of {', '.join([*TRIAL_SORT_KEYS, *names])}",
                param_hint="--sort",
            )
        trials = sort_trials(detail.trials, sort_key, summary.goal, desc)
        if as_json:
            report = run_report(detail)
            report["trials"] = [_trial_json(t) for t in trials]
            click.echo(json.dumps(report))
            return
        click.echo(
            f"{summary.name}  {summary.state.value}  {summary.reason or ''}".rstrip()
        )
        click.echo(
            f"{summary.algorithm}, {summary.goal} {summary.metric}, "
            f"progress {summary.progress}, {summary.failed} failed"
            + (f", run by {summary.owner}" if summary.owner else "")
        )
        header, rows = trial_rows(trials, names)
        print_table(header, rows, title=summary.name)

    with_backend(ctx, verb_workspace, work)


@click.command()
@click.argument("name")
@click.option(
    "--config-out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the best configuration here, to train the final model with.",
)
@workspace_option
@click.pass_context
def best(
    ctx: click.Context, name: str, config_out: str | None, verb_workspace: str | None
) -> None:
    """Show the best trial of NAME; optionally write its configuration to a file."""

    async def work(backend: Backend) -> None:
        detail = await backend.get_experiment(name)
        trial = best_trial(detail)
        if trial is None:
            raise HpotuiError(
                f"experiment {name!r} has no finished trial with a value yet; "
                f"`hpotui show {name}` lists its trials and their reasons"
            )
        summary = detail.summary
        step = "" if trial.best_step is None else f" at step {trial.best_step}"
        click.echo(
            f"best trial {trial.id}: {summary.metric} {format_value(trial.value)} "
            f"({summary.goal}){step}"
        )
        click.echo(json.dumps(trial.params))
        profile = None if isinstance(backend, LocalBackend) else backend.label
        click.echo(config_line(name, trial, profile))
        if config_out:
            config = {**trial.params, **trial.extra}
            try:
                Path(config_out).write_text(json.dumps(config, indent=2) + "\n")
            except OSError as err:
                raise click.FileError(
                    config_out, f"{err.strerror}; give --config-out a writable path"
                ) from err
            click.echo(f"wrote {config_out}")

    with_backend(ctx, verb_workspace, work)


@click.command()
@click.argument("name")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to this file instead of stdout.",
)
@workspace_option
@click.pass_context
def export(
    ctx: click.Context,
    name: str,
    fmt: str,
    output: str | None,
    verb_workspace: str | None,
) -> None:
    """Export the trials of NAME as CSV or JSON (best first, failed last)."""

    async def work(backend: LocalBackend) -> str:
        detail = await backend.get_experiment(name)
        trials = sort_trials(detail.trials, "value", detail.summary.goal)
        if fmt == "json":
            report = run_report(detail)
            # A remote server keeps each trial's final value only, no steps.
            local = isinstance(backend, LocalBackend)
            metrics = backend.store.metrics(name) if local else {}
            report["trials"] = [
                {
                    **_trial_json(t),
                    "metrics": [
                        {"step": r.step, **r.values} for r in metrics.get(t.id, [])
                    ],
                }
                for t in trials
            ]
            return json.dumps(report, indent=2) + "\n"
        return _csv(trials, detail.experiment.hyperparams if detail.experiment else ())

    text = with_backend(ctx, verb_workspace, work)
    if output:
        Path(output).write_text(text)
    else:
        click.echo(text, nl=False)


def _param_names(detail: Any) -> list[str]:
    """The hyperparameter names: declared ones, or (remote tasks) the trials' own."""
    if detail.experiment is not None:
        return [hp.name for hp in detail.experiment.hyperparams]
    return list(dict.fromkeys(key for t in detail.trials for key in t.params))


def _trial_json(trial: Any) -> dict[str, Any]:
    return {
        "id": trial.id,
        "state": trial.state.value,
        "value": trial.value,
        "best_step": trial.best_step,
        "params": trial.params,
        "extra": trial.extra,
        "meta": trial.meta,
        "started_at": None
        if trial.started_at is None
        else trial.started_at.isoformat(),
        "ended_at": None if trial.ended_at is None else trial.ended_at.isoformat(),
        "reason": trial.reason,
        "config_path": trial.config_path,
        "retry_of": trial.retry_of,
    }


def _csv(trials: list[Any], hyperparams: Any) -> str:
    names = [hp.name for hp in hyperparams]
    extra_keys = sorted({key for t in trials for key in t.extra})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "id",
            "state",
            "value",
            "best_step",
            *names,
            *extra_keys,
            "started_at",
            "ended_at",
            "reason",
            "config_path",
        ]
    )
    for t in trials:
        writer.writerow(
            [
                t.id,
                t.state.value,
                _csv_cell(t.value),
                _csv_cell(t.best_step),
                *(_csv_cell(t.params.get(n)) for n in names),
                *(_csv_cell(t.extra.get(k)) for k in extra_keys),
                _csv_cell(t.started_at and t.started_at.isoformat()),
                _csv_cell(t.ended_at and t.ended_at.isoformat()),
                t.reason or "",
                t.config_path or "",
            ]
        )
    return buffer.getvalue()


def _csv_cell(value: Any) -> str:
    # JSON spellings keep types readable: 32 stays 32 (never 32.0), True is true.
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


commands = [list_experiments, show, best, export]
