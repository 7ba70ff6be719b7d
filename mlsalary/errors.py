"""Errors the CLI turns into one-line messages and exit codes (never a traceback), and the
warning the library gives its notes as."""

from typing import Any

from mlsalary.status import ExitStatus


class MlsalaryError(Exception):
    """Base class: carries the exit status the CLI should end with."""

    exit_status = ExitStatus.ERROR


class InputError(MlsalaryError, ValueError):
    """A user-supplied value is invalid. The message names the field and the valid values."""

    exit_status = ExitStatus.USAGE

    def __init__(self, field: str, message: str, suggestions: tuple[str, ...] = ()):
        super().__init__(message)
        self.field = field
        self.suggestions = suggestions  # the near values the message offers, if any


class DataError(MlsalaryError):
    """Training data is missing, unreadable or in no known format."""

    exit_status = ExitStatus.DATA


class OutputError(MlsalaryError):
    """Output cannot be written: a full disk, no permission, or an --out that is not a model folder."""

    exit_status = ExitStatus.ERROR


class ModelError(MlsalaryError):
    """The model file is missing, damaged, or was made by another scikit-learn version."""

    exit_status = ExitStatus.MODEL


class MlsalaryWarning(UserWarning):
    """A note on how input was read, which the command line prints to stderr and the library
    gives with warnings.warn (e.g. "Note: read column 'YOE' as experience.")."""


def show_value(value: Any) -> str:
    """Quote a user value for a one-line message: bounded, control characters escaped."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > 57:
        text = text[:54] + "..."
    return "'" + printable(text) + "'"


MESSAGE_LIMIT = 1_000  # characters of one message line; input is quoted bounded (show_value) anyway


def printable(text: str, *, one_line: bool = True) -> str:
    """A message made safe for a terminal: control characters (escape sequences, CR, NUL and,
    for one line, LF) shown escaped, and at most MESSAGE_LIMIT characters, whatever a caller
    put in it."""
    kept = "\n" if not one_line else ""
    text = "".join(ch if ch.isprintable() or ch in kept else repr(ch)[1:-1] for ch in text)
    if len(text) > MESSAGE_LIMIT:
        text = text[: MESSAGE_LIMIT - 40] + f"... ({len(text) - MESSAGE_LIMIT + 40:,} more characters)"
    return text
