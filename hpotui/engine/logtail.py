"""Reading the end of a log file that may be huge and still growing.

Both helpers seek instead of reading from the start, so the last lines of a 10 GB
trial log cost as much as those of a 10 kB one, and a burst of output between two
polls never lands in memory whole.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

_BLOCK = 64 * 1024
TAIL_BYTES = 1024 * 1024
"""The most :func:`tail_lines` reads from the end of a file by default."""
MAX_LINE_CHARS = 1000
"""Longer lines are cut, so one runaway line cannot flood a view."""


def tail_lines(path: Path, count: int, max_bytes: int = TAIL_BYTES) -> list[str]:
    """The last ``count`` lines of a file, reading at most ``max_bytes`` from its end.

    Args:
        path: The file; a missing file has no lines.
        count: How many lines to return at most.
        max_bytes: The most to read; when the last lines are longer than this in
            total, fewer lines come back.

    Returns:
        The lines without their newlines, oldest first, decoded as UTF-8 with
        undecodable bytes replaced, each cut to :data:`MAX_LINE_CHARS` characters.
    """
    if count <= 0:
        return []
    try:
        with open(path, "rb") as stream:
            data = _read_tail(stream, count, max_bytes)
    except FileNotFoundError:
        return []
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [_decode(line) for line in lines[-count:]]


def _read_tail(stream: BinaryIO, count: int, max_bytes: int) -> bytes:
    end = os.fstat(stream.fileno()).st_size
    start = end
    data = b""
    # count + 1 newlines guarantee that the first kept line is whole
    while start > 0 and data.count(b"\n") <= count and end - start < max_bytes:
        start = max(0, start - _BLOCK, end - max_bytes)
        stream.seek(start)
        data = stream.read(end - start)
    if start > 0:
        data = data.split(b"\n", 1)[1] if b"\n" in data else b""
    return data


def _decode(line: bytes) -> str:
    # a progress bar redraws its line after each carriage return: keep what shows
    line = line.rstrip(b"\r").rsplit(b"\r", 1)[-1]
    text = line.decode("utf-8", errors="replace")
    if len(text) > MAX_LINE_CHARS:
        return text[:MAX_LINE_CHARS] + " [...]"
    return text


class LogFollower:
    """Hands out the lines appended to a file since the last call.

    Only complete lines are returned; a partial last line waits for its newline.
    When more than ``max_bytes`` arrived since the last call, the middle is
    skipped and a ``[... N bytes skipped ...]`` line stands in for it.

    Args:
        path: The log file; it may not exist yet.
        max_bytes: The most read per call.
    """

    def __init__(self, path: Path, max_bytes: int = 256 * 1024) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._offset = 0

    def read_new(self, final: bool = False) -> list[str]:
        """The complete lines appended since the last call, oldest first.

        Args:
            final: The writer has ended: a last line without a newline counts too.
        """
        try:
            size = os.stat(self.path).st_size
        except OSError:
            return []
        if size < self._offset:
            self._offset = 0  # truncated or replaced: start over
        if size == self._offset:
            return []
        return self._read_from(size, final)

    def _read_from(self, size: int, final: bool) -> list[str]:
        lines: list[str] = []
        start = self._offset
        if size - start > self.max_bytes:
            start = size - self.max_bytes
            lines.append(f"[... {start - self._offset} bytes skipped ...]")
        with open(self.path, "rb") as stream:
            stream.seek(start)
            data = stream.read(size - start)
        if start > self._offset:
            # the window starts mid-line: drop that fragment
            cut = data.find(b"\n") + 1
            start, data = (start + cut, data[cut:]) if cut else (size, b"")
        complete = len(data) if final else data.rfind(b"\n") + 1
        self._offset = start + complete
        whole = data[:complete].split(b"\n")
        if whole[-1] == b"":
            whole.pop()
        lines.extend(_decode(line) for line in whole)
        return lines
