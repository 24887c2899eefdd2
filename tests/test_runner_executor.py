"""The local executor with real trial processes: outcomes, live data, failures."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from runner_scripts import make_model, make_spec, read_json, wait_for_file

from hpotui.engine.local_executor import LocalExecutor
from hpotui.engine.trial_run import run_trial
from hpotui.records import MetricRecord
from hpotui.states import TrialState


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (
            [{"steps": 1, "loss": 0.5}, {"steps": 2, "loss": 0.25}],
            [(1, 0.5), (2, 0.25)],
        ),
        ([{"step": 2, "loss": 0.4}, {"step": 1, "loss": 0.6}], [(1, 0.6), (2, 0.4)]),
        ([{"loss": 0.9}, {"loss": 0.8}, {"loss": 0.7}], [(1, 0.9), (2, 0.8), (3, 0.7)]),
    ],
    ids=["steps", "step", "no-step"],
)
async def test_successful_trial_finishes_with_its_records(
    tmp_path: Path, items: list[dict], expected: list[tuple[int, float]]
) -> None:
    model = make_model(tmp_path, f"write_metrics({items!r})\nprint('done')\n")
    executor = LocalExecutor()
    handle = await executor.start(make_spec(tmp_path, model))
    outcome = await handle.wait()

    assert outcome.state is TrialState.FINISHED, outcome.reason
    assert outcome.reason is None and outcome.exit_code == 0
    assert [(r.step, r.values["loss"]) for r in outcome.records] == expected
    assert handle.paths.stdout.read_text() == "done\n"
    assert executor.running == []


async def test_poll_gives_metrics_and_log_lines_while_running(tmp_path: Path) -> None:
    model = make_model(
        tmp_path,
        """
        print("epoch 1", flush=True)
        write_metrics([{"steps": 1, "loss": CONFIG["lr"]}])
        wait_for("go")
        write_metrics([{"steps": 1, "loss": CONFIG["lr"]}, {"steps": 2, "loss": 0.01}])
        """,
    )
    handle = await LocalExecutor().start(make_spec(tmp_path, model))
    records: list[MetricRecord] = []
    lines: list[str] = []
    while not records:
        new_records, new_lines = await handle.poll()
        records += new_records
        lines += new_lines
        await asyncio.sleep(0.01)
    assert records == [MetricRecord(1, {"loss": 0.1})]
    (handle.paths.workdir / "go").touch()
    outcome = await handle.wait()

    assert lines + (await handle.poll())[1] == ["epoch 1"]
    assert [r.step for r in outcome.records] == [1, 2]


FAILURES = [
    (
        "print('loading'); sys.stderr.write('boom\\nTraceback: bad lr\\n')\n"
        "sys.exit(3)",
        "exited with code 3; last stderr lines:\nboom\nTraceback: bad lr",
        3,
    ),
    (
        "import signal; os.kill(os.getpid(), signal.SIGKILL)",
        "killed by SIGKILL — possibly out of memory",
        -9,
    ),
    ("sys.exit(137)", "exited with code 137 (SIGKILL — possibly out of memory)", 137),
    (
        "pass",
        "no val_dict_list.json in RESULT_DIR ({result}): the training script must "
        "write $RESULT_DIR/val_dict_list.json before it exits",
        0,
    ),
    (
        "(RESULT / 'val_dict_list.json').write_text('[{\"loss\": 0.5},')",
        "val_dict_list.json is not valid JSON: Expecting value at line 1 column 16",
        0,
    ),
    (
        "write_metrics([])",
        "val_dict_list.json is an empty list: no metric was recorded",
        0,
    ),
    (
        "write_metrics([{'steps': 1, 'acc': 0.5, 'f1': 0.1}])",
        "objective 'loss' missing from val_dict_list.json; keys seen: acc, f1",
        0,
    ),
    (
        "write_metrics([{'loss': 0.5}, {'loss': float('nan')}])",
        "objective 'loss' is NaN at step 2",
        0,
    ),
    (
        "write_metrics([{'loss': float('inf')}])",
        "objective 'loss' is Infinity at step 1",
        0,
    ),
]


@pytest.mark.parametrize(("body", "reason", "code"), FAILURES)
async def test_every_failure_kind_has_its_reason(
    tmp_path: Path, body: str, reason: str, code: int
) -> None:
    handle = await LocalExecutor().start(
        make_spec(tmp_path, make_model(tmp_path, body))
    )
    outcome = await handle.wait()

    assert outcome.state is TrialState.FAILED
    assert outcome.reason == reason.format(result=handle.paths.result_dir)
    assert outcome.exit_code == code


async def test_missing_program_fails_the_trial_not_the_engine(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, make_model(tmp_path, "pass"))
    spec = spec.__class__(**{**spec.__dict__, "command": ["no-such-trainer", "x"]})
    outcome = await (await LocalExecutor().start(spec)).wait()
    assert outcome.state is TrialState.FAILED and outcome.exit_code is None
    assert outcome.reason == (
        "command 'no-such-trainer' not found; check model.command and that the "
        "program is installed or on PATH"
    )


async def test_parallel_trials_never_share_a_folder(tmp_path: Path) -> None:
    model = make_model(
        tmp_path,
        """
        (RESULT / "env.json").write_text(json.dumps(dict(os.environ)))
        write_metrics([{"loss": CONFIG["lr"]}])
        """,
    )
    executor = LocalExecutor()
    specs = [make_spec(tmp_path, model, n, {"lr": n / 10}) for n in range(1, 5)]
    handles = await asyncio.gather(*(executor.start(spec) for spec in specs))
    outcomes = await asyncio.gather(*(handle.wait() for handle in handles))

    envs = [read_json(handle.paths.result_dir / "env.json") for handle in handles]
    assert len({env["RESULT_DIR"] for env in envs}) == 4
    assert len({env["DLI_WORK_DIR"] for env in envs}) == 4
    assert [env["SUBID"] for env in envs] == ["1", "2", "3", "4"]
    assert [o.records[0].values["loss"] for o in outcomes] == [0.1, 0.2, 0.3, 0.4]


async def test_stop_after_natural_exit_keeps_the_real_outcome(tmp_path: Path) -> None:
    model = make_model(tmp_path, "write_metrics([{'loss': 0.5}])")
    handle = await LocalExecutor().start(make_spec(tmp_path, model))
    first = await handle.wait()
    await handle.terminate(TrialState.STOPPED, "stopped by user")
    assert first.state is TrialState.FINISHED
    assert (await handle.wait()) is first


async def test_close_stops_running_trials(tmp_path: Path) -> None:
    model = make_model(
        tmp_path,
        "write_metrics([{'loss': 0.5}])\nprint('up', flush=True)\nwait_for('go')",
    )
    executor = LocalExecutor(grace=1.0)
    handle = await executor.start(make_spec(tmp_path, model))
    await wait_for_file(handle.paths.metrics)
    await executor.close()
    outcome = await handle.wait()

    assert outcome.state is TrialState.STOPPED
    assert outcome.reason == "the engine shut down"
    assert outcome.records == [MetricRecord(1, {"loss": 0.5})]
    assert outcome.exit_code == -15


def test_blocking_runner_for_workers_reports_and_stops(tmp_path: Path) -> None:
    model = make_model(
        tmp_path,
        "write_metrics([{'loss': 0.5}])\nprint('up', flush=True)\nwait_for('go')",
    )
    stop = threading.Event()
    seen: list[tuple[list[MetricRecord], list[str]]] = []

    def on_updates(records: list[MetricRecord], lines: list[str]) -> None:
        seen.append((records, lines))
        if records:
            stop.set()

    spec = make_spec(tmp_path, model)
    outcome = run_trial(
        spec, grace=1.0, stop=stop, on_updates=on_updates, interval=0.02
    )

    assert outcome.state is TrialState.STOPPED
    assert outcome.reason == "stopped on request"
    assert [record for records, _ in seen for record in records] == [
        MetricRecord(1, {"loss": 0.5})
    ]
