"""Process groups, huge output and GPU assignment, with real trial processes."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import psutil
import pytest
from runner_scripts import make_model, make_spec, wait_for_file

from hpotui.engine.gpus import GpuPool
from hpotui.engine.local_executor import LocalExecutor
from hpotui.engine.process import end_stale_trial
from hpotui.engine.trial_run import launch
from hpotui.states import TrialState

FAMILY = """
import signal, subprocess
stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
stubborn += "print('ready', flush=True); time.sleep(60)"
in_group = subprocess.Popen([sys.executable, "-c", stubborn], stdout=subprocess.PIPE)
own_session = subprocess.Popen(
    [sys.executable, "-c", stubborn], stdout=subprocess.PIPE, start_new_session=True
)
in_group.stdout.readline(), own_session.stdout.readline()
signal.signal(signal.SIGTERM, signal.SIG_IGN)
write_metrics([{"loss": 0.5}])
pids = [os.getpid(), in_group.pid, own_session.pid]
(RESULT / "pids.tmp").write_text(json.dumps(pids))
(RESULT / "pids.tmp").replace(RESULT / "pids.json")
time.sleep(60)
"""


def gone(pid: int) -> bool:
    """Whether the process ended: no such pid, or a zombie waiting for init."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_gone(pids: list[int], timeout: float = 5.0) -> list[int]:
    """The pids still running after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [pid for pid in pids if not gone(pid)]
        if not alive:
            return []
        time.sleep(0.02)
    return alive


async def test_terminate_kills_the_whole_family(tmp_path: Path) -> None:
    executor = LocalExecutor(grace=0.3)
    handle = await executor.start(make_spec(tmp_path, make_model(tmp_path, FAMILY)))
    pids = json.loads(await wait_for_file(handle.paths.result_dir / "pids.json"))
    assert pids[0] == handle.pid and not any(gone(pid) for pid in pids)

    await handle.terminate(TrialState.STOPPED, "stopped by user")
    outcome = await handle.wait()

    assert wait_gone(pids) == []
    assert outcome.state is TrialState.STOPPED
    assert outcome.reason == "stopped by user"
    assert outcome.exit_code == -9  # it ignored SIGTERM, so the grace ran out
    assert [r.values for r in outcome.records] == [{"loss": 0.5}]


async def test_natural_exit_still_ends_leftover_children(tmp_path: Path) -> None:
    body = """
    import subprocess
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    (RESULT / "child").write_text(str(child.pid))
    write_metrics([{"loss": 0.5}])
    """
    handle = await LocalExecutor(grace=0.3).start(
        make_spec(tmp_path, make_model(tmp_path, body))
    )
    outcome = await handle.wait()
    child = int((handle.paths.result_dir / "child").read_text())

    assert outcome.state is TrialState.FINISHED
    assert wait_gone([child]) == []


@pytest.mark.slow
async def test_100_mb_of_output_neither_blocks_nor_bloats(tmp_path: Path) -> None:
    body = """
    line = b"x" * 1023 + b"\\n"
    for _ in range(100 * 1024):
        sys.stdout.buffer.write(line)
    sys.stdout.flush()
    write_metrics([{"loss": 0.5}])
    """
    me = psutil.Process()
    before = me.memory_info().rss
    handle = await LocalExecutor().start(
        make_spec(tmp_path, make_model(tmp_path, body))
    )
    peak = before
    most_lines, last_line = 0, ""
    while handle.run.process is not None and handle.run.process.returncode is None:
        lines = (await handle.poll())[1]
        most_lines = max(most_lines, len(lines))
        last_line = lines[-1] if lines else last_line
        peak = max(peak, me.memory_info().rss)
        await asyncio.sleep(0.01)
    outcome = await handle.wait()
    lines = (await handle.poll())[1]

    assert outcome.state is TrialState.FINISHED, outcome.reason
    assert handle.paths.stdout.stat().st_size == 100 * 1024 * 1024
    assert (lines or [last_line])[-1] == "x" * 1000 + " [...]"
    assert most_lines <= 257  # a poll reads at most 256 kB, marking what it skipped
    assert peak - before < 20 * 1024 * 1024


async def test_each_trial_gets_its_own_gpus(tmp_path: Path) -> None:
    body = """
    (RESULT / "gpus").write_text(os.environ["CUDA_VISIBLE_DEVICES"])
    wait_for("go")
    write_metrics([{"loss": 0.5}])
    """
    model = make_model(tmp_path, body)
    executor = LocalExecutor(gpus=GpuPool(["0", "1", "2", "3", "4"], per_trial=2))
    assert executor.capacity == 2
    first = await executor.start(make_spec(tmp_path, model, 1))
    second = await executor.start(make_spec(tmp_path, model, 2))
    third = asyncio.ensure_future(executor.start(make_spec(tmp_path, model, 3)))
    await asyncio.sleep(0.2)
    assert not third.done()  # one device left: the third trial waits

    assert await wait_for_file(first.paths.result_dir / "gpus") == "0,1"
    assert await wait_for_file(second.paths.result_dir / "gpus") == "2,3"
    (first.paths.workdir / "go").touch()
    await first.wait()
    handle = await third
    assert await wait_for_file(handle.paths.result_dir / "gpus") == "0,1"
    assert handle.devices == ["0", "1"]

    await executor.close()
    assert executor.gpus is not None and executor.gpus.held() == {}


def _launched(tmp_path: Path, body: str):  # type: ignore[no-untyped-def]
    """A trial started from ``body``, and the pids it wrote to pids.json."""
    run = launch(make_spec(tmp_path, make_model(tmp_path, body)))
    pids_file = run.paths.result_dir / "pids.json"
    deadline = time.monotonic() + 10
    while not pids_file.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return run, json.loads(pids_file.read_text())


def test_a_trial_left_by_a_dead_engine_can_be_ended(tmp_path: Path) -> None:
    run, pids = _launched(tmp_path, FAMILY)

    assert not end_stale_trial(pids[0], tmp_path)  # not running in that folder
    assert not any(gone(pid) for pid in pids)
    assert end_stale_trial(pids[0], run.paths.workdir, grace=0.3)
    assert wait_gone(pids) == []


ORPHANING = """
import subprocess
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
write_metrics([{"loss": 0.5}])
(RESULT / "pids.tmp").write_text(json.dumps([os.getpid(), child.pid]))
(RESULT / "pids.tmp").replace(RESULT / "pids.json")
"""


def test_what_an_ended_trial_left_in_its_group_is_ended_too(tmp_path: Path) -> None:
    run, (command, child) = _launched(tmp_path, ORPHANING)
    assert wait_gone([command]) == []  # the command has ended, its child runs on
    assert not gone(child)

    assert not end_stale_trial(command, tmp_path / "elsewhere")
    assert not gone(child)
    assert end_stale_trial(command, run.paths.workdir, grace=0.3)
    assert wait_gone([child]) == []
