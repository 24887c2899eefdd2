"""Opening the dashboard from the command line, and leaving it cleanly on signals."""

from __future__ import annotations

import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from uihelpers import EVENTS, SAMPLES

from hpotui.states import TrialState

ROOT = Path(__file__).resolve().parents[1]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(PYTHONPATH=str(ROOT), **extra)
    return env


def _hpotui(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hpotui", *args],
        capture_output=True,
        text=True,
        env=_env(**env),
        timeout=60,
    )


def test_term_dumb_exits_with_a_pointer_to_no_ui(tmp_path: Path) -> None:
    result = _hpotui("--workspace", str(tmp_path), TERM="dumb")
    assert result.returncode == 1
    assert "TERM=dumb" in result.stderr and "--no-ui" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_a_terminal_the_dashboard_refuses_politely(tmp_path: Path) -> None:
    result = _hpotui("replay", str(EVENTS), TERM="xterm-256color")
    assert result.returncode == 1
    assert "needs a terminal" in result.stderr


def test_an_unknown_theme_lists_the_choices(tmp_path: Path) -> None:
    code, output = _in_terminal(["--theme", "neon", "replay", str(EVENTS)], 0)
    assert code == 1
    assert "no theme named 'neon'" in output and "high-contrast" in output


@pytest.mark.parametrize(
    ("theme", "background"),
    [("high-contrast", "48;2;0;0;0m"), ("light", "48;2;247;247;245m")],
)
def test_the_theme_option_colours_the_dashboard(theme: str, background: str) -> None:
    code, output = _in_terminal(
        ["--theme", theme, "replay", str(EVENTS)],
        signal_after=1.0,
        env={"COLORTERM": "truecolor"},
        once_shown="FINISHED",
    )
    assert code == 128 + signal.SIGTERM
    assert background in output
    assert "48;2;15;20;25m" not in output  # the default dark background


def _in_terminal(
    args: list[str],
    signal_after: float,
    env: dict[str, str] | None = None,
    signum: int = signal.SIGTERM,
    once_shown: str | None = None,
) -> tuple[int, str]:
    """Run hpotui in a pseudo-terminal; optionally signal it after a delay.

    With ``once_shown``, the signal waits until that text has been drawn too (up
    to 30 s), so a busy machine cannot signal a dashboard that is still starting.
    """
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "hpotui", *args],
        stdin=child,
        stdout=child,
        stderr=child,
        env=_env(TERM="xterm-256color", **(env or {})),
        start_new_session=True,
    )
    os.close(child)
    output = bytearray()
    started = time.monotonic()
    sent = False
    while process.poll() is None and time.monotonic() - started < 60:
        ready, _, _ = select.select([main], [], [], 0.1)
        if ready:
            try:
                output += os.read(main, 65536)
            except OSError:
                break
        waited = time.monotonic() - started
        shown = once_shown is None or once_shown.encode() in output or waited > 30
        if signal_after and not sent and waited > signal_after and shown:
            process.send_signal(signum)
            sent = True
    code = process.wait(timeout=30)
    os.close(main)
    return code, output.decode("utf-8", "replace")


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"]
)
def test_a_signal_restores_the_terminal(signum: int) -> None:
    code, output = _in_terminal(
        ["replay", str(EVENTS)], signal_after=1.0, signum=signum, once_shown="FINISHED"
    )
    assert code == 128 + signum
    assert "\x1b[?1049h" in output  # the dashboard took the screen...
    # ...and gave it back afterwards.
    assert output.rfind("\x1b[?1049l") > output.rfind("\x1b[?1049h")


@pytest.mark.slow
def test_sigterm_saves_the_running_experiment_first(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES / "digits_mlp", tmp_path / "digits_mlp")
    sample = tmp_path / "digits.yaml"
    sample.write_text((SAMPLES / "digits_random.yaml").read_text())
    workspace = tmp_path / "ws"
    code, _ = _in_terminal(
        ["--workspace", str(workspace), "run", str(sample)],
        signal_after=2.0,
        once_shown="RUNNING",
    )
    assert code == 128 + signal.SIGTERM

    import asyncio

    from hpotui.backends.local import LocalBackend

    async def stored() -> list[TrialState]:
        backend = LocalBackend(workspace)
        try:
            detail = await backend.get_experiment("digits-random")
            assert backend.store.live_owner("digits-random") is None
            return [trial.state for trial in detail.trials]
        finally:
            await backend.close()

    states = asyncio.run(stored())
    assert states, "the run recorded no trial before the signal"
    assert TrialState.RUNNING not in states


@pytest.mark.parametrize(
    ("args", "expected"),
    [([], "experiments"), (["SAMPLE"], "valid experiment")],
    ids=["no-argument-opens-the-dashboard", "a-yaml-file-opens-the-editor"],
)
def test_the_root_command_opens_the_right_screen(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    sample = str(SAMPLES / "digits_random.yaml")
    args = [sample if arg == "SAMPLE" else arg for arg in args]
    code, output = _in_terminal(
        ["--workspace", str(tmp_path), *args], signal_after=1.0, once_shown=expected
    )
    assert code == 128 + signal.SIGTERM
    assert expected in output
