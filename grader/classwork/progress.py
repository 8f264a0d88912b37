"""The progress of a class being graded: counts and rate, a bar on a terminal, plain lines elsewhere."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class Progress:
    """Counts and rate, drawn as a bar on a terminal and as plain lines elsewhere."""

    total: int
    stream: TextIO
    started: float = field(default_factory=time.monotonic)
    done: int = 0
    failed: int = 0
    _last_line: float = 0.0
    _closed: bool = False  # the last plain line is out

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def advance(self, ok: bool) -> None:
        self.done += 1
        self.failed += 0 if ok else 1
        self.draw()

    def draw(self, final: bool = False) -> None:
        rate = self.rate
        left = (self.total - self.done) / rate if rate else 0.0
        text = f"graded {self.done}/{self.total}  {rate:.1f}/s  ~{left:.0f} s left"
        if self.failed:
            text += f"  ({self.failed} could not be graded)"
        if self.stream.isatty():
            width = 24
            filled = int(width * self.done / self.total) if self.total else width
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {text}\033[K" + ("\n" if final else ""))
            self.stream.flush()
        elif not self._closed and (final or time.monotonic() - self._last_line >= 2 or self.done == self.total):
            self._last_line = time.monotonic()
            self._closed = self.done == self.total
            self.stream.write(text + "\n")
            self.stream.flush()
