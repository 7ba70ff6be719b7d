"""The process environment the CLI talks to, in one object (as httpie's Environment).

Tests swap it to control stdin/stdout and whether they count as a terminal. Colour is used
only when stdout is a terminal, never with NO_COLOR set or TERM=dumb.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import IO, Any, Mapping


class Environment:
    """The streams, variables and model a command runs with.

    A stream or `environ` not given is the process's own *at the time of use*, so an
    Environment made before a test runner swaps sys.stdout still writes where the runner reads.
    `estimator`: a loaded Estimator that stands for the shipped model (tests load it once).
    """

    def __init__(self, stdin: IO | None = None, stdout: IO | None = None, stderr: IO | None = None, environ: Mapping[str, str] | None = None, estimator: Any = None):
        self._stdin, self._stdout, self._stderr, self._environ = stdin, stdout, stderr, environ
        self.estimator = estimator

    @property
    def stdin(self) -> IO:
        return self._stdin if self._stdin is not None else sys.stdin

    @property
    def stdout(self) -> IO:
        return self._stdout if self._stdout is not None else sys.stdout

    @property
    def stderr(self) -> IO:
        return self._stderr if self._stderr is not None else sys.stderr

    @property
    def environ(self) -> Mapping[str, str]:
        return self._environ if self._environ is not None else os.environ

    def load_estimator(self, model: Path | None = None, trust: bool = False) -> Any:
        """The Estimator of `model` (a folder), or of the shipped model."""
        if model is None and self.estimator is not None:
            return self.estimator
        from mlsalary.estimates import Estimator

        return Estimator.load(model, trusted=trust)

    @property
    def stdin_isatty(self) -> bool:
        return _isatty(self.stdin)

    @property
    def stdout_isatty(self) -> bool:
        return _isatty(self.stdout)

    @property
    def stderr_isatty(self) -> bool:
        return _isatty(self.stderr)

    def colour(self, stderr: bool = False) -> bool:
        """Whether output to stdout (or stderr) may be coloured: only on a terminal, never with
        NO_COLOR set or TERM=dumb."""
        tty = self.stderr_isatty if stderr else self.stdout_isatty
        return tty and "NO_COLOR" not in self.environ and self.environ.get("TERM") != "dumb"

    def console(self, stderr: bool = False):
        from rich.console import Console

        stream = self.stderr if stderr else self.stdout
        tty = self.stderr_isatty if stderr else self.stdout_isatty
        colour = self.colour(stderr)
        console = Console(
            file=stream,
            force_terminal=tty,
            no_color=not colour,
            color_system="auto" if colour else None,
            highlight=False,
            emoji=False,  # ":smile:" in a column name or a value is that text, not an emoji
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
