"""The engine's side of a plugin process: start it, call it, stop it.

A plugin runs in a child Python process of its own, in a session of its own, so
nothing it does (raise, hang, print, exit, crash the interpreter) reaches the engine.
Calls are JSON lines on the child's standard input and output; its standard error,
and with it everything the plugin prints, goes to the plugin log.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import weakref
from pathlib import Path
from typing import IO, Any

from hpotui.errors import PluginError

logger = logging.getLogger(__name__)

SHIM_DIR = Path(__file__).resolve().parent / "shim"
"""Holds the ``plugins`` import shim and the runner script; on the child's path only."""

RUNNER = SHIM_DIR / "_hpotui_plugin_runner.py"

DEFAULT_TIMEOUT = 60.0
"""Seconds a plugin call may take before the plugin is stopped."""

_CLOSE_GRACE = 2.0

_CALL_NAMES = {"init": "__init__"}


class PluginProcess:
    """One running plugin.

    Args:
        code_dir: The folder holding the plugin's ``optimizer.py``.
        log_path: File that receives the plugin's output and tracebacks (appended).
        python: The interpreter to run it with; by default the engine's own.
        timeout: Seconds each call may take.
        env: Extra environment variables for the plugin.
    """

    def __init__(
        self,
        code_dir: Path,
        log_path: Path,
        *,
        python: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        env: dict[str, str] | None = None,
    ) -> None:
        self.code_dir = code_dir
        self.log_path = log_path
        self.python = python or sys.executable
        self.timeout = timeout
        self.env = dict(env or {})
        self._proc: subprocess.Popen[str] | None = None
        self._replies: queue.Queue[str | None] = queue.Queue()
        self._failure: PluginError | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the child process (the plugin itself is loaded by ``init``)."""
        if not (self.code_dir / "optimizer.py").is_file():
            self._failure = PluginError(
                f"the plugin folder {self.code_dir} has no optimizer.py any more; "
                "install the plugin again (hpotui algorithms install --replace)"
            )
            raise self._failure
        try:
            self._proc = self._spawn()
        except OSError as err:
            self._failure = PluginError(
                f"cannot start the plugin with {self.python} (log {self.log_path}): "
                f"{err.strerror or err}; check the interpreter given at install "
                "(--python) and that the log folder is writable",
                str(self.log_path),
            )
            raise self._failure from err
        weakref.finalize(self, _kill_group, self._proc)
        reader = threading.Thread(
            target=_read_lines,
            args=(self._proc.stdout, self._replies),
            name=f"plugin-reader-{self._proc.pid}",
            daemon=True,
        )
        reader.start()

    def _spawn(self) -> subprocess.Popen[str]:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            return subprocess.Popen(
                [self.python, str(RUNNER), str(self.code_dir)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=self.code_dir,
                env={**os.environ, **self.env},
                text=True,
                encoding="utf-8",
                bufsize=1,
                start_new_session=True,
            )

    def call(self, op: str, **fields: Any) -> Any:
        """Send one request and wait for its reply.

        Returns:
            The ``result`` of the reply.

        Raises:
            PluginError: The plugin raised, returned something unusable, gave no
                answer in time (it is then stopped) or its process is gone.
        """
        if self._failure is not None:
            raise self._failure
        if self._proc is None:
            self.start()
        try:
            self._send({"op": op, **fields})
            reply = self._receive(op)
        except PluginError as err:
            self._failure = err
            raise
        if not reply.get("ok"):
            raise PluginError(self._describe(op, reply["error"]), str(self.log_path))
        return reply.get("result")

    def close(self) -> None:
        """Ask the plugin to exit; stop it if it does not within a moment."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(OSError, ValueError):
            self._send({"op": "close"})
        try:
            proc.wait(timeout=_CLOSE_GRACE)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
        with contextlib.suppress(OSError):
            proc.stdin.close()  # type: ignore[union-attr]

    def _send(self, request: dict[str, Any]) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError) as err:
            raise self._died(request["op"]) from err

    def _receive(self, op: str) -> dict[str, Any]:
        try:
            line = self._replies.get(timeout=self.timeout)
        except queue.Empty:
            assert self._proc is not None
            _kill_group(self._proc)
            raise PluginError(
                f"plugin {_call_name(op)}() gave no answer within {self.timeout:g} s "
                "and was stopped; if it needs longer, raise the algorithm option "
                "plugin_timeout (seconds)",
                str(self.log_path),
            ) from None
        if line is None:
            raise self._died(op)
        return json.loads(line)

    def _died(self, op: str) -> PluginError:
        assert self._proc is not None
        try:
            code = self._proc.wait(timeout=_CLOSE_GRACE)
        except subprocess.TimeoutExpired:
            _kill_group(self._proc)
            code = self._proc.wait()
        how = f"exited with code {code}"
        if code < 0:
            how = f"was killed by {signal.Signals(-code).name}"
        return PluginError(
            f"plugin process {how} during {_call_name(op)}(); its output is in "
            f"{self.log_path}",
            str(self.log_path),
        )

    def _describe(self, op: str, error: dict[str, Any]) -> str:
        kind, message = error.get("kind"), error.get("message", "")
        call = _call_name(op)
        if kind == "load":
            return (
                f"plugin optimizer.py could not be loaded: {message}; fix the plugin "
                f"or install what it imports (details in {self.log_path})"
            )
        if kind == "raised":
            return f"plugin {call}() raised {message}"
        if kind == "unencodable":
            return f"plugin {call}() returned a value that is not plain data: {message}"
        return f"plugin {call}(): {message}"


def _call_name(op: str) -> str:
    return _CALL_NAMES.get(op, op)


def _read_lines(stream: IO[str], replies: queue.Queue[str | None]) -> None:
    # A thread, so that waiting for a reply can time out on any platform.
    with contextlib.suppress(OSError, ValueError):
        for line in stream:
            replies.put(line)
    replies.put(None)


def _kill_group(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=_CLOSE_GRACE)
