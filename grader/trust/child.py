"""A worker process as the grader sees it, whichever kind it is (sandboxed or portable): how it is waited for,
what it printed, and why it cannot answer."""

from __future__ import annotations

import subprocess
import threading
from typing import Any

from ..model.errors import Whole
from ..model.messages import Text


class WorkerFailure(Whole, Exception):
    """The worker cannot answer: it timed out, exited, crashed or sent garbage."""

    def __init__(self, text: Text | str) -> None:
        super().__init__(str(text))
        self.text = text if isinstance(text, Text) else None


class Spawned:
    """A worker started as our own child process."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.popen, self.pid = process, process.pid

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout=timeout)


class OutputDrain(threading.Thread):
    """Reads the worker's stdout and stderr, keeping only the first ``cap`` bytes."""

    def __init__(self, stream: Any, cap: int) -> None:
        super().__init__(daemon=True)
        self.stream, self.cap = stream, cap
        self.kept = bytearray()
        self.dropped = 0

    def run(self) -> None:
        try:
            while True:
                chunk = self.stream.read1(1 << 16)
                if not chunk:
                    break
                room = self.cap - len(self.kept)
                self.kept += chunk[: max(room, 0)]
                self.dropped += max(len(chunk) - max(room, 0), 0)
        except (OSError, ValueError):
            pass


def joined_output(parts: list[tuple[bytes, int]], cap: int) -> str:
    """The output of one or more workers, each a (kept bytes, dropped count) pair, as text of at most ``cap``
    bytes (before decoding), and a note of how much more there was."""
    pieces, room, dropped = [], cap, 0
    for kept, more in parts:
        take = kept[: max(room, 0)]
        room -= len(take)
        dropped += more + len(kept) - len(take)
        if take:
            pieces.append(take.decode("utf-8", errors="replace"))
    text = "\n".join(pieces)
    if dropped:
        text += f"\n[... {dropped} more bytes of output not kept]"
    return text
