"""A build's progress on a terminal: a line per phase, and a counter that rewrites itself
on a TTY (a line every tenth of the way elsewhere, so that CI logs stay short)."""

from __future__ import annotations

from typing import Any


class TerminalProgress:
    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.shown = -1
        self.counting = False

    def phase(self, text: str) -> None:
        if self.counting and self.tty:
            self.stream.write("\n")
        self.counting = False
        self.stream.write(f"hatchet engine build: {text}\n")
        self.stream.flush()

    def count(self, done: int, total: int) -> None:
        self.counting = True
        if self.tty:
            self.stream.write(f"\r  compiled {done} of {total} packages")
            self.stream.flush()
            return
        tenth = done * 10 // max(total, 1)
        if tenth > self.shown:
            self.shown = tenth
            self.stream.write(f"  compiled {done} of {total} packages\n")
            self.stream.flush()
