"""A progress bar on stderr for long work (bytes hashed, checks of a suite): only on a terminal, after a second."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # rich is imported only once a bar is drawn (start-up cost)
    from rich.progress import Progress, TaskID

DELAY = 1.0


class ScanProgress:
    """Called with the amount done (or `advance`d by each piece); draws nothing until the work has run
    for DELAY seconds. `unit` "bytes" shows sizes and speed, "items" a count (`412/1000 checks`).
    `no_color` None leaves it to rich (which reads NO_COLOR from the environment). A total of 0
    draws nothing: a bar needs to know where it ends (give the size before the work starts)."""

    def __init__(self, stream: TextIO, total: int, label: str, enabled: bool, no_color: bool | None = None,
                 unit: str = "bytes") -> None:
        self.stream = stream
        self.unit = unit
        self.total = total
        self.label = label
        self.enabled = enabled and total > 0 and _is_terminal(stream)
        self.no_color = no_color
        self.started = time.monotonic()
        self.base = 0
        self.done = 0
        self.lock = threading.Lock()
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def next_file(self, label: str, total: int) -> None:
        self.label = label
        self.base = 0
        self.total = total
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, description=label, total=max(total, 1), completed=0)

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.started < DELAY:
                return
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                MofNCompleteColumn,
                Progress,
                TimeElapsedColumn,
                TransferSpeedColumn,
            )

            console = Console(file=self.stream, stderr=True, no_color=self.no_color)
            columns = ((DownloadColumn(), TransferSpeedColumn()) if self.unit == "bytes"
                       else (MofNCompleteColumn(), TimeElapsedColumn()))
            self.bar = Progress("{task.description}", BarColumn(), *columns, console=console, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=max(self.total, 1))
        if self.task is not None:
            self.bar.update(self.task, completed=done)

    def advance(self, count: int) -> None:
        """Add `count` bytes done; safe from several threads at once (files hashed in parallel)."""
        if not self.enabled:
            return
        with self.lock:
            self.done += count
            self(self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
