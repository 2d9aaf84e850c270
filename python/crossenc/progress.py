"""A small progress display on stderr: redrawn on a terminal, one line per update otherwise."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, unit: str = "pairs") -> None:
        self.total, self.unit = total, unit
        self.start = self.last = time.monotonic()
        self.terminal = sys.stderr.isatty()

    def update(self, done: int, total: int | None = None) -> None:
        total = self.total if total is None else total
        now = time.monotonic()
        if done < total and now - self.last < (0.2 if self.terminal else 1.0):
            return
        self.last = now
        rate = done / (now - self.start) if now > self.start else 0.0
        line = f"{done}/{total} {self.unit}  {rate:.1f} {self.unit}/s"
        sys.stderr.write(("\r" + line + "   ") if self.terminal else line + "\n")
        if self.terminal and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
