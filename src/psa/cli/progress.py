"""The one progress line of the long commands (schedule import, gitlab sync, time report)."""

from __future__ import annotations

import sys
from typing import TextIO

BAR_WIDTH = 30


class ProgressBar:
    """A progress line on stderr, redrawn in place as `(stage, done, total)` calls come:
    `checking [#########                     ] 1,200/4,000 rows` while the total is known, and
    `reading  1,200 rows` while it is not (a total of 0: still counting). The line ends when a
    stage is done; `close` (or leaving the `with` block) ends a line still open, so what the
    command prints next starts on a line of its own.

    `stage_width` is the widest stage name's column; without `bar` the known total shows as
    `done/total` alone."""

    def __init__(
        self, unit: str = "", *, stage_width: int, bar: bool = True, stream: TextIO | None = None
    ) -> None:
        self.unit = f" {unit}" if unit else ""
        self.stage_width = stage_width
        self.bar = bar
        self.stream = stream
        self.open = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        label = f"{stage:<{self.stage_width}}"
        if not total:
            text = f"{label}{done:,}"
        elif self.bar:
            filled = BAR_WIDTH * done // total
            text = f"{label}[{'#' * filled}{' ' * (BAR_WIDTH - filled)}] {done:,}/{total:,}"
        else:
            text = f"{label}{done:,}/{total:,}"
        self.open = not (total and done == total)
        print(f"\r{text}{self.unit}", end="" if self.open else "\n", file=self._out(), flush=True)

    def close(self) -> None:
        if self.open:
            print(file=self._out(), flush=True)
            self.open = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _out(self) -> TextIO:
        # Looked up at each line, not at creation: whatever sys.stderr is then (pytest's capsys).
        return self.stream or sys.stderr
