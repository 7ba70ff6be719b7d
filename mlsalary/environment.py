"""The process environment the CLI talks to, in one object (as httpie's Environment).

Tests swap it to control stdin/stdout and whether they count as a terminal. Colour is used
only when stdout is a terminal, never with NO_COLOR set or TERM=dumb.
"""

from __future__ import annotations

import errno
import os
import sys
from dataclasses import dataclass, field
from typing import IO


@dataclass
class Environment:
    stdin: IO = field(default_factory=lambda: sys.stdin)
    stdout: IO = field(default_factory=lambda: sys.stdout)
    stderr: IO = field(default_factory=lambda: sys.stderr)
    environ: dict = field(default_factory=lambda: dict(os.environ))

    @property
    def stdin_isatty(self) -> bool:
        return _isatty(self.stdin)

    @property
    def stdout_isatty(self) -> bool:
        return _isatty(self.stdout)

    @property
    def stderr_isatty(self) -> bool:
        return _isatty(self.stderr)

    @property
    def color(self) -> bool:
        if "NO_COLOR" in self.environ or self.environ.get("TERM") == "dumb":
            return False
        return self.stdout_isatty

    def console(self, stderr: bool = False):
        from rich.console import Console

        stream = self.stderr if stderr else self.stdout
        tty = self.stderr_isatty if stderr else self.stdout_isatty
        colour = tty and "NO_COLOR" not in self.environ and self.environ.get("TERM") != "dumb"
        console = Console(
            file=stream,
            force_terminal=tty,
            no_color=not colour,
            color_system="auto" if colour else None,
            highlight=False,
        )
        # Rich ends the process with exit 1 when the reader of its stream left; let the CLI
        # end it as every command does (quietly, exit 141).
        console.on_broken_pipe = _reader_left  # type: ignore[method-assign]
        return console


def _reader_left() -> None:
    raise BrokenPipeError(errno.EPIPE, "the reader of the output went away")


def _isatty(stream: IO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
