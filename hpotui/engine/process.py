"""One trial's operating-system process: start it, end it with its whole family.

The command runs in a session (and process group) of its own, never through a
shell, with stdout and stderr opened straight onto files: the output never passes
through this process, so a trial printing gigabytes neither blocks nor costs
memory here.

Ending a trial signals its process group and every descendant still known, so a
grandchild that moved to a session of its own dies too: SIGTERM first, SIGKILL to
whatever is left after the grace period.

Plain blocking code with no asyncio, so a Dask worker can use it as is; the async
executor uses the same pieces with asyncio sleeps.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from hpotui.engine.logtail import tail_lines

logger = logging.getLogger(__name__)

GRACE_SECONDS = 5.0
"""Default time between SIGTERM and SIGKILL when a trial is ended."""
STDERR_LINES = 10
"""How many of the last stderr lines a failure reason quotes."""
_PYTHON_NAMES = ("python", "python3")


class TrialStartError(Exception):
    """The command could not be started; the message is the trial's failure reason."""


def resolve_command(command: list[str]) -> list[str]:
    """The command as it will run.

    A first word of ``python`` or ``python3`` means the interpreter running hpotui,
    so trials see the packages installed next to it, as a WML-A job sees its
    conda environment. Write a full path to use another interpreter.

    Raises:
        TrialStartError: The command is empty.
    """
    if not command:
        raise TrialStartError("the model command is empty; set model.command")
    if command[0] in _PYTHON_NAMES:
        return [sys.executable, *command[1:]]
    return list(command)


class TrialProcess:
    """A started trial command and its process group.

    Use :meth:`start` to create one.
    """

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self.popen = popen
        self.pid = popen.pid
        self._family: dict[int, psutil.Process] = {}

    @classmethod
    def start(
        cls,
        command: list[str],
        cwd: Path,
        env: dict[str, str],
        stdout: Path,
        stderr: Path,
    ) -> TrialProcess:
        """Start ``command`` in ``cwd`` with its output going to two files.

        Raises:
            TrialStartError: The program is missing or not executable.
        """
        argv = resolve_command(command)
        with open(stdout, "ab") as out, open(stderr, "ab") as err:
            try:
                popen = subprocess.Popen(
                    argv,
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,
                    close_fds=True,
                )
            except FileNotFoundError as error:
                raise TrialStartError(
                    f"command {argv[0]!r} not found; check model.command "
                    "and that the program is installed or on PATH"
                ) from error
            except PermissionError as error:
                raise TrialStartError(
                    f"command {argv[0]!r} is not executable: {error.strerror}"
                ) from error
        return cls(popen)

    @property
    def returncode(self) -> int | None:
        """The exit status once reaped (negative: killed by that signal)."""
        return self.popen.poll()

    def wait(self, timeout: float | None = None) -> int:
        """Block until the command exits; its exit status."""
        return self.popen.wait(timeout)

    def remember_family(self) -> None:
        """Note every live descendant, so those that left the group can be reached."""
        # TODO: a descendant that starts its own session after its parent exited
        # escapes both the group and this list; catching it needs a child subreaper
        # or a cgroup, and a subreaper would have to reap children that the
        # subprocess module expects to reap itself.
        try:
            children = psutil.Process(self.pid).children(recursive=True)
        except psutil.Error:
            return  # the command already exited: its group is what is left
        for child in children:
            self._family.setdefault(child.pid, child)

    def signal_all(self, signum: int) -> None:
        """Send ``signum`` to the process group and every remembered descendant."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)  # fails only when the group is gone
        for member in list(self._family.values()):
            try:
                member.send_signal(signum)  # checks it is still the same process
            except psutil.Error:
                del self._family[member.pid]

    def alive(self) -> bool:
        """Whether the command, its group or a remembered descendant still lives."""
        self.popen.poll()  # reap the leader, or its zombie counts as the group
        try:
            os.killpg(self.pid, 0)
        except (ProcessLookupError, PermissionError):
            pass
        else:
            if _group_has_live_member(self.pid):
                return True
        return any(_is_live(member) for member in self._family.values())

    def terminate(self, grace: float = GRACE_SECONDS) -> None:
        """End everything: SIGTERM, then SIGKILL after ``grace`` seconds. Blocks."""
        self.remember_family()
        self.signal_all(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.kill_rest()

    def kill_rest(self) -> None:
        """SIGKILL whatever is still alive and reap the command."""
        if self.alive():
            logger.info("trial process %s outlived SIGTERM; sending SIGKILL", self.pid)
            self.signal_all(signal.SIGKILL)
        self.popen.wait()


def _group_has_live_member(pgid: int) -> bool:
    """Whether a process of group ``pgid`` is more than a zombie.

    An orphan killed in the group stays a zombie until init collects it, which
    can take a second; it no longer runs, so waiting for it would only stretch
    the grace period.
    """
    if not os.path.isdir("/proc"):
        return True  # no cheap way to tell zombies apart here: assume it runs
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue  # it ended while we looked
        if int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


def _is_live(member: psutil.Process) -> bool:
    try:
        return member.is_running() and member.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def exit_reason(returncode: int, stderr: Path | None = None) -> str | None:
    """Why a command with this exit status failed, or None for status 0.

    A negative status is a signal; 128 + n is a shell's way of reporting signal n.
    Signal 9 is usually the kernel's out-of-memory killer, so the reason says so.
    When ``stderr`` is given, its last lines are quoted.
    """
    if returncode == 0:
        return None
    if returncode < 0:
        reason = f"killed by {_signal_text(-returncode)}"
    elif 128 < returncode < 128 + signal.NSIG:
        reason = f"exited with code {returncode} ({_signal_text(returncode - 128)})"
    else:
        reason = f"exited with code {returncode}"
    lines = tail_lines(stderr, STDERR_LINES) if stderr else []
    if lines:
        reason += "; last stderr lines:\n" + "\n".join(lines)
    return reason


def _signal_text(signum: int) -> str:
    try:
        name = signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
    if signum == signal.SIGKILL:
        return f"{name} — possibly out of memory"
    return name


def end_stale_trial(pid: int, workdir: Path, grace: float = GRACE_SECONDS) -> bool:
    """End a trial left running by an engine that died (e.g. ``kill -9``).

    The process must still run in ``workdir``, which guards against a recycled
    pid. Its group gets SIGTERM, then SIGKILL after ``grace`` seconds.

    Args:
        pid: The trial command's pid, which is also its process group id.
        workdir: The trial's folder.

    Returns:
        Whether such a process was found and ended.
    """
    folder = Path(workdir).resolve()
    try:
        process = psutil.Process(pid)
        if Path(process.cwd()) != folder:
            return False
        family = [process, *process.children(recursive=True)]
    except psutil.Error:
        # The command itself has ended; what it started may live on in its group.
        family = _group_members_in(pid, folder)
        if not family:
            return False
    for signum in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signum)
        for member in family:
            with contextlib.suppress(psutil.Error):
                member.send_signal(signum)
        _, alive = psutil.wait_procs(family, timeout=grace)
        if not alive:
            break
    return True


def _group_members_in(pgid: int, folder: Path) -> list[psutil.Process]:
    """Live processes of group ``pgid`` that run inside ``folder`` (the trial's)."""
    members = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) != pgid:
                continue
            cwd = Path(process.cwd())
        except (OSError, psutil.Error):
            continue
        if cwd == folder or folder in cwd.parents:
            members.append(process)
    return members
